package detectors

// backgroundSignatures are long-lived loops that wait for work: the runtime's
// own goroutines, accept loops, the HTTP transport's connection readers, the
// gRPC transport, database/sql's pool maintenance, signal handling, client
// libraries' reader and heartbeat loops. Waiting is their job; they are not
// holes, however long they wait.
func backgroundSignatures() []Signature {
	bg := func(id, lib string, frames ...string) Signature {
		return Signature{ID: id, Library: lib, Frames: frames, Background: true}
	}
	sigs := []Signature{
		// The runtime.
		{ID: "runtime.idle", Library: "runtime", Background: true, Reasons: []string{
			"GC worker (idle)", "GC worker (active)", "finalizer wait", "force gc (idle)", "GC sweep wait",
			"GC scavenge wait", "GOMAXPROCS updater (idle)", "trace reader (blocked)", "cleanup wait",
			"wait for GC cycle", "GC weak to strong wait", "trace goroutine status", "trace proc status",
			"page trace flush",
		}},
		bg("runtime.forcegc", "runtime", "runtime.forcegchelper"),
		bg("runtime.bgsweep", "runtime", "runtime.bgsweep"),
		bg("runtime.bgscavenge", "runtime", "runtime.bgscavenge"),
		bg("runtime.runfinq", "runtime", "runtime.runfinq"),
		bg("runtime.gcBgMarkWorker", "runtime", "runtime.gcBgMarkWorker"),
		bg("runtime.unique", "unique", "unique.runtime_registerUniqueMapCleanup.func*"),
		bg("os/signal.loop", "os/signal", "os/signal.signal_recv"),
		bg("os/signal.loop2", "os/signal", "os/signal.loop"),
		bg("signal.Notify.ctx", "os/signal", "os/signal.NotifyContext.func1"),
		bg("runtime/pprof.writer", "runtime/pprof", "runtime/pprof.*"),
		bg("runtime/trace.reader", "runtime/trace", "runtime/trace.Start.func1"),
		bg("runtime/trace.flightrecorder", "runtime/trace", "runtime/trace.(*FlightRecorder).*"),
		// os/exec's helpers copy a child's output and watch its context;
		// the Cmd.Wait that waits for them is the finding.
		bg("os/exec.copy", "os/exec", "os/exec.(*Cmd).writerDescriptor.func*"),
		bg("os/exec.start", "os/exec", "os/exec.(*Cmd).Start.func*"),
		bg("os/exec.watchCtx", "os/exec", "os/exec.(*Cmd).watchCtx*"),
		bg("context.afterFunc", "context", "context.(*afterFuncCtx).*"),
		bg("context.propagate", "context", "context.(*cancelCtx).propagateCancel.func*"),

		// Accept loops.
		bg("net/http.Serve", "net/http", "net/http.(*Server).Serve"),
		bg("net.accept", "net", "net.(*TCPListener).Accept"),
		bg("net.accept.unix", "net", "net.(*UnixListener).Accept"),
		bg("grpc.Serve", "google.golang.org/grpc", "google.golang.org/grpc.(*Server).Serve"),

		// net/http connection plumbing: idle pooled client connections and
		// a server's background read while a handler runs.
		bg("net/http.readLoop", "net/http", "net/http.(*persistConn).readLoop"),
		bg("net/http.writeLoop", "net/http", "net/http.(*persistConn).writeLoop"),
		bg("net/http.backgroundRead", "net/http", "net/http.(*connReader).backgroundRead"),
		bg("net/http.h2.readLoop", "net/http", "net/http.(*http2clientConnReadLoop).run"),
		bg("net/http.h2.serve", "net/http", "net/http.(*http2serverConn).serve"),
		bg("net/http.h2.readFrames", "net/http", "net/http.(*http2serverConn).readFrames"),
		bg("x/net/http2.readLoop", "golang.org/x/net/http2", "golang.org/x/net/http2.(*clientConnReadLoop).run"),
		bg("x/net/http2.serve", "golang.org/x/net/http2", "golang.org/x/net/http2.(*serverConn).serve"),
		bg("x/net/http2.readFrames", "golang.org/x/net/http2", "golang.org/x/net/http2.(*serverConn).readFrames"),

		// database/sql pool maintenance and its context helpers.
		bg("database/sql.opener", "database/sql", "database/sql.(*DB).connectionOpener"),
		bg("database/sql.cleaner", "database/sql", "database/sql.(*DB).connectionCleaner"),
		bg("database/sql.resetter", "database/sql", "database/sql.(*DB).connectionResetter"),
		bg("database/sql.tx.awaitDone", "database/sql", "database/sql.(*Tx).awaitDone"),
		bg("database/sql.rows.awaitDone", "database/sql", "database/sql.(*Rows).awaitDone"),
		bg("lib/pq.listener", "github.com/lib/pq", "github.com/lib/pq.(*ListenerConn).listenerConnMain"),
		bg("lib/pq.listenerMain", "github.com/lib/pq", "github.com/lib/pq.(*Listener).listenerMain"),
		bg("lib/pq.listenerLoop", "github.com/lib/pq", "github.com/lib/pq.(*Listener).listenerConnLoop"),
		bg("lib/pq.watchCancel", "github.com/lib/pq", "github.com/lib/pq.(*conn).watchCancel.func*"),
		// pgx's context watchers: v5.6-v5.8 pgconn/ctxwatch, before that
		// pgconn/internal/ctxwatch; v3's contextHandler per call.
		bg("pgx5.ctxwatch", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn/*ctxwatch.*"),
		bg("pgx3.contextHandler", "github.com/jackc/pgx", "github.com/jackc/pgx.(*Conn).contextHandler"),
		// puddle v1's Acquire waits on its Cond in a helper goroutine
		// when the context can be cancelled; the caller in Acquire is the
		// waiter (pgxpool4.acquire).
		bg("puddle1.acquire.helper", "github.com/jackc/puddle", "github.com/jackc/puddle.(*Pool).Acquire.func*"),
		bg("pgx4.ctxwatch", "github.com/jackc/pgconn", "github.com/jackc/pgconn/internal/ctxwatch.*"),
		bg("pgx5.bgreader", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn/internal/bgreader.(*BGReader).bgRead"),
		bg("pgxpool.health", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
		// puddle's own goroutines (resource construction); a caller queued
		// in Acquire is pgxpool.acquire's.
		{ID: "puddle.background", Library: "github.com/jackc/puddle/v2", Background: true,
			Frames: []string{"github.com/jackc/puddle/v2.*"}, Not: []string{"github.com/jackc/puddle/v2.(*Pool[...]).Acquire"}},
		bg("mysql.watcher", "github.com/go-sql-driver/mysql", "github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func*"),
		bg("mongo.monitor", "go.mongodb.org/mongo-driver", "go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*Server).update"),
		bg("mongo.rtt", "go.mongodb.org/mongo-driver", "go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*rttMonitor).*"),
		bg("mongo.pool.maintain", "go.mongodb.org/mongo-driver", "go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*pool).*aintain*"),
		bg("mongo.pool.createConnections", "go.mongodb.org/mongo-driver", "go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*pool).createConnections*"),
		// The per-read cancellation listener ((*contextDoneListener).Listen
		// in v2, (*cancellListener).Listen in v1) waits with the read.
		bg("mongo.cancellListener", "go.mongodb.org/mongo-driver", "go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*c*Listener).Listen"),
		// go-sqlite3's context watcher for a query's rows.
		bg("go-sqlite3.query.watch", "github.com/mattn/go-sqlite3", "github.com/mattn/go-sqlite3.(*SQLiteStmt).query.func*"),

		// gRPC transport and control plane.
		bg("grpc.transport", "google.golang.org/grpc", "google.golang.org/grpc/internal/transport.*"),
		// grpc-go before 1.12 kept the transport outside internal/.
		bg("grpc.transport.old", "google.golang.org/grpc", "google.golang.org/grpc/transport.(*http2*).*"),
		bg("grpc.grpcsync", "google.golang.org/grpc", "google.golang.org/grpc/internal/grpcsync.*"),
		bg("grpc.dns", "google.golang.org/grpc", "google.golang.org/grpc/internal/resolver/dns.*"),
		bg("grpc.balancer", "google.golang.org/grpc", "google.golang.org/grpc.(*ccBalancerWrapper).*"),
		bg("grpc.addrConn", "google.golang.org/grpc", "google.golang.org/grpc.(*addrConn).*"),
		bg("grpc.idle", "google.golang.org/grpc", "google.golang.org/grpc/internal/idle.*"),
		bg("grpc.serveStreams", "google.golang.org/grpc", "google.golang.org/grpc.(*Server).serveStreams"),
		bg("grpc.handleRawConn", "google.golang.org/grpc", "google.golang.org/grpc.(*Server).handleRawConn"),
		// The per-stream context watcher is idle in its own select; other
		// closures of the same function (the attempt's op, which waits
		// for a ready transport in pickerWrapper.pick) are not watchers.
		{ID: "grpc.stream.ctxwatch", Library: "google.golang.org/grpc", Background: true, Innermost: true,
			Frames: []string{"google.golang.org/grpc.newClientStreamWithParams.func*"}},
		// Before newClientStreamWithParams (grpc-go < 1.55) the same
		// per-stream watcher was a closure of newClientStream.
		{ID: "grpc.stream.ctxwatch.old", Library: "google.golang.org/grpc", Background: true, Innermost: true,
			Frames: []string{"google.golang.org/grpc.newClientStream.func*"}},
		bg("grpc.channelz", "google.golang.org/grpc", "google.golang.org/grpc/internal/channelz.*"),

		// Client libraries' own loops.
		bg("kafka-go.reader", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*reader).*"),
		bg("kafka-go.fetch", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*Reader).FetchMessage"),
		bg("kafka-go.readerrun", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*Reader).run"),
		// A partition writer is idle while it waits for a batch to fill or
		// be queued; inside writeBatch it is a produce that may be stuck.
		bg("kafka-go.awaitBatch", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*partitionWriter).awaitBatch"),
		bg("kafka-go.batchQueue", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*batchQueue).Get"),
		{ID: "kafka-go.conn.run", Library: "github.com/segmentio/kafka-go", Background: true, Innermost: true,
			Frames: []string{"github.com/segmentio/kafka-go.(*conn).run"}},
		bg("kafka-go.discover", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*connPool).discover"),
		// rueidis: each pipe's reader and writer loops, its PINGs, and the
		// pool's context watcher.
		bg("rueidis.pipe", "github.com/redis/rueidis", "github.com/redis/rueidis.(*pipe)._background*"),
		bg("rueidis.ping", "github.com/redis/rueidis", "github.com/redis/rueidis.(*pipe).backgroundPing*"),
		bg("rueidis.pubsub", "github.com/redis/rueidis", "github.com/redis/rueidis.(*pipe).Receive"),
		bg("rueidis.pool.ctx", "github.com/redis/rueidis", "github.com/redis/rueidis.(*pool).Acquire.func*"),
		// confluent-kafka-go: the poller and a consumer waiting in
		// librdkafka's queue poll (Poll, ReadMessage) are idle.
		bg("confluent-kafka-go.poll", "github.com/confluentinc/confluent-kafka-go", "github.com/confluentinc/confluent-kafka-go*/kafka._Cfunc__rk_queue_poll"),
		bg("nats.readLoop", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*Conn).readLoop"),
		bg("nats.flusher", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*Conn).flusher"),
		bg("nats.waitForMsgs", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*Conn).waitForMsgs"),
		bg("nats.asyncCB", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*asyncCallbacksHandler).*"),
		// The batch span processor is idle while it waits in its own
		// select; inside exportSpans it is an export that may be stuck.
		{ID: "otel.batch.processQueue", Library: "go.opentelemetry.io/otel/sdk/trace", Background: true, Innermost: true,
			Frames: []string{"go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue"}},
		bg("otel.metric.reader", "go.opentelemetry.io/otel/sdk/metric", "go.opentelemetry.io/otel/sdk/metric.(*PeriodicReader).run"),
		// The log batch processor's goroutine (process.func1 since the
		// v1.4x rewrite, poll.func1 and exportSync.func1 before) is idle
		// in its own select; inside an export it is a finding.
		{ID: "otel.log.batch", Library: "go.opentelemetry.io/otel/sdk/log", Background: true, Innermost: true,
			Frames: []string{"go.opentelemetry.io/otel/sdk/log.(*BatchProcessor).process.func*"}},
		{ID: "otel.log.poll", Library: "go.opentelemetry.io/otel/sdk/log", Background: true, Innermost: true,
			Frames: []string{"go.opentelemetry.io/otel/sdk/log.(*BatchProcessor).poll.func*"}},
		{ID: "otel.log.exportSync", Library: "go.opentelemetry.io/otel/sdk/log", Background: true, Innermost: true,
			Frames: []string{"go.opentelemetry.io/otel/sdk/log.exportSync.func*"}},
		// client-go: informers, reflectors and workers waiting in Get are
		// idle; waiting for a cache to sync or a queue to drain is not.
		{ID: "client-go.cache", Library: "k8s.io/client-go", Background: true,
			Frames: []string{"k8s.io/client-go/tools/cache.*"}, Not: []string{"k8s.io/client-go/tools/cache.WaitFor*"}},
		{ID: "client-go.workqueue", Library: "k8s.io/client-go", Background: true,
			Frames: []string{"k8s.io/client-go/util/workqueue.*"}, Not: []string{"k8s.io/client-go/util/workqueue.(*Type*).ShutDownWithDrain"}},
		// A standby replica waiting for its next attempt at the lease is
		// idle; one stuck in an attempt's API call is a finding
		// (client-go.leader.acquire). Renewals are bounded by RenewDeadline.
		{ID: "client-go.leader.standby", Library: "k8s.io/client-go", Background: true,
			Frames: []string{"k8s.io/client-go/tools/leaderelection.(*LeaderElector).acquire"},
			Not:    []string{"k8s.io/client-go/tools/leaderelection.(*LeaderElector).try*"}},
		bg("client-go.leader.renew", "k8s.io/client-go", "k8s.io/client-go/tools/leaderelection.(*LeaderElector).renew"),
		bg("cron.run", "github.com/robfig/cron/v3", "github.com/robfig/cron/v3.(*Cron).run"),
		bg("fsnotify.read", "github.com/fsnotify/fsnotify", "github.com/fsnotify/fsnotify.(*Watcher).readEvents"),
		bg("go-cache.janitor", "github.com/patrickmn/go-cache", "github.com/patrickmn/go-cache.(*janitor).Run"),
		bg("fasthttp.workers", "github.com/valyala/fasthttp", "github.com/valyala/fasthttp.(*workerPool).*"),
		bg("klog.flush", "k8s.io/klog/v2", "k8s.io/klog/v2.(*flushDaemon).run.func*"),
		bg("glog.flush", "github.com/golang/glog", "github.com/golang/glog.(*fileSink).flushDaemon"),
		bg("opencensus.worker", "go.opencensus.io", "go.opencensus.io/stats/view.(*worker).start"),
	}
	for _, mod := range []string{"github.com/rabbitmq/amqp091-go", "github.com/streadway/amqp"} {
		sigs = append(sigs,
			bg(mod+".reader", mod, mod+".(*Connection).reader"),
			bg(mod+".heartbeater", mod, mod+".(*Connection).heartbeater"),
			bg(mod+".demux", mod, mod+".(*Connection).demux"),
		)
	}
	for _, mod := range etcdModules {
		sigs = append(sigs,
			// watchGrpcStream up to v3.5, watchGRPCStream in v3.7.
			bg(mod+".watchStream", mod, mod+".(*watchG*Stream).*"),
			bg(mod+".lease", mod, mod+".(*lessor).*"),
			// A candidate waiting to be elected, an observer, and a
			// session's keep-alive consumer wait by design.
			bg(mod+".campaign", mod, mod+"/concurrency.(*Election).Campaign"),
			bg(mod+".observe", mod, mod+"/concurrency.(*Election).observe"),
			bg(mod+".session", mod, mod+"/concurrency.NewSession.func*"),
		)
	}
	for _, v := range goRedisModules {
		sigs = append(sigs,
			bg(v.mod+".reaper", v.mod, v.mod+"/internal/pool.(*ConnPool).reaper"),
			// A subscriber waiting for messages is idle, whatever it reads.
			bg(v.mod+".pubsub", v.mod, v.mod+".(*PubSub).Receive*"),
			bg(v.mod+".channel", v.mod, v.mod+".(*channel).*"),
		)
	}
	for _, mod := range saramaModules {
		// A broker connection's reader is idle while it waits for a
		// request to answer; reading is an answer in flight.
		sigs = append(sigs, Signature{ID: mod + ".(*Broker).responseReceiver", Library: mod, Background: true, Innermost: true,
			Frames: []string{mod + ".(*Broker).responseReceiver"}, Reasons: []string{rChanRecv}})
		for _, fn := range []string{
			".(*partitionConsumer).*", ".(*brokerConsumer).*",
			".(*asyncProducer).dispatcher", ".(*topicProducer).dispatch", ".(*partitionProducer).dispatch",
			".(*brokerProducer).run", ".(*client).backgroundMetadataUpdater", ".(*consumerGroupSession).heartbeatLoop",
			".(*asyncProducer).retryHandler", ".(*asyncProducer).newBrokerProducer.func*",
			".(*syncProducer).handleSuccesses", ".(*syncProducer).handleErrors",
		} {
			sigs = append(sigs, bg(mod+fn, mod, mod+fn))
		}
	}
	return sigs
}
