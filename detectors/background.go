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
		bg("pgx5.ctxwatch", "github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgconn/ctxwatch.*"),
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
		bg("grpc.stream.ctxwatch", "google.golang.org/grpc", "google.golang.org/grpc.newClientStreamWithParams.func*"),
		// Before newClientStreamWithParams (grpc-go < 1.55) the same
		// per-stream watcher was a closure of newClientStream.
		bg("grpc.stream.ctxwatch.old", "google.golang.org/grpc", "google.golang.org/grpc.newClientStream.func*"),
		bg("grpc.channelz", "google.golang.org/grpc", "google.golang.org/grpc/internal/channelz.*"),

		// Client libraries' own loops.
		bg("kafka-go.reader", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*reader).*"),
		bg("kafka-go.fetch", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*Reader).FetchMessage"),
		bg("kafka-go.readerrun", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*Reader).run"),
		bg("kafka-go.writer", "github.com/segmentio/kafka-go", "github.com/segmentio/kafka-go.(*partitionWriter).*"),
		bg("nats.readLoop", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*Conn).readLoop"),
		bg("nats.flusher", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*Conn).flusher"),
		bg("nats.waitForMsgs", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*Conn).waitForMsgs"),
		bg("nats.asyncCB", "github.com/nats-io/nats.go", "github.com/nats-io/nats.go.(*asyncCallbacksHandler).*"),
		// The batch span processor is idle while it waits in its own
		// select; inside exportSpans it is an export that may be stuck.
		{ID: "otel.batch.processQueue", Library: "go.opentelemetry.io/otel/sdk/trace", Background: true, Innermost: true,
			Frames: []string{"go.opentelemetry.io/otel/sdk/trace.(*batchSpanProcessor).processQueue"}},
		bg("otel.metric.reader", "go.opentelemetry.io/otel/sdk/metric", "go.opentelemetry.io/otel/sdk/metric.(*PeriodicReader).run"),
		bg("otel.log.batch", "go.opentelemetry.io/otel/sdk/log", "go.opentelemetry.io/otel/sdk/log.(*BatchProcessor).poll.func*"),
		bg("client-go.cache", "k8s.io/client-go", "k8s.io/client-go/tools/cache.*"),
		bg("client-go.workqueue", "k8s.io/client-go", "k8s.io/client-go/util/workqueue.*"),
		bg("etcd.watch", "go.etcd.io/etcd/client/v3", "go.etcd.io/etcd/client/v3.(*watchGrpcStream).*"),
		bg("etcd.lease", "go.etcd.io/etcd/client/v3", "go.etcd.io/etcd/client/v3.(*lessor).*"),
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
