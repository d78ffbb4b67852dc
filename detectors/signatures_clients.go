package detectors

// The client libraries where production timeouts hide: Redis, Kafka,
// telemetry exporters and golang.org/x/sync. Every function name below was
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
	sigs = append(sigs, Signature{
		ID: "kafka-go.write", Library: "github.com/segmentio/kafka-go",
		Frames:   []string{"github.com/segmentio/kafka-go.(*Writer).WriteMessages"},
		Reasons:  []string{rSelect, rChanRecv},
		Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
		Why: "kafka-go's Writer.WriteMessages waits for the batch to be acknowledged by a broker that does " +
			"not answer, with a context without deadline",
		Fix: fixKafkaGo,
	})
	return sigs
}

const otelTrace = "go.opentelemetry.io/otel/sdk/trace"

func telemetrySignatures() []Signature {
	return []Signature{
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
