package detectors

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// The blocking call paths of the client libraries, as a goroutine dump
// prints them: function names and call order taken from each library's
// source at the version in the file paths, under the runtime frames of the
// wait. Each stack is read by the text parser, so the rows are exercised
// on what a real capture gives them (module@version paths included).

// Runtime frames under each kind of wait, innermost first.
var (
	netRead = []string{"runtime.gopark", "runtime.netpollblock", "internal/poll.runtime_pollWait",
		"internal/poll.(*pollDesc).wait", "internal/poll.(*pollDesc).waitRead", "internal/poll.(*FD).Read",
		"net.(*netFD).Read", "net.(*conn).Read"}
	netWrite = []string{"runtime.gopark", "runtime.netpollblock", "internal/poll.runtime_pollWait",
		"internal/poll.(*pollDesc).wait", "internal/poll.(*pollDesc).waitWrite", "internal/poll.(*FD).Write",
		"net.(*netFD).Write", "net.(*conn).Write"}
	selectWait = []string{"runtime.gopark", "runtime.selectgo"}
	chanRecv   = []string{"runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1"}
	condWait   = []string{"runtime.gopark", "runtime.goparkunlock", "sync.runtime_notifyListWait", "sync.(*Cond).Wait"}
	cgoCall    = []string{"runtime.cgocall"}
	// httpWait is an HTTP/1 request waiting for its response.
	httpWait = append(append([]string{}, selectWait...), "net/http.(*persistConn).roundTrip",
		"net/http.(*Transport).roundTrip", "net/http.(*Transport).RoundTrip", "net/http.send",
		"net/http.(*Client).send", "net/http.(*Client).do", "net/http.(*Client).Do")
)

// stackCase is one goroutine of a dump: its header ("IO wait, 7 minutes")
// and its frames, innermost first; a frame may name its file
// ("fn @ file:line"), else the file is derived from the function.
type stackCase struct {
	header string
	frames []string
}

// dumpText writes goroutines as a debug=2 dump.
func dumpText(gs ...stackCase) string {
	var b strings.Builder
	for i, g := range gs {
		fmt.Fprintf(&b, "goroutine %d [%s]:\n", 100+i, g.header)
		for j, fr := range g.frames {
			fn, file, _ := strings.Cut(fr, " @ ")
			if file == "" {
				file = fileFor(fn) + fmt.Sprintf(":%d", 100+j)
			}
			fmt.Fprintf(&b, "%s(...)\n\t%s +0x%x\n", fn, file, 16*(j+1))
		}
		fmt.Fprintf(&b, "created by main.main in goroutine 1\n\t/src/app/main.go:40 +0x1a5\n\n")
	}
	return b.String()
}

// fileFor makes a plausible file path for a function: the Go root for the
// standard library, a module path for the rest.
func fileFor(fn string) string {
	pkg := parser.FuncPackage(fn)
	switch {
	case strings.HasPrefix(fn, "main."):
		return "/src/app/main.go"
	case !strings.Contains(strings.SplitN(pkg, "/", 2)[0], "."):
		return "/usr/local/go/src/" + pkg + "/x.go"
	}
	return "/root/go/pkg/mod/" + pkg + "/x.go"
}

func stack(header string, parts ...[]string) stackCase {
	var frames []string
	for _, p := range parts {
		frames = append(frames, p...)
	}
	return stackCase{header: header, frames: frames}
}

func fr(frames ...string) []string { return frames }

// analyzeDump parses a dump text and analyzes it.
func analyzeDump(t *testing.T, text string) (*analysis, *Diagnosis) {
	t.Helper()
	snaps, err := parser.ReadText(strings.NewReader(text), "dump.txt")
	if err != nil {
		t.Fatal(err)
	}
	c := &parser.Capture{Snapshots: snaps}
	a := newAnalysis(c, Options{})
	if err := a.classify(); err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a, r
}

