package detectors

// The client libraries where production timeouts hide: Redis, Kafka,
// telemetry exporters, golang.org/x/sync, etcd, Kubernetes client-go, the
// AWS SDK and Elasticsearch. Every function name below was
// checked against the library's source at the versions named in the
// comments; the README's coverage table says which rows a captured
// fixture backs.

// clientSignatures is the hole rows of the client libraries.
func clientSignatures() []Signature {
	var sigs []Signature
	sigs = append(sigs, redisSignatures()...)
	sigs = append(sigs, kafkaSignatures()...)
	sigs = append(sigs, telemetrySignatures()...)
	sigs = append(sigs, xsyncSignatures()...)
	sigs = append(sigs, etcdSignatures()...)
	sigs = append(sigs, kubernetesSignatures()...)
	sigs = append(sigs, httpAPISignatures()...)
	return sigs
}

// goRedisModules are go-redis's import paths by major version: v6 (and
// gopkg.in/redis.v5 and earlier, which UpstreamFunc maps to the same
// path) took no context; v7 took one on WithContext clients; v8 and v9 on
// every command.
var goRedisModules = []struct {
	mod          string
	contextAware bool
}{
	{"github.com/redis/go-redis/v9", true}, // v9.0-v9.23: pool.(*Conn).WithReader, (*ConnPool).waitTurn
	{"github.com/go-redis/redis/v8", true}, // v8.11.5
	{"github.com/go-redis/redis/v7", true}, // v7.4.1
	{"github.com/go-redis/redis", false},   // v6.15.9+incompatible
}