// TestLibraryBlockingStacks classifies each library's real blocking call
// paths, and its idle loops, on stacks as a dump prints them.
func TestLibraryBlockingStacks(t *testing.T) {
	tests := []struct {
		name   string
		g      stackCase
		wantID string // "" with wantBg: idle by design
		wantBg bool
		// app is the first application frame, "" when the stack has none
		// (a library's own goroutine) or a library ctxhole cannot know by
		// name (the generic cgo row) sits between.
		app string
	}{
		// Cgo database drivers: [syscall] under runtime.cgocall.
		{"go-sqlite3 step in C", stack("syscall, 7 minutes", cgoCall, fr(
			"github.com/mattn/go-sqlite3._Cfunc__sqlite3_step_row_internal @ _cgo_gotypes.go:437",
			"github.com/mattn/go-sqlite3.(*SQLiteStmt).execSync @ /root/go/pkg/mod/github.com/mattn/go-sqlite3@v1.14.22/sqlite3.go:2084",
			"github.com/mattn/go-sqlite3.(*SQLiteStmt).exec @ /root/go/pkg/mod/github.com/mattn/go-sqlite3@v1.14.22/sqlite3.go:2031",
			"github.com/mattn/go-sqlite3.(*SQLiteConn).exec", "github.com/mattn/go-sqlite3.(*SQLiteConn).ExecContext",
			"database/sql.ctxDriverExec", "database/sql.(*DB).execDC.func2", "database/sql.withLock", "database/sql.(*DB).execDC",
			"database/sql.(*DB).exec", "database/sql.(*DB).ExecContext.func1", "database/sql.(*DB).retry", "database/sql.(*DB).ExecContext",
			"main.(*store).saveOrder")), "go-sqlite3.step", false, "main.(*store).saveOrder"},
		{"go-sqlite3 caller waiting for the statement", stack("select, 7 minutes", selectWait, fr(
			"github.com/mattn/go-sqlite3.(*SQLiteStmt).exec", "github.com/mattn/go-sqlite3.(*SQLiteConn).exec",
			"github.com/mattn/go-sqlite3.(*SQLiteConn).ExecContext", "database/sql.ctxDriverExec", "database/sql.(*DB).execDC",
			"database/sql.(*DB).exec", "database/sql.(*DB).ExecContext", "main.(*store).saveOrder")), "go-sqlite3.exec", false, "main.(*store).saveOrder"},
		{"godror execute in OCI", stack("syscall, 12 minutes", cgoCall, fr(
			"github.com/godror/godror._Cfunc_dpiStmt_execute @ _cgo_gotypes.go:4001",
			"github.com/godror/godror.(*statement).QueryContext.func2 @ /root/go/pkg/mod/github.com/godror/godror@v0.44.0/stmt.go:520",
			"github.com/godror/godror.(*statement).QueryContext", "database/sql.ctxDriverStmtQuery", "database/sql.rowsiFromStatement",
			"database/sql.(*DB).queryDC", "database/sql.(*DB).query", "database/sql.(*DB).QueryContext", "main.monthlyReport")),
			"godror.cgo", false, "main.monthlyReport"},
		{"goracle through gopkg.in", stack("syscall, 12 minutes", cgoCall, fr(
			"gopkg.in/goracle.v2._Cfunc_dpiConn_create", "gopkg.in/goracle.v2.(*drv).openConn", "gopkg.in/goracle.v2.(*drv).Open",
			"database/sql.dsnConnector.Connect", "database/sql.(*DB).conn", "database/sql.(*DB).query", "database/sql.(*DB).QueryContext",
			"main.monthlyReport")), "goracle.cgo", false, "main.monthlyReport"},
		{"another cgo driver under database/sql", stack("syscall, 9 minutes", cgoCall, fr(
			"github.com/mattn/go-oci8._Cfunc_OCIStmtExecute", "github.com/mattn/go-oci8.(*Stmt).exec",
			"database/sql.ctxDriverStmtExec", "database/sql.resultFromStatement", "database/sql.(*DB).execDC",
			"database/sql.(*DB).exec", "database/sql.(*DB).ExecContext", "main.archive")), "cgo-driver", false, ""},

		// pgx v3, v5 and the pools.
		{"pgx v3 reading a reply", stack("IO wait, 6 minutes", netRead, fr(
			"io.ReadAtLeast", "github.com/jackc/pgx/chunkreader.(*ChunkReader).appendAtLeast",
			"github.com/jackc/pgx/chunkreader.(*ChunkReader).Next", "github.com/jackc/pgx/pgproto3.(*Frontend).Receive",
			"github.com/jackc/pgx.(*Conn).rxMsg @ /root/go/pkg/mod/github.com/jackc/pgx@v3.6.2+incompatible/conn.go:1407",
			"github.com/jackc/pgx.(*Rows).Next", "github.com/jackc/pgx.(*Row).Scan", "main.lookupUser")), "pgx3.read", false, "main.lookupUser"},
		{"pgx v3 pool", stack("sync.Cond.Wait, 6 minutes", condWait, fr(
			"github.com/jackc/pgx.(*ConnPool).acquire", "github.com/jackc/pgx.(*ConnPool).Acquire",
			"github.com/jackc/pgx.(*ConnPool).QueryRow", "main.lookupUser")), "pgx3.pool", false, "main.lookupUser"},
		{"pgx v5.12 conn on its background reader", stack("sync.Cond.Wait, 6 minutes", condWait, fr(
			"github.com/jackc/pgx/v5/pgconn/internal/bgreader.(*BGReader).Read",
			"github.com/jackc/pgx/v5/pgproto3.(*chunkReader).Next", "github.com/jackc/pgx/v5/pgproto3.(*Frontend).Receive",
			"github.com/jackc/pgx/v5/pgconn.(*PgConn).peekMessage @ /root/go/pkg/mod/github.com/jackc/pgx/v5@v5.12.0/pgconn/pgconn.go:690",
			"github.com/jackc/pgx/v5/pgconn.(*PgConn).receiveMessage", "github.com/jackc/pgx/v5/pgconn.(*ResultReader).receiveMessage",
			"github.com/jackc/pgx/v5/pgconn.(*ResultReader).NextRow", "github.com/jackc/pgx/v5.(*baseRows).Next", "main.listOrders")),
			"pgxv5.read", false, "main.listOrders"},
		{"pgxpool v4 on puddle v1", stack("select, 6 minutes", selectWait, fr(
			"github.com/jackc/puddle.(*Pool).Acquire @ /root/go/pkg/mod/github.com/jackc/puddle@v1.3.0/pool.go:340",
			"github.com/jackc/pgx/v4/pgxpool.(*Pool).Acquire", "github.com/jackc/pgx/v4/pgxpool.(*Pool).Query", "main.listOrders")),
			"pgxpool4.acquire", false, "main.listOrders"},
		{"puddle v1's helper on the pool's Cond is not a finding", stack("sync.Cond.Wait, 6 minutes", condWait, fr(
			"github.com/jackc/puddle.(*Pool).Acquire.func1")), "", true, ""},

		// go-sql-driver/mysql.
		{"mysql readPacket", stack("IO wait, 5 minutes", netRead, fr(
			"github.com/go-sql-driver/mysql.(*buffer).fill @ /root/go/pkg/mod/github.com/go-sql-driver/mysql@v1.10.1/buffer.go:94",
			"github.com/go-sql-driver/mysql.(*buffer).readNext", "github.com/go-sql-driver/mysql.(*mysqlConn).readPacket",
			"github.com/go-sql-driver/mysql.(*mysqlConn).readResultSetHeaderPacket", "github.com/go-sql-driver/mysql.(*mysqlConn).query",
			"github.com/go-sql-driver/mysql.(*mysqlConn).QueryContext", "database/sql.ctxDriverQuery", "database/sql.(*DB).queryDC",
			"database/sql.(*DB).query", "database/sql.(*DB).QueryContext", "main.search")), "go-sql-driver/mysql.read", false, "main.search"},
		{"mysql writePacket", stack("IO wait, 5 minutes", netWrite, fr(
			"github.com/go-sql-driver/mysql.(*mysqlConn).writePacket", "github.com/go-sql-driver/mysql.(*mysqlConn).writeCommandPacketStr",
			"github.com/go-sql-driver/mysql.(*mysqlConn).query", "github.com/go-sql-driver/mysql.(*mysqlConn).QueryContext",
			"database/sql.ctxDriverQuery", "database/sql.(*DB).queryDC", "database/sql.(*DB).QueryContext", "main.importRows")),
			"go-sql-driver/mysql.write", false, "main.importRows"},
		{"mysql connection watcher waiting for a query", stack("select, 20 minutes", selectWait, fr(
			"github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func1")), "", true, ""},

		// MongoDB.
		{"mongo v2 reading a reply", stack("IO wait, 4 minutes", netRead, fr(
			"io.ReadAtLeast", "io.ReadFull",
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*connection).read @ /root/go/pkg/mod/go.mongodb.org/mongo-driver/v2@v2.5.0/x/mongo/driver/topology/connection.go:480",
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*connection).readWireMessage",
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver.Operation.readWireMessage", "go.mongodb.org/mongo-driver/v2/x/mongo/driver.Operation.roundTrip",
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver.Operation.Execute", "go.mongodb.org/mongo-driver/v2/mongo.(*Collection).FindOne",
			"main.getProfile")), "mongo2.read", false, "main.getProfile"},
		{"mongo v1 writing an operation", stack("IO wait, 4 minutes", netWrite, fr(
			"go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*connection).write",
			"go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*connection).writeWireMessage",
			"go.mongodb.org/mongo-driver/x/mongo/driver.Operation.roundTrip", "go.mongodb.org/mongo-driver/x/mongo/driver.Operation.Execute",
			"go.mongodb.org/mongo-driver/mongo.(*Collection).InsertOne", "main.saveEvent")), "mongo.write", false, "main.saveEvent"},
		{"mongo server selection", stack("select, 4 minutes", selectWait, fr(
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*Topology).selectServerFromSubscription",
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*Topology).SelectServer",
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver.Operation.selectServer", "go.mongodb.org/mongo-driver/v2/x/mongo/driver.Operation.Execute",
			"go.mongodb.org/mongo-driver/v2/mongo.(*Collection).Find", "main.listEvents")), "mongo.select", false, "main.listEvents"},
		{"mongo pool checkout", stack("select, 4 minutes", selectWait, fr(
			"go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*pool).checkOut", "go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*Server).Connection",
			"go.mongodb.org/mongo-driver/x/mongo/driver.Operation.Execute", "go.mongodb.org/mongo-driver/mongo.(*Collection).InsertOne",
			"main.saveEvent")), "mongo.checkout", false, "main.saveEvent"},
		{"mongo read's cancellation listener", stack("select, 4 minutes", selectWait, fr(
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*contextDoneListener).Listen")), "", true, ""},

		// rueidis.
		{"rueidis synchronous read", stack("IO wait, 8 minutes", netRead, fr(
			"bufio.(*Reader).fill", "bufio.(*Reader).ReadByte", "github.com/redis/rueidis.readNextMessage", "github.com/redis/rueidis.syncRead",
			"github.com/redis/rueidis.(*pipe).syncDo @ /root/go/pkg/mod/github.com/redis/rueidis@v1.0.79/pipe.go:1497",
			"github.com/redis/rueidis.(*pipe).Do", "github.com/redis/rueidis.(*mux).blocking", "github.com/redis/rueidis.(*mux).Do",
			"github.com/redis/rueidis.(*singleClient).Do", "main.nextJob")), "rueidis.sync", false, "main.nextJob"},
		{"rueidis pipelined reply", stack("chan receive, 8 minutes", chanRecv, fr(
			"github.com/redis/rueidis.(*pipe).Do", "github.com/redis/rueidis.(*mux).pipeline", "github.com/redis/rueidis.(*mux).Do",
			"github.com/redis/rueidis.(*singleClient).Do", "main.getSession")), "rueidis.do", false, "main.getSession"},
		{"rueidis dedicated pool", stack("sync.Cond.Wait, 8 minutes", condWait, fr(
			"github.com/redis/rueidis.(*pool).Acquire", "github.com/redis/rueidis.(*mux).blocking", "github.com/redis/rueidis.(*mux).Do",
			"github.com/redis/rueidis.(*singleClient).Do", "main.nextJob")), "rueidis.pool", false, "main.nextJob"},
		{"rueidis pipe reader is idle", stack("IO wait, 30 minutes", netRead, fr(
			"bufio.(*Reader).fill", "bufio.(*Reader).ReadByte", "github.com/redis/rueidis.readNextMessage",
			"github.com/redis/rueidis.(*pipe)._backgroundRead", "github.com/redis/rueidis.(*pipe)._background")), "", true, ""},

		// kafka-go.
		{"kafka-go WriteMessages", stack("select, 5 minutes", selectWait, fr(
			"github.com/segmentio/kafka-go.(*Writer).WriteMessages @ /root/go/pkg/mod/github.com/segmentio/kafka-go@v0.4.51/writer.go:674",
			"main.(*server).publish")), "kafka-go.write", false, "main.(*server).publish"},
		{"kafka-go partition writer producing", stack("select, 5 minutes", selectWait, fr(
			"github.com/segmentio/kafka-go.async.await", "github.com/segmentio/kafka-go.(*connPool).roundTrip",
			"github.com/segmentio/kafka-go.(*Transport).RoundTrip", "github.com/segmentio/kafka-go.(*Client).roundTrip",
			"github.com/segmentio/kafka-go.(*Client).Produce", "github.com/segmentio/kafka-go.(*Writer).produce",
			"github.com/segmentio/kafka-go.(*partitionWriter).writeBatch", "github.com/segmentio/kafka-go.(*partitionWriter).writeBatches",
			"github.com/segmentio/kafka-go.(*Writer).spawn.func1")), "kafka-go.batch", false, ""},
		{"kafka-go broker connection reading", stack("IO wait, 5 minutes", netRead, fr(
			"bufio.(*Reader).Peek", "github.com/segmentio/kafka-go/protocol.ReadResponse", "github.com/segmentio/kafka-go/protocol.RoundTrip",
			"github.com/segmentio/kafka-go/protocol.(*Conn).RoundTrip", "github.com/segmentio/kafka-go.(*conn).roundTrip",
			"github.com/segmentio/kafka-go.(*conn).run", "github.com/segmentio/kafka-go.(*connGroup).connect.func3")), "kafka-go.conn.roundtrip", false, ""},
		{"kafka-go low-level Conn", stack("IO wait, 5 minutes", netRead, fr(
			"bufio.(*Reader).Peek", "github.com/segmentio/kafka-go.(*Conn).peekResponseSizeAndID", "github.com/segmentio/kafka-go.(*Conn).waitResponse",
			"github.com/segmentio/kafka-go.(*Conn).do", "github.com/segmentio/kafka-go.(*Conn).writeOperation",
			"github.com/segmentio/kafka-go.(*Conn).WriteMessages", "main.audit")), "kafka-go.Conn", false, "main.audit"},
		{"kafka-go partition writer waiting for a batch is idle", stack("sync.Cond.Wait, 30 minutes", condWait, fr(
			"github.com/segmentio/kafka-go.(*batchQueue).Get", "github.com/segmentio/kafka-go.(*partitionWriter).writeBatches",
			"github.com/segmentio/kafka-go.(*Writer).spawn.func1")), "", true, ""},
		{"kafka-go idle broker connection", stack("chan receive, 30 minutes", chanRecv, fr(
			"github.com/segmentio/kafka-go.(*conn).run", "github.com/segmentio/kafka-go.(*connGroup).connect.func3")), "", true, ""},

		// confluent-kafka-go.
		{"confluent produce blocked in librdkafka", stack("syscall, 6 minutes", cgoCall, fr(
			"github.com/confluentinc/confluent-kafka-go/v2/kafka._Cfunc_do_produce @ _cgo_gotypes.go:1690",
			"github.com/confluentinc/confluent-kafka-go/v2/kafka.(*Producer).produce @ /root/go/pkg/mod/github.com/confluentinc/confluent-kafka-go/v2@v2.6.1/kafka/producer.go:251",
			"github.com/confluentinc/confluent-kafka-go/v2/kafka.channelProducer", "github.com/confluentinc/confluent-kafka-go/v2/kafka.NewProducer.func5")),
			"confluent-kafka-go.produce", false, ""},
		{"confluent commit without deadline", stack("syscall, 6 minutes", cgoCall, fr(
			"github.com/confluentinc/confluent-kafka-go/kafka._Cfunc_rd_kafka_commit_transaction",
			"github.com/confluentinc/confluent-kafka-go/kafka.(*Producer).CommitTransaction", "main.(*relay).commit")),
			"confluent-kafka-go.transaction", false, "main.(*relay).commit"},
		{"confluent poller with Events() undrained", stack("select, 6 minutes", selectWait, fr(
			"github.com/confluentinc/confluent-kafka-go/v2/kafka.(*handle).eventPoll", "github.com/confluentinc/confluent-kafka-go/v2/kafka.poller",
			"github.com/confluentinc/confluent-kafka-go/v2/kafka.NewProducer.func4")), "confluent-kafka-go.events", false, ""},
		{"confluent consumer polling is idle", stack("syscall, 40 minutes", cgoCall, fr(
			"github.com/confluentinc/confluent-kafka-go/v2/kafka._Cfunc__rk_queue_poll", "github.com/confluentinc/confluent-kafka-go/v2/kafka.(*handle).eventPoll",
			"github.com/confluentinc/confluent-kafka-go/v2/kafka.(*Consumer).Poll", "main.consume")), "", true, "main.consume"},

		// The OTel log SDK.
		{"OTel log export stuck", stack("select, 9 minutes", httpWait, fr(
			"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp.(*client).UploadLogs",
			"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp.(*Exporter).Export",
			"go.opentelemetry.io/otel/sdk/log.(*timeoutExporter).Export", "go.opentelemetry.io/otel/sdk/log.chunkExporter.Export",
			"go.opentelemetry.io/otel/sdk/log.(*BatchProcessor).exportBatch @ /root/go/pkg/mod/go.opentelemetry.io/otel/sdk/log@v1.47.0/batch.go:207",
			"go.opentelemetry.io/otel/sdk/log.(*BatchProcessor).process.func1")), "otel.log.export", false, ""},
		{"OTel log v0 export goroutine stuck", stack("select, 9 minutes", httpWait, fr(
			"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp.(*client).UploadLogs",
			"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp.(*Exporter).Export",
			"go.opentelemetry.io/otel/sdk/log.(*timeoutExporter).Export", "go.opentelemetry.io/otel/sdk/log.exportData.DoExport",
			"go.opentelemetry.io/otel/sdk/log.exportSync.func1")), "otel.log.export.v0", false, ""},
		{"OTel log ForceFlush", stack("select, 9 minutes", selectWait, fr(
			"go.opentelemetry.io/otel/sdk/log.(*BatchProcessor).ForceFlush", "go.opentelemetry.io/otel/sdk/log.(*LoggerProvider).ForceFlush",
			"main.(*server).flushLogs")), "otel.log.flush", false, "main.(*server).flushLogs"},
		{"OTel log processor idle", stack("select, 30 minutes", selectWait, fr(
			"go.opentelemetry.io/otel/sdk/log.(*BatchProcessor).process.func1")), "", true, ""},

		// etcd clientv3.
		{"etcd Watch not yet open", stack("select, 11 minutes", selectWait, fr(
			"go.etcd.io/etcd/client/v3.(*watcher).Watch @ /root/go/pkg/mod/go.etcd.io/etcd/client/v3@v3.7.3/watch.go:376",
			"main.(*registry).watchConfig")), "go.etcd.io/etcd/client/v3.watch.open", false, "main.(*registry).watchConfig"},
		{"etcd v3.4 Watch vendored in Kubernetes", stack("select, 11 minutes", selectWait, fr(
			"k8s.io/kubernetes/vendor/go.etcd.io/etcd/clientv3.(*watcher).Watch",
			"k8s.io/kubernetes/vendor/k8s.io/apiserver/pkg/storage/etcd3.(*watchChan).startWatching")),
			"go.etcd.io/etcd/clientv3.watch.open", false, ""},
		{"etcd Get waiting for ready (WaitForReady)", stack("select, 11 minutes", selectWait, fr(
			"google.golang.org/grpc.(*pickerWrapper).pick", "google.golang.org/grpc.(*ClientConn).getTransport",
			"google.golang.org/grpc.(*csAttempt).getTransport",
			"google.golang.org/grpc.newClientStreamWithParams.func2", "google.golang.org/grpc.(*clientStream).withRetry",
			"google.golang.org/grpc.newClientStreamWithParams", "google.golang.org/grpc.newClientStream", "google.golang.org/grpc.invoke",
			"go.etcd.io/etcd/client/v3.(*Client).unaryClientInterceptor.func1", "google.golang.org/grpc.(*ClientConn).Invoke",
			"go.etcd.io/etcd/api/v3/etcdserverpb.(*kVClient).Range", "go.etcd.io/etcd/client/v3.(*retryKVClient).Range",
			"go.etcd.io/etcd/client/v3.(*kv).Do", "go.etcd.io/etcd/client/v3.(*kv).Get", "main.loadConfig")),
			"go.etcd.io/etcd/client/v3.call", false, "main.loadConfig"},
		{"plain gRPC call waiting for a ready connection", stack("select, 11 minutes", selectWait, fr(
			"google.golang.org/grpc.(*pickerWrapper).pick", "google.golang.org/grpc.(*ClientConn).getTransport",
			"google.golang.org/grpc.(*csAttempt).getTransport", "google.golang.org/grpc.newClientStreamWithParams.func2",
			"google.golang.org/grpc.(*clientStream).withRetry", "google.golang.org/grpc.newClientStreamWithParams",
			"google.golang.org/grpc.newClientStream", "google.golang.org/grpc.invoke", "google.golang.org/grpc.(*ClientConn).Invoke",
			"main.(*pricingClient).Quote")), "grpc.pick", false, "main.(*pricingClient).Quote"},
		{"gRPC stream context watcher is idle", stack("select, 11 minutes", selectWait, fr(
			"google.golang.org/grpc.newClientStreamWithParams.func4")), "", true, ""},
		{"etcd distributed lock", stack("chan receive, 11 minutes", fr("runtime.gopark", "runtime.chanrecv", "runtime.chanrecv2"), fr(
			"go.etcd.io/etcd/client/v3/concurrency.waitDelete", "go.etcd.io/etcd/client/v3/concurrency.waitDeletes",
			"go.etcd.io/etcd/client/v3/concurrency.(*Mutex).Lock", "main.(*scheduler).runExclusive")),
			"go.etcd.io/etcd/client/v3.mutex", false, "main.(*scheduler).runExclusive"},
		{"etcd v3.7 watch stream opening its stream is the library's own loop", stack("select", selectWait, fr(
			"google.golang.org/grpc.(*pickerWrapper).pick", "google.golang.org/grpc.(*csAttempt).getTransport",
			"google.golang.org/grpc.newClientStreamWithParams.func2", "google.golang.org/grpc.(*clientStream).withRetry",
			"google.golang.org/grpc.newClientStreamWithParams", "google.golang.org/grpc.newClientStream",
			"go.etcd.io/etcd/client/v3.(*Client).streamClientInterceptor.func1", "google.golang.org/grpc.(*ClientConn).NewStream",
			"go.etcd.io/etcd/api/v3/etcdserverpb.(*watchClient).Watch", "go.etcd.io/etcd/client/v3.(*watchGRPCStream).openWatchClient",
			"go.etcd.io/etcd/client/v3.(*watchGRPCStream).newWatchClient", "go.etcd.io/etcd/client/v3.(*watchGRPCStream).run")), "", true, ""},
		{"coreos etcd watch stream is idle", stack("select, 50 minutes", selectWait, fr(
			"github.com/coreos/etcd/clientv3.(*watchGrpcStream).run")), "", true, ""},
		{"etcd election candidate is idle", stack("chan receive, 50 minutes", fr("runtime.gopark", "runtime.chanrecv", "runtime.chanrecv2"), fr(
			"go.etcd.io/etcd/client/v3/concurrency.waitDelete", "go.etcd.io/etcd/client/v3/concurrency.waitDeletes",
			"go.etcd.io/etcd/client/v3/concurrency.(*Election).Campaign", "main.runForLeader")), "", true, "main.runForLeader"},

		// client-go.
		{"client-go WaitForCacheSync", stack("select, 15 minutes", selectWait, fr(
			"k8s.io/apimachinery/pkg/util/wait.waitForWithContext", "k8s.io/apimachinery/pkg/util/wait.poll",
			"k8s.io/apimachinery/pkg/util/wait.PollImmediateUntilWithContext", "k8s.io/apimachinery/pkg/util/wait.PollImmediateUntil",
			"k8s.io/client-go/tools/cache.WaitForCacheSync @ /root/go/pkg/mod/k8s.io/client-go@v0.37.1/tools/cache/shared_informer.go:539",
			"k8s.io/client-go/tools/cache.WaitForNamedCacheSync", "main.(*Controller).Run")), "client-go.cache-sync", false, "main.(*Controller).Run"},
		{"client-go factory WaitForCacheSync (cache.WaitFor)", stack("chan receive, 15 minutes", chanRecv, fr(
			"k8s.io/client-go/tools/cache.WaitFor", "k8s.io/client-go/informers.(*sharedInformerFactory).WaitForCacheSyncWithContext",
			"k8s.io/client-go/informers.(*sharedInformerFactory).WaitForCacheSync", "main.run")), "client-go.cache-sync", false, "main.run"},
		{"client-go workqueue drain", stack("sync.Cond.Wait, 15 minutes", condWait, fr(
			"k8s.io/client-go/util/workqueue.(*Typed[...]).ShutDownWithDrain", "main.(*Controller).Stop")),
			"client-go.workqueue.drain", false, "main.(*Controller).Stop"},
		{"client-go worker idle in Get", stack("sync.Cond.Wait, 45 minutes", condWait, fr(
			"k8s.io/client-go/util/workqueue.(*Typed[...]).Get", "main.(*Controller).processNextWorkItem", "main.(*Controller).runWorker",
			"k8s.io/apimachinery/pkg/util/wait.BackoffUntil.func1")), "", true, "main.(*Controller).processNextWorkItem"},
		{"client-go reflector is idle", stack("select, 45 minutes", selectWait, fr(
			"k8s.io/client-go/tools/cache.(*Reflector).watch", "k8s.io/client-go/tools/cache.(*Reflector).ListAndWatch",
			"k8s.io/client-go/tools/cache.(*Reflector).Run.func1")), "", true, ""},
		{"leader election attempt stuck in its API call", stack("select, 15 minutes", httpWait, fr(
			"k8s.io/client-go/rest.(*Request).request", "k8s.io/client-go/rest.(*Request).Do",
			"k8s.io/client-go/kubernetes/typed/coordination/v1.(*leases).Get",
			"k8s.io/client-go/tools/leaderelection/resourcelock.(*LeaseLock).Get",
			"k8s.io/client-go/tools/leaderelection.(*LeaderElector).tryAcquireOrRenew",
			"k8s.io/client-go/tools/leaderelection.(*LeaderElector).acquire.func1",
			"k8s.io/apimachinery/pkg/util/wait.JitterUntilWithContext.func1", "k8s.io/apimachinery/pkg/util/wait.BackoffUntilWithContext.func1",
			"k8s.io/apimachinery/pkg/util/wait.BackoffUntilWithContext", "k8s.io/apimachinery/pkg/util/wait.JitterUntilWithContext",
			"k8s.io/client-go/tools/leaderelection.(*LeaderElector).acquire", "k8s.io/client-go/tools/leaderelection.(*LeaderElector).Run",
			"main.main")), "client-go.leader.acquire", false, "main.main"},
		{"leader election standby is idle", stack("select, 45 minutes", selectWait, fr(
			"k8s.io/apimachinery/pkg/util/wait.BackoffUntilWithContext", "k8s.io/apimachinery/pkg/util/wait.JitterUntilWithContext",
			"k8s.io/client-go/tools/leaderelection.(*LeaderElector).acquire", "k8s.io/client-go/tools/leaderelection.(*LeaderElector).Run",
			"main.main")), "", true, "main.main"},

		// SDKs over HTTP.
		{"AWS SDK v2 GetObject", stack("select, 6 minutes", httpWait, fr(
			"github.com/aws/aws-sdk-go-v2/aws/transport/http.(*BuildableClient).Do",
			"github.com/aws/smithy-go/transport/http.ClientHandler.Handle @ /root/go/pkg/mod/github.com/aws/smithy-go@v1.28.2/transport/http/client.go:72",
			"github.com/aws/smithy-go/middleware.decoratedHandler.Handle", "github.com/aws/aws-sdk-go-v2/aws/retry.(*Attempt).handleAttempt",
			"github.com/aws/aws-sdk-go-v2/aws/retry.(*Attempt).HandleFinalize", "github.com/aws/smithy-go/middleware.(*FinalizeStep).HandleMiddleware",
			"github.com/aws/aws-sdk-go-v2/service/s3.(*Client).invokeOperation", "github.com/aws/aws-sdk-go-v2/service/s3.(*Client).GetObject",
			"main.fetchReport")), "aws-sdk-go-v2.http", false, "main.fetchReport"},
		{"AWS SDK v1 ReceiveMessage", stack("select, 6 minutes", httpWait, fr(
			"github.com/aws/aws-sdk-go/aws/corehandlers.sendFollowRedirects", "github.com/aws/aws-sdk-go/aws/request.(*HandlerList).Run",
			"github.com/aws/aws-sdk-go/aws/request.(*Request).sendRequest", "github.com/aws/aws-sdk-go/aws/request.(*Request).Send",
			"github.com/aws/aws-sdk-go/service/sqs.(*SQS).ReceiveMessage", "main.pollQueue")), "aws-sdk-go.http", false, "main.pollQueue"},
		{"go-elasticsearch v8 search", stack("select, 6 minutes", httpWait, fr(
			"github.com/elastic/elastic-transport-go/v8/elastictransport.(*Client).Perform",
			"github.com/elastic/go-elasticsearch/v8.(*BaseClient).Perform", "github.com/elastic/go-elasticsearch/v8/esapi.SearchRequest.Do",
			"github.com/elastic/go-elasticsearch/v8/esapi.Search.func1", "main.searchOrders")), "go-elasticsearch.perform", false, "main.searchOrders"},
		{"go-elasticsearch v7 search", stack("select, 6 minutes", httpWait, fr(
			"github.com/elastic/go-elasticsearch/v7/estransport.(*Client).Perform", "github.com/elastic/go-elasticsearch/v7.(*Client).Perform",
			"github.com/elastic/go-elasticsearch/v7/esapi.SearchRequest.Do", "main.searchOrders")), "go-elasticsearch.perform", false, "main.searchOrders"},
		{"olivere/elastic search", stack("select, 6 minutes", httpWait, fr(
			"github.com/olivere/elastic/v7.(*Client).PerformRequest", "github.com/olivere/elastic/v7.(*SearchService).Do",
			"main.searchOrders")), "olivere-elastic.perform", false, "main.searchOrders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := analyzeDump(t, dumpText(tt.g))
			if len(a.nodes) != 1 {
				t.Fatalf("%d groups, want 1", len(a.nodes))
			}
			cls := a.nodes[0].cls
			got := "(none)"
			if cls.matched {
				got = cls.match.sig.ID
			}
			switch {
			case tt.wantBg && !cls.background:
				t.Errorf("classified %s (%s), want idle by design", got, cls.category)
			case !tt.wantBg && (cls.background || got != tt.wantID):
				t.Errorf("matched %s (background %v), want %s", got, cls.background, tt.wantID)
			}
			grp := a.nodes[0].grp
			if app := AppFrame(grp.Frames); tt.app != "" && (app < 0 || grp.Frames[app].Func != tt.app) {
				name := "none"
				if app >= 0 {
					name = grp.Frames[app].Func
				}
				t.Errorf("application frame %s, want %s: a library frame is never the application's", name, tt.app)
			}
		})
	}
}

// TestLibraryChains: the goroutines queued behind a library's plumbing are
// linked to the goroutines that hold it (Signature.HeldBy), and the
// holders are the root of the first finding.
func TestLibraryChains(t *testing.T) {
	const (
		kafkaGo = "github.com/segmentio/kafka-go"
		otelLog = "go.opentelemetry.io/otel/sdk/log"
		sqlite  = "github.com/mattn/go-sqlite3"
		rueidis = "github.com/redis/rueidis"
	)
	many := func(n int, g stackCase) []stackCase {
		out := make([]stackCase, n)
		for i := range out {
			out[i] = g
			// Distinct application callers keep the waiters in groups of
			// their own, as two call sites would.
			out[i].frames = append(append([]string{}, g.frames...), fmt.Sprintf("main.caller%d", i%2))
		}
		return out
	}
	tests := []struct {
		name       string
		goroutines []stackCase
		rootFn     string // a frame of the first finding's root
		waiterFn   string
		waiters    int
		category   Category
	}{
		{
			name: "kafka-go callers behind the partition writer and its broker connection",
			goroutines: append(many(6, stack("select, 5 minutes", selectWait, fr(kafkaGo+".(*Writer).WriteMessages", "main.(*server).publish"))),
				stack("select, 5 minutes", selectWait, fr(kafkaGo+".async.await", kafkaGo+".(*connPool).roundTrip", kafkaGo+".(*Transport).RoundTrip",
					kafkaGo+".(*Client).roundTrip", kafkaGo+".(*Client).Produce", kafkaGo+".(*Writer).produce",
					kafkaGo+".(*partitionWriter).writeBatch", kafkaGo+".(*partitionWriter).writeBatches", kafkaGo+".(*Writer).spawn.func1")),
				stack("IO wait, 5 minutes", netRead, fr("bufio.(*Reader).Peek", kafkaGo+"/protocol.(*Conn).RoundTrip",
					kafkaGo+".(*conn).roundTrip", kafkaGo+".(*conn).run", kafkaGo+".(*connGroup).connect.func3"))),
			rootFn: kafkaGo + ".(*conn).roundTrip", waiterFn: kafkaGo + ".(*Writer).WriteMessages", waiters: 6,
			category: CatIONoDeadline,
		},
		{
			name: "OTel log ForceFlush behind the stuck export",
			goroutines: append(many(3, stack("select, 9 minutes", selectWait, fr(otelLog+".(*BatchProcessor).ForceFlush",
				otelLog+".(*LoggerProvider).ForceFlush"))),
				stack("select, 9 minutes", httpWait, fr("go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp.(*client).UploadLogs",
					"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp.(*Exporter).Export", otelLog+".(*BatchProcessor).exportBatch",
					otelLog+".(*BatchProcessor).process.func1"))),
			rootFn: otelLog + ".(*BatchProcessor).exportBatch", waiterFn: otelLog + ".(*BatchProcessor).ForceFlush", waiters: 3,
			category: CatIONoDeadline,
		},
		{
			name: "go-sqlite3 callers behind the statement running in C",
			goroutines: append(many(4, stack("select, 7 minutes", selectWait, fr(sqlite+".(*SQLiteStmt).exec", sqlite+".(*SQLiteConn).exec",
				sqlite+".(*SQLiteConn).ExecContext", "database/sql.ctxDriverExec", "database/sql.(*DB).ExecContext"))),
				stack("syscall, 7 minutes", cgoCall, fr(sqlite+"._Cfunc__sqlite3_step_row_internal", sqlite+".(*SQLiteStmt).execSync",
					sqlite+".(*SQLiteStmt).exec.func1"))),
			rootFn: sqlite + ".(*SQLiteStmt).execSync", waiterFn: sqlite + ".(*SQLiteStmt).exec", waiters: 4,
			category: CatDBDriverNoCtx,
		},
		{
			name: "rueidis blocking commands queued for a dedicated connection",
			goroutines: append(many(5, stack("sync.Cond.Wait, 8 minutes", condWait, fr(rueidis+".(*pool).Acquire", rueidis+".(*mux).blocking",
				rueidis+".(*mux).Do", rueidis+".(*singleClient).Do"))),
				stack("IO wait, 8 minutes", netRead, fr("bufio.(*Reader).fill", rueidis+".syncRead", rueidis+".(*pipe).syncDo",
					rueidis+".(*pipe).Do", rueidis+".(*mux).blocking", rueidis+".(*mux).Do", rueidis+".(*singleClient).Do", "main.nextJob"))),
			rootFn: rueidis + ".(*pipe).syncDo", waiterFn: rueidis + ".(*pool).Acquire", waiters: 5,
			category: CatIONoDeadline,
		},
		{
			name: "pgxpool v4 callers behind connections reading",
			goroutines: append(many(6, stack("select, 6 minutes", selectWait, fr("github.com/jackc/puddle.(*Pool).Acquire",
				"github.com/jackc/pgx/v4/pgxpool.(*Pool).Acquire", "github.com/jackc/pgx/v4/pgxpool.(*Pool).Query"))),
				stack("IO wait, 6 minutes", netRead, fr("io.ReadAtLeast", "github.com/jackc/chunkreader/v2.(*ChunkReader).Next",
					"github.com/jackc/pgproto3/v2.(*Frontend).Receive", "github.com/jackc/pgconn.(*PgConn).peekMessage",
					"github.com/jackc/pgconn.(*PgConn).receiveMessage", "github.com/jackc/pgconn.(*ResultReader).NextRow",
					"github.com/jackc/pgx/v4.(*connRows).Next", "main.nightlyReport"))),
			rootFn: "github.com/jackc/pgconn.(*PgConn).receiveMessage", waiterFn: "github.com/jackc/puddle.(*Pool).Acquire", waiters: 6,
			category: CatDBDriverNoCtx,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, r := analyzeDump(t, dumpText(tt.goroutines...))
			if len(r.Findings) == 0 {
				t.Fatal("no finding")
			}
			f := r.Findings[0]
			if !rootHasFunction(f, tt.rootFn) {
				t.Fatalf("first finding's root lacks %s\n%s", tt.rootFn, describe(r, 4))
			}
			if f.Category != tt.category {
				t.Errorf("category %s, want %s\n%s", f.Category, tt.category, describe(r, 4))
			}
			if got := chainWaiters(f, tt.waiterFn); got != tt.waiters {
				t.Errorf("%d goroutines in %s chained under the root, want %d\n%s", got, tt.waiterFn, tt.waiters, describe(r, 4))
			}
			// The dump's creator (goroutine 1) is gone, but a connection
			// reading from a server is not waiting for whoever started it.
			if strings.Contains(f.Explanation, "nobody is left") {
				t.Errorf("the explanation blames the exited creator of goroutines blocked in I/O: %s", f.Explanation)
			}
		})
	}
}