func redisSignatures() []Signature {
	var sigs []Signature
	for _, v := range goRedisModules {
		mod := v.mod
		pool := mod + "/internal/pool"
		sigs = append(sigs,
			Signature{
				ID: mod + ".read", Library: mod,
				Frames:   []string{pool + ".(*Conn).WithReader"},
				Reasons:  []string{rIOWait},
				Category: CatIONoDeadline, ContextAware: v.contextAware, Severity: SevHigh, Dominant: true,
				Why: "go-redis is reading a reply on a pool connection with no read deadline: ReadTimeout is " +
					"disabled (-1) or the command blocks by design (BLPOP, XREAD BLOCK 0), and the command's " +
					"context carries no deadline; the connection stays checked out of the pool for as long as " +
					"the server keeps it open without answering",
				Fix: fixRedis,
			},
			Signature{
				ID: mod + ".write", Library: mod,
				Frames:   []string{pool + ".(*Conn).WithWriter"},
				Reasons:  []string{rIOWait},
				Category: CatIONoDeadline, ContextAware: v.contextAware, Severity: SevHigh, Dominant: true,
				Why: "go-redis is writing a command to a server that does not read (its socket buffers are " +
					"full) with WriteTimeout disabled and no context deadline",
				Fix: fixRedis,
			},
			Signature{
				ID: mod + ".pool", Library: mod,
				Frames:   []string{pool + ".(*ConnPool).waitTurn"},
				Reasons:  []string{rSelect, rChanSend},
				HeldBy:   []string{pool + ".(*Conn).With*"},
				Waiting:  "queued for a go-redis pool connection",
				Category: CatIONoDeadline, ContextAware: v.contextAware, Severity: SevHigh,
				Why: "go-redis is waiting for a pool turn: every connection of the pool (PoolSize) is checked " +
					"out by a command that has not finished; the wait ends at PoolTimeout (default ReadTimeout " +
					"+ 1 s) or the context's deadline, so a long wait means both were raised or disabled",
				Fix: fixRedis,
			},
		)
	}
	for _, mod := range []string{"github.com/gomodule/redigo", "github.com/garyburd/redigo"} {
		pkg := mod + "/redis"
		id := "redigo"
		if mod != "github.com/gomodule/redigo" {
			id = "garyburd/redigo"
		}
		sigs = append(sigs,
			Signature{
				ID: id + ".read", Library: mod,
				Frames:   []string{pkg + ".(*conn).readReply"},
				Reasons:  []string{rIOWait},
				Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh, Dominant: true,
				Why: "redigo is reading a Redis reply on a connection dialled without DialReadTimeout; Conn.Do " +
					"takes no context, so nothing ends the read",
				Fix: fixRedigo,
			},
			Signature{
				// v1.8+: (*Pool).waitVacantConn; older: the wait inside
				// (*Pool).get.
				ID: id + ".pool", Library: mod,
				Frames:   []string{pkg + ".(*Pool).*"},
				Reasons:  []string{rChanRecv, rSelect, rCond},
				HeldBy:   []string{pkg + ".(*conn).readReply", pkg + ".(*conn).writeCommand"},
				Waiting:  "queued for a redigo pool connection",
				Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
				Why: "the goroutine is waiting for a free redigo pool connection (Wait: true, MaxActive " +
					"reached) with no context deadline (Pool.Get takes none)",
				Fix: fixRedigo,
			},
		)
	}
	// rueidis v1.0.79: commands queue on a pipelined connection and wait
	// for the background reader's reply in (*pipe).Do (a plain receive
	// for a context without Done); a lone caller reads it synchronously in
	// syncDo; blocking commands take a dedicated connection from
	// (*pool).Acquire, which waits on a sync.Cond.
	const rueidis = "github.com/redis/rueidis"
	sigs = append(sigs,
		Signature{
			ID: "rueidis.sync", Library: rueidis,
			Frames:   []string{rueidis + ".(*pipe).syncDo*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "rueidis is reading a reply synchronously with the deadline of the command's context, and it " +
				"has none: for a blocking command (BLPOP, XREAD BLOCK) ConnWriteTimeout is not applied either, " +
				"so the read lasts as long as the server keeps the connection open without answering",
			Fix: fixRueidis,
		},
		Signature{
			ID: "rueidis.do", Library: rueidis,
			Frames:   []string{rueidis + ".(*pipe).Do*"},
			Reasons:  []string{rChanRecv, rSelect},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "rueidis queued the command on a pipelined connection and waits for its reply with the " +
				"command's context, which carries no deadline (one without Done is not watched at all); the " +
				"connection's PING keep-alive ends a dead connection after ConnWriteTimeout, but not while a " +
				"blocking command holds it",
			Fix: fixRueidis,
		},
		Signature{
			ID: "rueidis.pool", Library: rueidis,
			Frames:   []string{rueidis + ".(*pool).Acquire"},
			Reasons:  []string{rCond},
			HeldBy:   []string{rueidis + ".(*pipe).syncDo*", rueidis + ".(*pipe).Do*"},
			Waiting:  "queued for a rueidis dedicated connection",
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "rueidis is waiting for a dedicated connection (blocking commands, DoStream, Dedicated): " +
				"every one of BlockingPoolSize is taken, typically by blocking commands whose contexts carry " +
				"no deadline; the wait honours only this command's context",
			Fix: fixRueidis,
		},
	)
	return sigs
}

// saramaModules are Sarama's import paths: github.com/Shopify/sarama
// until v1.38, github.com/IBM/sarama since (v1.61.1 checked); the
// gopkg.in/Shopify/sarama.v1 path maps to the first.
var saramaModules = []string{"github.com/IBM/sarama", "github.com/Shopify/sarama"}

func kafkaSignatures() []Signature {
	var sigs []Signature
	for _, mod := range saramaModules {
		broker := []string{mod + ".(*Broker).responseReceiver", mod + ".(*Broker).sendAndReceive"}
		sigs = append(sigs,
			Signature{
				ID: mod + ".syncproducer", Library: mod,
				Frames:   []string{mod + ".(*syncProducer).SendMessage*"},
				Reasons:  []string{rChanRecv, rChanSend, rSelect},
				HeldBy:   broker,
				Waiting:  "waiting in SyncProducer.SendMessage for the broker's acknowledgement",
				Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh,
				Why: "Sarama's SyncProducer.SendMessage waits for the broker's acknowledgement and takes no " +
					"context: no caller's deadline or cancellation can end the wait, only the broker " +
					"connection's Net.ReadTimeout and the producer's retries",
				Fix: fixSarama,
			},
			Signature{
				ID: mod + ".broker.read", Library: mod,
				Frames:   []string{mod + ".(*Broker).responseReceiver"},
				Reasons:  []string{rIOWait},
				Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh, Dominant: true,
				Why: "a Kafka broker connection's response reader is reading the answer to a request in flight " +
					"(its idle state is waiting for a request, not reading); the read is bounded only by " +
					"Net.ReadTimeout (default 30 s), so a read blocked for minutes means the timeout was raised " +
					"and the broker accepted the request and never answered",
				Fix: fixSarama,
			},
			Signature{
				ID: mod + ".broker", Library: mod,
				Frames:   []string{mod + ".(*Broker).sendAndReceive"},
				Reasons:  []string{rChanRecv, rSelect},
				HeldBy:   []string{mod + ".(*Broker).responseReceiver"},
				Waiting:  "waiting for a Kafka broker's response",
				Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh,
				Why: "Sarama is waiting for a broker's response; the wait is bounded only by Net.ReadTimeout",
				Fix: fixSarama,
			},
			Signature{
				ID: mod + ".input", Library: mod,
				Frames:   []string{mod + ".(*asyncProducer).Input"},
				Reasons:  []string{rChanSend},
				Category: CatChanSendBlocked, ContextAware: false, Severity: SevHigh,
				Why: "a send to Sarama's AsyncProducer.Input() is blocked: the producer cannot deliver or its " +
					"Errors()/Successes() channels are not drained",
				Fix: fixSarama,
			},
		)
	}
	sigs = append(sigs, kafkaGoSignatures()...)
	sigs = append(sigs, confluentSignatures()...)
	return sigs
}

// kafka-go v0.4.51: Writer.WriteMessages hands its messages to one
// partitionWriter goroutine per partition and waits (ctx or batch.done)
// for the batches; the partition writer writes them one at a time in
// writeBatch → (*Writer).produce → (*Client).Produce, on
// context.Background() with WriteTimeout, through the transport's
// connection goroutine ((*conn).run → (*conn).roundTrip, which sets that
// deadline on the socket). The low-level Conn reads with the deadline set
// by SetDeadline/SetReadDeadline only.
const kafkaGo = "github.com/segmentio/kafka-go"

func kafkaGoSignatures() []Signature {
	return []Signature{
		{
			ID: "kafka-go.write", Library: kafkaGo,
			Frames:   []string{kafkaGo + ".(*Writer).WriteMessages"},
			Reasons:  []string{rSelect, rChanRecv},
			HeldBy:   []string{kafkaGo + ".(*partitionWriter).writeBatch", kafkaGo + ".(*conn).roundTrip"},
			Waiting:  "waiting in Writer.WriteMessages for their batches",
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "kafka-go's Writer.WriteMessages waits for every batch its messages joined, with a context " +
				"without deadline; the partition's writer goroutine writes batches one at a time, each " +
				"attempt bounded only by WriteTimeout (default 10 s) and retried up to MaxAttempts (default " +
				"10) with backoff, so a broker that accepts and never acknowledges holds every caller for " +
				"minutes",
			Fix: fixKafkaGo,
		},
		{
			ID: "kafka-go.batch", Library: kafkaGo,
			Frames:   []string{kafkaGo + ".(*partitionWriter).writeBatch"},
			HeldBy:   []string{kafkaGo + ".(*conn).roundTrip"},
			Waiting:  "producing a batch through the broker connection",
			Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh, Dominant: true,
			Why: "a kafka-go partition writer is producing a batch to a broker that does not acknowledge it; " +
				"the produce runs on context.Background() with WriteTimeout per attempt, retried MaxAttempts " +
				"times with backoff (time.Sleep), and no caller's context reaches it: the batches behind it " +
				"and every WriteMessages caller waiting for them wait as long",
			Fix: fixKafkaGo,
		},
		{
			ID: "kafka-go.conn.roundtrip", Library: kafkaGo,
			Frames:   []string{kafkaGo + ".(*conn).roundTrip"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "a kafka-go transport connection is waiting for a broker's response to a request in " +
				"flight; its deadline is the request context's (the Writer's WriteTimeout, the Reader's " +
				"ReadTimeout), so a read blocked for minutes means those were raised and the broker accepted " +
				"the request and never answered",
			Fix: fixKafkaGo,
		},
		{
			ID: "kafka-go.Conn", Library: kafkaGo,
			Frames:   []string{kafkaGo + ".(*Conn).*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh, Dominant: true,
			Why: "a low-level kafka-go Conn (kafka.Dial, DialLeader) is waiting for a broker; Conn methods " +
				"take no context and read with the deadline set by SetDeadline/SetReadDeadline only, and none " +
				"was set",
			Fix: fixKafkaGo,
		},
	}
}

// confluent-kafka-go (v1 and v2 module paths) runs librdkafka through cgo:
// the blocking happens in C (a _Cfunc_ frame under runtime.cgocall, status
// syscall) or on the Events() channel the poller feeds.
const confluent = "github.com/confluentinc/confluent-kafka-go*/kafka"

func confluentSignatures() []Signature {
	lib := "github.com/confluentinc/confluent-kafka-go"
	return []Signature{
		{
			// (*Producer).produce → C.do_produce → rd_kafka_producev, with
			// RD_KAFKA_MSG_F_BLOCK on the ProduceChannel path.
			ID: "confluent-kafka-go.produce", Library: lib,
			Frames:   []string{confluent + "._Cfunc_do_produce"},
			Reasons:  []string{rSyscall},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh, Dominant: true,
			Why: "confluent-kafka-go is blocked inside librdkafka's produce (RD_KAFKA_MSG_F_BLOCK, the " +
				"ProduceChannel path): the local queue (queue.buffering.max.messages/kbytes) is full because " +
				"brokers are not taking messages. The call is in C and takes no context; only " +
				"message.timeout.ms failing the queued messages frees room",
			Fix: fixConfluent,
		},
		{
			ID: "confluent-kafka-go.transaction", Library: lib,
			Frames:   []string{confluent + "._Cfunc_rd_kafka_*transaction*"},
			Reasons:  []string{rSyscall},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "a confluent-kafka-go transactional call (InitTransactions, CommitTransaction, " +
				"AbortTransaction, SendOffsetsToTransaction) is waiting in librdkafka for the transaction " +
				"coordinator; the call's context becomes the C timeout, and a nil context or one without " +
				"deadline waits indefinitely",
			Fix: fixConfluent,
		},
		{
			ID: "confluent-kafka-go.consumer.close", Library: lib,
			Frames:   []string{confluent + "._Cfunc_rd_kafka_consumer_close*"},
			Reasons:  []string{rSyscall},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevMedium, Dominant: true,
			Why: "a confluent-kafka-go Consumer.Close is waiting in librdkafka to leave the group (final " +
				"commit, revoking partitions) with no timeout: a coordinator that does not answer, or a " +
				"rebalance callback that never returns, holds it",
			Fix: fixConfluent,
		},
		{
			// eventPoll forwards delivery reports to Events() with a
			// select on the channel and the poller's termination channel.
			ID: "confluent-kafka-go.events", Library: lib,
			Frames:   []string{confluent + ".(*handle).eventPoll", confluent + ".poller"},
			Reasons:  []string{rChanSend, rSelect},
			Category: CatChanSendBlocked, ContextAware: false, Severity: SevHigh,
			Why: "the producer's poller is blocked forwarding a delivery report to Events(), which nobody " +
				"drains (its buffer, go.events.channel.size, is full): librdkafka's queue is no longer served, " +
				"so Produce soon fails with ErrQueueFull or, on the ProduceChannel path, blocks",
			Fix: fixConfluent,
		},
		{
			ID: "confluent-kafka-go.flush", Library: lib,
			Frames:   []string{confluent + ".(*Producer).Flush"},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevMedium,
			Why: "Producer.Flush polls until every queued message is delivered or its timeoutMs passes; it " +
				"takes no context, so a caller with a long timeout waits for brokers that do not acknowledge",
			Fix: fixConfluent,
		},
	}
}

const otelTrace = "go.opentelemetry.io/otel/sdk/trace"

func telemetrySignatures() []Signature {
	return append([]Signature{
		{
			// v1.47.0: OnEnd → enqueue → enqueueBlockOnQueueFull(context.TODO(), span).
			ID: "otel.batch.enqueue", Library: otelTrace,
			Waiting:  "blocked in span.End on the batch span processor's full queue",
			Frames:   []string{otelTrace + ".(*batchSpanProcessor).enqueueBlockOnQueueFull"},
			Reasons:  []string{rSelect, rChanSend},
			HeldBy:   []string{otelTrace + ".(*batchSpanProcessor).exportSpans"},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh,
			Why: "span.End is blocked because the batch span processor was built WithBlocking and its queue " +
				"is full; the processor waits for room on context.TODO(), so no request context can end the " +
				"wait: only the export that drains the queue can",
			Fix: fixOTel,
		},
		{
			ID: "otel.batch.export", Library: otelTrace,
			Frames:   []string{otelTrace + ".(*batchSpanProcessor).exportSpans"},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "the batch span processor's goroutine is inside an export that does not return: the " +
				"exporter is stuck on its collector and the export runs with no deadline (ExportTimeout 0, " +
				"an exporter client with no timeout); while it is stuck nothing drains the span queue",
			Fix: fixOTel,
		},
		{
			ID: "otel.simple.onend", Library: otelTrace,
			Frames:   []string{otelTrace + ".(*simpleSpanProcessor).OnEnd"},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh,
			Why: "span.End runs the simple span processor, which exports every span synchronously under a " +
				"mutex: a slow or dead collector stalls every request ending a span",
			Fix: fixOTel,
		},
		{
			ID: "otel.flush", Library: otelTrace,
			Waiting:  "waiting in ForceFlush for the export",
			Frames:   []string{otelTrace + ".(*batchSpanProcessor).ForceFlush"},
			Reasons:  []string{rSelect},
			HeldBy:   []string{otelTrace + ".(*batchSpanProcessor).exportSpans"},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "ForceFlush waits for the exporter with a context without deadline",
			Fix: fixOTel,
		},
		{
			ID: "otel.otlptrace.upload", Library: "go.opentelemetry.io/otel/exporters/otlp/otlptrace",
			Frames:   []string{"go.opentelemetry.io/otel/exporters/otlp/otlptrace/*.(*client).UploadTraces"},
			Not:      []string{otelTrace + ".(*batchSpanProcessor).exportSpans"},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "the OTLP trace exporter is uploading to a collector that does not answer; with no exporter " +
				"timeout the export, and everything waiting on it, hangs",
			Fix: fixOTel,
		},
	}, otelLogSignatures()...)
}

// otelLogSignatures: the log SDK's BatchProcessor exports from one
// goroutine. v1.47.0: process.func1 → exportBatch → Export on
// context.Background() with the processor's timeout; ForceFlush and
// Shutdown hand requests to that goroutine and wait. Before the rewrite
// (v0.x), the exporter ran in exportSync.func1 → exportData.DoExport and
// callers waited in bufferExporter.Export/ForceFlush.
const otelLog = "go.opentelemetry.io/otel/sdk/log"

func otelLogSignatures() []Signature {
	exporters := []string{otelLog + ".(*BatchProcessor).exportBatch", otelLog + ".(*BatchProcessor).flushExporter",
		otelLog + ".exportData.DoExport"}
	return []Signature{
		{
			ID: "otel.log.export", Library: otelLog,
			Frames:   []string{otelLog + ".(*BatchProcessor).exportBatch"},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "the log batch processor's goroutine is inside an export that does not return; the SDK " +
				"bounds each export with its export timeout (default 30 s), so an export stuck for minutes " +
				"is an exporter that ignores its context. Meanwhile nothing else is exported: OnEmit drops " +
				"records once the queue is full, and ForceFlush and Shutdown wait",
			Fix: fixOTelLog,
		},
		{
			ID: "otel.log.export.v0", Library: otelLog,
			Frames:   []string{otelLog + ".exportData.DoExport"},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "the log batch processor's export goroutine is inside an exporter's Export that does not " +
				"return: the exporter ignores the export timeout's context; while it is stuck, no record is " +
				"exported and ForceFlush waits",
			Fix: fixOTelLog,
		},
		{
			ID: "otel.log.flush", Library: otelLog,
			Frames:   []string{otelLog + ".(*BatchProcessor).ForceFlush"},
			Reasons:  []string{rSelect, rChanSend, rChanRecv},
			HeldBy:   exporters,
			Waiting:  "waiting in the log processor's ForceFlush for the export",
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "ForceFlush hands its request to the log batch processor's goroutine and waits with a " +
				"context without deadline, while that goroutine is stuck in an export",
			Fix: fixOTelLog,
		},
		{
			ID: "otel.log.shutdown", Library: otelLog,
			Frames:   []string{otelLog + ".(*BatchProcessor).Shutdown"},
			Reasons:  []string{rSelect, rChanSend},
			HeldBy:   exporters,
			Waiting:  "waiting in the log processor's Shutdown for the export",
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "Shutdown waits for the log batch processor's goroutine to finish the export in progress " +
				"and flush the queue, with a context without deadline: a stuck exporter hangs shutdown",
			Fix: fixOTelLog,
		},
		{
			ID: "otel.log.buffer", Library: otelLog,
			Frames:   []string{otelLog + ".(*bufferExporter).*"},
			Reasons:  []string{rSelect, rChanSend},
			HeldBy:   exporters,
			Waiting:  "waiting for the log exporter's goroutine",
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "a synchronous log export or flush waits for the processor's export goroutine with a " +
				"context without deadline, while that goroutine is stuck in an export",
			Fix: fixOTelLog,
		},
	}
}

const xsync = "golang.org/x/sync"

func xsyncSignatures() []Signature {
	return []Signature{
		{
			// v0.25.0: Acquire selects on ctx.Done() and the waiter's ready
			// channel; a request larger than the semaphore waits on
			// ctx.Done() alone.
			ID: "x/sync/semaphore.acquire", Library: xsync + "/semaphore",
			Frames: []string{xsync + "/semaphore.(*Weighted).Acquire"},
			// Pools built on a semaphore are queues for connections, not
			// locks: their own rows name them.
			Not:      []string{"github.com/jackc/puddle/v2.*"},
			Reasons:  []string{rSelect, rChanRecv},
			Lock:     true,
			Waiting:  "queued on a weighted semaphore",
			Category: CatMutexConvoy, ContextAware: true, Severity: SevMedium,
			Why: "the goroutine is queued for a slot of a weighted semaphore; Acquire honours its context, " +
				"and this one has no deadline, so it waits as long as the holders keep their slots. A " +
				"semaphore records no owner: the holders are the goroutines in the acquiring function past " +
				"the Acquire call",
			Fix: fixSemaphore,
		},
		{
			// Do: duplicate callers wait in c.wg.Wait() for the leader
			// running fn in doCall.
			ID: "x/sync/singleflight.do", Library: xsync + "/singleflight",
			Frames:   []string{xsync + "/singleflight.(*Group).Do"},
			Reasons:  []string{rWaitGroup, rSemacq},
			HeldBy:   []string{xsync + "/singleflight.(*Group).doCall*"},
			Waiting:  "waiting in singleflight.Group.Do for the call in flight",
			Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh,
			Why: "singleflight.Group.Do makes every caller for a key wait for the one call already in flight, " +
				"and takes no context: when that call hangs, every caller hangs with it",
			Fix: fixSingleflight,
		},
		{
			ID: "x/sync/errgroup.wait", Library: xsync + "/errgroup",
			Frames:   []string{xsync + "/errgroup.(*Group).Wait"},
			Reasons:  []string{rWaitGroup, rSemacq},
			HeldBy:   []string{xsync + "/errgroup.(*Group).Go.func*"},
			Waiting:  "waiting in errgroup.Group.Wait",
			Category: CatWaitGroupStuck, ContextAware: false, Severity: SevMedium,
			Why: "errgroup.Group.Wait returns only when every function started with Go has returned; the " +
				"group's context is cancelled on the first error, but a function that ignores it keeps Wait " +
				"blocked",
			Fix: fixWaitGroup,
		},
	}
}
