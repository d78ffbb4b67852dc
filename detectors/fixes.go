package detectors

// The fixes the signature tables point at. Each says what to change, why,
// and shows it in a few lines of Go.

var fixHTTPClient = Fix{
	Summary: "give the HTTP client a deadline: http.Client{Timeout: ...} or a context.WithTimeout per request",
	Detail: "http.DefaultClient and a zero http.Client have no timeout, and a request built with " +
		"http.NewRequest (no context) or with a context that has no deadline waits as long as the server " +
		"keeps the connection open. Client.Timeout bounds the whole exchange including reading the body; " +
		"a per-request context deadline bounds it per call and is cancelled with the caller. Also bound the " +
		"dial (net.Dialer.Timeout), TLSHandshakeTimeout and ResponseHeaderTimeout on the Transport so a " +
		"dead peer fails fast instead of holding MaxConnsPerHost slots.",
	Code: `client := &http.Client{
	Timeout: 10 * time.Second,
	Transport: &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
		TLSHandshakeTimeout:   3 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
	},
}
ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
defer cancel()
req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)`,
}

var fixHTTPServer = Fix{
	Summary: "set ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout on the http.Server",
	Detail: "A zero http.Server never times out a connection. ReadHeaderTimeout bounds reading the request " +
		"headers (the slowloris defence); ReadTimeout bounds headers plus body and must be at least " +
		"ReadHeaderTimeout; WriteTimeout runs from the end of the header read to the end of the response " +
		"write, so it must exceed the slowest handler plus the response transfer (for streaming handlers use " +
		"http.ResponseController.SetWriteDeadline per write instead); IdleTimeout bounds a keep-alive " +
		"connection between requests (ReadTimeout is used when it is zero). Behind a load balancer make " +
		"IdleTimeout longer than the balancer's idle timeout (e.g. 75 s behind an ALB's 60 s) so the balancer " +
		"closes idle connections first and never sends a request on a connection the server is closing. " +
		"Handlers must also honour r.Context(): it is cancelled when the client goes away.",
	Code: `srv := &http.Server{
	Addr:              ":8080",
	Handler:           mux,
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,  // > slowest handler + transfer
	IdleTimeout:       75 * time.Second,  // > load balancer idle timeout (60 s)
}`,
}

var fixDBPool = Fix{
	Summary: "bound what holds the connections (driver timeouts, query contexts), then size the pool",
	Detail: "Waiters in database/sql.(*DB).conn are a symptom: every connection is held by something that " +
		"does not finish. SetConnMaxLifetime does not help (it never interrupts a connection in use) and a " +
		"bigger SetMaxOpenConns only delays the exhaustion. Bound the holders: give every query a context " +
		"with a deadline, set the driver's own timeouts (connect/read/write) so a dead server fails the " +
		"query, close every Rows and finish every Tx, and never hold a Tx across a call to another service.",
	Code: `ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
defer cancel()
rows, err := db.QueryContext(ctx, "SELECT ...")
if err != nil {
	return err
}
defer rows.Close()`,
}

var fixLibPQ = Fix{
	Summary: "set connect_timeout in the lib/pq DSN (or move to pgx, whose context cancels I/O)",
	Detail: "lib/pq's start-up (the authentication exchange after the TCP connect) reads from the server " +
		"with no deadline and does not watch the caller's context, so a server that accepts and never " +
		"answers holds the goroutine, and the pool slot it reserved, forever. connect_timeout in the DSN " +
		"sets a deadline on the whole connect including start-up. Queries are cancelled through a " +
		"cancel request only when a cancellable context is passed (QueryContext); plain Query has none. " +
		"pgx (github.com/jackc/pgx/v5/stdlib) sets connection deadlines from the context throughout.",
	Code: `db, err := sql.Open("postgres",
	"postgres://app@db:5432/app?sslmode=require&connect_timeout=5")
// or:
db, err := sql.Open("pgx", "postgres://app@db:5432/app?connect_timeout=5")
ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
defer cancel()
err = db.QueryRowContext(ctx, q).Scan(&v)`,
}

var fixPgx = Fix{
	Summary: "pass a context with a deadline to every pgx call (GORM: db.WithContext(ctx))",
	Detail: "pgx sets a deadline on the connection when the context passed to the call is cancelled: its " +
		"context watcher goroutine does it. With context.Background() (what GORM uses without WithContext, " +
		"and what database/sql's Query/Exec without Context pass) no watcher is started and the read waits " +
		"for the server forever. A cancellable context without deadline is cancelled only when the caller " +
		"gives up. Also set connect_timeout in the DSN for the connect.",
	Code: `ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
defer cancel()
rows, err := pool.Query(ctx, "SELECT ...")
// GORM:
err = gdb.WithContext(ctx).Where("id = ?", id).First(&u).Error`,
}

var fixMySQL = Fix{
	Summary: "set timeout, readTimeout and writeTimeout in the MySQL DSN and use the *Context methods",
	Detail: "go-sql-driver/mysql cancels a query by closing the connection when the context is done, so a " +
		"context without deadline (or Query without Context) waits as long as the server. The DSN's " +
		"readTimeout/writeTimeout set I/O deadlines on every packet; timeout bounds the dial.",
	Code: `db, err := sql.Open("mysql",
	"app:pw@tcp(db:3306)/app?timeout=3s&readTimeout=30s&writeTimeout=30s")
ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
defer cancel()
_, err = db.ExecContext(ctx, q)`,
}

var fixMSSQL = Fix{
	Summary: "set dial timeout and connection timeout in the SQL Server DSN and pass a context with deadline",
	Detail: "go-mssqldb reads packets with the deadline it derives from the connection's timeouts; with " +
		"\"connection timeout=0\" and a context without deadline the read waits forever. A cancelled context " +
		"sends an attention packet, which a dead server does not answer either: keep the DSN timeouts.",
	Code: `db, err := sql.Open("sqlserver",
	"sqlserver://app:pw@db:1433?database=app&dial+timeout=5&connection+timeout=30")
ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
defer cancel()`,
}

var fixClickHouse = Fix{
	Summary: "set DialTimeout and ReadTimeout in clickhouse.Options (dial_timeout, read_timeout in the DSN)",
	Detail: "clickhouse-go reads blocks from the server with the connection's read deadline; a zero " +
		"ReadTimeout with a context without deadline waits for a server that never sends the next block.",
	Code: `conn, err := clickhouse.Open(&clickhouse.Options{
	Addr:        []string{"ch:9000"},
	DialTimeout: 5 * time.Second,
	ReadTimeout: 30 * time.Second,
})`,
}

var fixMongo = Fix{
	Summary: "set options.Client().SetTimeout (CSOT) or pass a context with deadline to every operation",
	Detail: "The MongoDB driver derives socket deadlines from the operation's context; with a context " +
		"without deadline and no client-side operation timeout, a server that stops answering holds the " +
		"goroutine and its pool connection forever. Client-side operation timeout (SetTimeout) applies a " +
		"deadline to every operation.",
	Code: `client, err := mongo.Connect(options.Client().
	ApplyURI(uri).
	SetTimeout(5 * time.Second).
	SetConnectTimeout(3 * time.Second))`,
}

var fixGRPC = Fix{
	Summary: "give every RPC a deadline (context.WithTimeout) and enable keepalive on the connection",
	Detail: "gRPC has no default deadline: a unary call or a stream Recv/Send with a context without " +
		"deadline waits as long as the peer keeps the HTTP/2 stream open. Set a deadline per call (for " +
		"long-lived streams, per message with a timer that cancels the stream's context), and configure " +
		"keepalive.ClientParameters so a silently dead peer is detected. On the server, handlers should " +
		"honour stream.Context(), which carries the client's deadline.",
	Code: `ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
defer cancel()
resp, err := client.Get(ctx, req)

conn, err := grpc.NewClient(target,
	grpc.WithKeepaliveParams(keepalive.ClientParameters{
		Time: 30 * time.Second, Timeout: 10 * time.Second,
	}))`,
}

var fixRedis = Fix{
	Summary: "keep go-redis ReadTimeout/WriteTimeout/PoolTimeout positive and pass a context with deadline",
	Detail: "go-redis sets a socket deadline from ReadTimeout (default 3 s) and from the context's deadline; " +
		"ReadTimeout: -1 disables it, and blocking commands (BLPOP, XREAD with BLOCK 0) wait by design. " +
		"PoolTimeout bounds the wait for a pool connection when every connection is stuck.",
	Code: `rdb := redis.NewClient(&redis.Options{
	Addr:         "redis:6379",
	DialTimeout:  3 * time.Second,
	ReadTimeout:  2 * time.Second,
	WriteTimeout: 2 * time.Second,
	PoolTimeout:  3 * time.Second,
})`,
}

var fixRedigo = Fix{
	Summary: "dial redigo connections with DialReadTimeout/DialWriteTimeout and bound Pool waits with a context",
	Detail: "redigo's Conn.Do reads the reply with no deadline unless the connection was dialled with read " +
		"and write timeouts; Pool.Get with Wait: true waits for a free connection forever unless " +
		"GetContext is given a context with deadline.",
	Code: `pool := &redis.Pool{
	Dial: func() (redis.Conn, error) {
		return redis.Dial("tcp", addr,
			redis.DialConnectTimeout(3*time.Second),
			redis.DialReadTimeout(2*time.Second),
			redis.DialWriteTimeout(2*time.Second))
	},
	MaxActive: 64, Wait: true,
}
conn, err := pool.GetContext(ctx) // ctx with deadline`,
}

var fixSarama = Fix{
	Summary: "bound Sarama's Net.ReadTimeout/WriteTimeout and Producer.Timeout; never send to Input() without select",
	Detail: "Sarama waits for broker responses with Net.ReadTimeout (default 30 s; zero disables it) and a " +
		"SyncProducer waits for the acknowledgement with no context at all. An AsyncProducer's Input() " +
		"channel blocks the sender when the producer cannot keep up or Errors()/Successes() are not drained.",
	Code: `cfg := sarama.NewConfig()
cfg.Net.DialTimeout = 5 * time.Second
cfg.Net.ReadTimeout = 10 * time.Second
cfg.Net.WriteTimeout = 10 * time.Second
cfg.Producer.Timeout = 5 * time.Second
select {
case producer.Input() <- msg:
case <-ctx.Done():
	return ctx.Err()
}`,
}

var fixKafkaGo = Fix{
	Summary: "pass a context with deadline to Writer.WriteMessages, and keep WriteTimeout and MaxAttempts small",
	Detail: "kafka-go's Writer.WriteMessages waits for every batch its messages joined; the batches are " +
		"written one at a time per partition by the writer's own goroutine, on context.Background() " +
		"bounded only by WriteTimeout (default 10 s) per attempt, retried MaxAttempts times (default 10) " +
		"with backoff. A caller whose context has no deadline waits for all of it, and for every batch " +
		"queued ahead. Give WriteMessages a deadline, keep WriteTimeout × MaxAttempts below what callers " +
		"can afford, or use Async with a Completion callback.",
	Code: `w := &kafka.Writer{Addr: kafka.TCP(brokers...), WriteTimeout: 10 * time.Second}
ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
defer cancel()
err := w.WriteMessages(ctx, msgs...)`,
}

var fixSQLite = Fix{
	Summary: "pass a context with a deadline to every go-sqlite3 call, and keep _busy_timeout short",
	Detail: "A goroutine inside SQLite is in C: only sqlite3_interrupt stops it, and go-sqlite3 calls it only " +
		"when the statement's context is done. Use the *Context methods with a deadline; keep _busy_timeout " +
		"(the time a writer sleeps in C waiting for the database lock) to seconds, and serialise writers " +
		"(one connection for writes, SetMaxOpenConns(1)) instead of letting them queue on the file lock; " +
		"WAL mode (_journal_mode=WAL) lets readers proceed during a write.",
	Code: `db, err := sql.Open("sqlite3", "file:app.db?_busy_timeout=5000&_journal_mode=WAL")
ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
defer cancel()
_, err = db.ExecContext(ctx, q, args...)`,
}

var fixGodror = Fix{
	Summary: "bound Oracle calls in the driver: a call timeout, Oracle Net connect timeouts, and contexts with deadlines",
	Detail: "godror runs every round trip in C (ODPI-C/OCI): the Go runtime cannot interrupt it, and a " +
		"context reaches it only through dpiConn_breakExecution, which needs a server that answers. Set " +
		"the connection's call timeout (godror.WithCallTimeout / the callTimeout parameter) so OCI itself " +
		"gives up, the Oracle Net timeouts (CONNECT_TIMEOUT, TRANSPORT_CONNECT_TIMEOUT, EXPIRE_TIME or " +
		"sqlnet.ora's SQLNET.RECV_TIMEOUT) so a dead server is noticed, and pass a context with a deadline " +
		"so the break is sent.",
	Code: `db, err := sql.Open("godror",
	"user/pw@(DESCRIPTION=(CONNECT_TIMEOUT=5)(TRANSPORT_CONNECT_TIMEOUT=3)(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=app)))")
ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
defer cancel()
ctx = godror.WithCallTimeout(ctx, 10*time.Second)
rows, err := db.QueryContext(ctx, q)`,
}

var fixConfluent = Fix{
	Summary: "bound librdkafka in its configuration (message.timeout.ms, socket.timeout.ms) and give transactional calls a context with deadline",
	Detail: "confluent-kafka-go runs in C (librdkafka): no Go context reaches a produce, a flush or a poll. " +
		"Produce with RD_KAFKA_MSG_F_BLOCK (the ProduceChannel path) blocks while the local queue " +
		"(queue.buffering.max.messages/kbytes) is full, and the queue drains only as fast as brokers " +
		"acknowledge or message.timeout.ms (delivery.timeout.ms) fails the messages. Keep that timeout " +
		"finite, drain Events() (or every deliveryChan) continuously, prefer Produce with a deliveryChan " +
		"and handle ErrQueueFull yourself, call Flush with a finite timeout, and pass a context with a " +
		"deadline to InitTransactions/CommitTransaction/AbortTransaction (a nil or deadline-less context " +
		"waits forever).",
	Code: `p, err := kafka.NewProducer(&kafka.ConfigMap{
	"bootstrap.servers":  brokers,
	"message.timeout.ms": 30000,
	"socket.timeout.ms":  10000,
})
go func() {
	for e := range p.Events() { // always drained
		handle(e)
	}
}()
if err := p.Produce(msg, nil); err != nil { // ErrQueueFull: shed or retry later
	return err
}
ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
defer cancel()
err = p.CommitTransaction(ctx)`,
}

var fixRueidis = Fix{
	Summary: "pass a context with a deadline to every rueidis command (blocking commands especially) and keep ConnWriteTimeout",
	Detail: "rueidis waits for a reply on its pipelined connection for as long as the command's context " +
		"allows; a context without Done is not watched at all. Its PING keep-alive (ConnWriteTimeout, " +
		"default Dialer.KeepAlive × 10) detects a dead server, but is suspended while a blocking command " +
		"(BLPOP, BRPOP, XREAD BLOCK) is in flight on a dedicated connection: those wait exactly as long as " +
		"their context, and when every dedicated connection (BlockingPoolSize) is in such a command, the " +
		"next blocking command queues for one. Give blocking commands a block timeout and a context " +
		"deadline (UnblockOnCancel lets rueidis CLIENT UNBLOCK them).",
	Code: `ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
defer cancel()
res := client.Do(ctx, client.B().Blpop().Key("jobs").Timeout(4).Build())`,
}

var fixOTelLog = Fix{
	Summary: "give the log exporter a client timeout and call ForceFlush/Shutdown with a context deadline",
	Detail: "The log batch processor exports from one goroutine: while an export is stuck, nothing else " +
		"is exported (OnEmit drops records once the queue is full) and ForceFlush and Shutdown wait for that " +
		"goroutine. The SDK bounds each export with WithExportTimeout (default 30 s), so an export stuck " +
		"past it is an exporter that does not honour its context: configure the OTLP exporter's own timeout " +
		"(otlploghttp.WithTimeout, otlploggrpc.WithTimeout) and call ForceFlush/Shutdown with a context " +
		"that has a deadline, so shutdown cannot hang the process.",
	Code: `exp, err := otlploghttp.New(ctx, otlploghttp.WithTimeout(10*time.Second))
proc := log.NewBatchProcessor(exp, log.WithExportTimeout(10*time.Second))
ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
defer cancel()
_ = provider.Shutdown(ctx)`,
}

var fixEtcd = Fix{
	Summary: "give every etcd call a context with a deadline (clientv3 waits for a ready connection), and make Watch contexts leader-aware",
	Detail: "clientv3 makes its calls with grpc.WaitForReady(true): while no endpoint is reachable a " +
		"Get, Put, Txn or lease call waits for a connection instead of failing, for as long as its context " +
		"allows. Watch returns its channel only once the watch stream is registered, and the stream is " +
		"opened in the background with retries: on a context without deadline both wait as long as the " +
		"cluster is unreachable. Bound unary calls with context.WithTimeout, set Config.DialTimeout, wrap " +
		"watch contexts in clientv3.WithRequireLeader (a member that lost its leader then closes the watch " +
		"instead of going silent) and cancel them on shutdown. concurrency.Mutex.Lock waits for every " +
		"earlier key holder's session: give it a deadline too.",
	Code: `cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
defer cancel()
resp, err := cli.Get(ctx, key)

wctx, wcancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
defer wcancel()
for wr := range cli.Watch(wctx, prefix, clientv3.WithPrefix()) {
	if err := wr.Err(); err != nil {
		return err // re-watch from wr.Header.Revision+1
	}
}`,
}

var fixCacheSync = Fix{
	Summary: "give cache sync a deadline and find why the informer cannot list (RBAC, a missing CRD, an unreachable API server)",
	Detail: "WaitForCacheSync returns only when every informer has listed once, or when its stop channel " +
		"(or context) is done: with wait.NeverStop or context.Background() a list that keeps failing keeps " +
		"the controller from starting, silently except for the reflector's \"failed to list\" log lines. " +
		"Wait with a context that has a deadline and fail (or report not ready) when it expires; the " +
		"reflector's errors name the cause: a Forbidden means missing RBAC, a NotFound a CRD that is not " +
		"installed.",
	Code: `ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
defer cancel()
if !cache.WaitForNamedCacheSync("orders", ctx.Done(), informer.HasSynced) {
	return fmt.Errorf("caches did not sync: %w", ctx.Err())
}`,
}

var fixWorkqueueDrain = Fix{
	Summary: "call queue.Done(item) on every path of every worker, and bound the work each item does",
	Detail: "ShutDownWithDrain waits until every item handed out by Get has been marked Done. A worker that " +
		"returns without Done (an early return, a panic) or that is stuck in its reconcile (a call without " +
		"a deadline) keeps shutdown waiting forever. Defer Done right after Get, and give each reconcile a " +
		"context with a deadline; use ShutDown (no drain) when a bounded shutdown matters more.",
	Code: `item, shutdown := q.Get()
if shutdown {
	return false
}
defer q.Done(item)
ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
defer cancel()
return reconcile(ctx, item)`,
}

var fixLeaderElection = Fix{
	Summary: "set rest.Config.Timeout on the client leader election uses (it must be below RenewDeadline)",
	Detail: "While a replica tries to acquire the lease, each attempt is an API call made on Run's context, " +
		"which has no deadline: a request the API server (or a proxy) never answers holds the elector " +
		"forever, so the replica never becomes leader even after the old leader is gone. Renewals are " +
		"bounded by RenewDeadline, acquisition attempts only by the HTTP client: give the lock's client a " +
		"request timeout shorter than RenewDeadline.",
	Code: `cfg := rest.CopyConfig(base)
cfg.Timeout = 5 * time.Second // < RenewDeadline
lock, err := resourcelock.NewFromKubeconfig(resourcelock.LeasesResourceLock, ns, name, rlc, cfg, 5*time.Second)`,
}

var fixAWS = Fix{
	Summary: "give AWS SDK operations a context with a deadline and the SDK's HTTP client a timeout",
	Detail: "The AWS SDK for Go v2's default HTTP client (awshttp.BuildableClient) bounds the dial (30 s) and " +
		"the TLS handshake (10 s) but not the request, and the standard retryer sends each operation up to " +
		"3 times: an endpoint that accepts the request and never answers holds the caller as long as its " +
		"context allows. Pass a context with a deadline per operation, and set a client timeout " +
		"(awshttp.NewBuildableClient().WithTimeout) as a backstop. The v1 SDK sees a context only through " +
		"the ...WithContext methods, and its default client has no timeout either.",
	Code: `cfg, err := config.LoadDefaultConfig(ctx,
	config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(30*time.Second)),
	config.WithRetryMaxAttempts(3))
ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
defer cancel()
out, err := s3.NewFromConfig(cfg).GetObject(ctx, in)`,
}

var fixElastic = Fix{
	Summary: "give Elasticsearch requests a context with a deadline and the client's transport a response timeout",
	Detail: "The Elasticsearch clients send requests through an http.Transport with no overall timeout and " +
		"retry on 502/503/504 and network errors (MaxRetries, default 3): a node that accepts a request and " +
		"does not answer (a long GC pause, a saturated search thread pool) holds the caller as long as its " +
		"context allows. Pass a context with a deadline to every request (WithContext on esapi requests, " +
		"Do(ctx) on typed ones) and set ResponseHeaderTimeout on the transport.",
	Code: `es, err := elasticsearch.NewClient(elasticsearch.Config{
	Addresses: addrs,
	Transport: &http.Transport{ResponseHeaderTimeout: 10 * time.Second},
})
ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
defer cancel()
res, err := es.Search(es.Search.WithContext(ctx), es.Search.WithIndex("orders"))`,
}

var fixNATS = Fix{
	Summary: "use RequestWithContext with a deadline (or Request with a timeout) and FlushTimeout",
	Detail:  "nats.go request/reply waits for a reply that may never come when the context has no deadline.",
	Code: `ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
defer cancel()
msg, err := nc.RequestWithContext(ctx, "svc.get", data)`,
}

var fixAMQP = Fix{
	Summary: "use the *WithContext methods with a deadline and watch NotifyBlocked/NotifyClose",
	Detail: "amqp091-go channel methods wait for the broker's reply with no timeout, and publishing blocks " +
		"while the broker has flow-controlled the connection (a memory or disk alarm). Use " +
		"PublishWithContext with a deadline, DeferredConfirmation.WaitContext, and a heartbeat in the Config.",
	Code: `conn, err := amqp.DialConfig(url, amqp.Config{Heartbeat: 10 * time.Second})
ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
defer cancel()
err = ch.PublishWithContext(ctx, "ex", "key", false, false, msg)`,
}

var fixOTel = Fix{
	Summary: "use the batch span processor without blocking, and give exporters a timeout",
	Detail: "span.End runs the span processors inline: the simple span processor exports synchronously " +
		"under a mutex, and a batch processor created WithBlocking blocks span.End when its queue is full. " +
		"An exporter without a timeout then stalls every request that ends a span. Use NewBatchSpanProcessor " +
		"without WithBlocking (spans are dropped instead of blocking requests) and set the exporter's " +
		"WithTimeout; bound Shutdown/ForceFlush with a context.",
	Code: `exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithTimeout(5*time.Second))
tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp,
	sdktrace.WithExportTimeout(10*time.Second)))`,
}

var fixSingleflight = Fix{
	Summary: "bound the shared call itself, or use DoChan and select on ctx.Done()",
	Detail: "singleflight.Group.Do has no context: every caller for a key waits for the one call in flight. " +
		"Give that call its own deadline (it serves many callers, so not any one caller's), and let callers " +
		"that must give up earlier use DoChan with a select on their context.",
	Code: `ch := g.DoChan(key, func() (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return load(ctx, key)
})
select {
case r := <-ch:
	return r.Val, r.Err
case <-ctx.Done():
	return nil, ctx.Err()
}`,
}

var fixStarvation = Fix{
	Summary: "bound CPU-bound concurrency and match GOMAXPROCS to the container's CPU quota",
	Detail: "Every goroutine that is ready to run waits for a P while CPU-bound work holds them all, so " +
		"timeouts fire late and latency explodes with no goroutine blocked. Run CPU-bound work through a " +
		"bounded worker pool (a semaphore or errgroup.SetLimit sized to GOMAXPROCS or less), not one goroutine " +
		"per item, and check ctx between chunks so it stops when its request is gone. Check GOMAXPROCS against " +
		"the container's CPU quota: Go 1.25+ follows the cgroup limit by default, older releases take the " +
		"host's CPU count (use go.uber.org/automaxprocs there); a GOMAXPROCS above the quota adds throttling " +
		"pauses on top of the queue, one far below it wastes the CPU you pay for.",
	Code: `g, ctx := errgroup.WithContext(ctx)
g.SetLimit(runtime.GOMAXPROCS(0) / 2) // leave Ps for requests
for _, shard := range shards {
	g.Go(func() error { return reindex(ctx, shard) })
}
return g.Wait()`,
}

var fixColly = Fix{
	Summary: "bound colly's queue: limit the goroutines you start, and give the HTTP backend a timeout",
	Detail: "With Async and a LimitRule, every request is a goroutine that queues on the rule's waitChan " +
		"before its HTTP call; requests whose responses never arrive (no SetRequestTimeout) keep their slots, " +
		"and the queued senders pile up without bound. Set a request timeout and feed the collector through " +
		"a bounded queue (colly/queue) instead of Visit in a loop.",
	Code: `c := colly.NewCollector(colly.Async(true))
c.SetRequestTimeout(15 * time.Second)
_ = c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: 8})
q, _ := queue.New(8, &queue.InMemoryQueueStorage{MaxSize: 10000})`,
}

var fixNetDeadline = Fix{
	Summary: "set a deadline on the connection (SetDeadline) or dial with a context that has one",
	Detail: "Reads and writes on a net.Conn ignore contexts; they end with data, an error or a deadline. " +
		"Set conn.SetReadDeadline/SetWriteDeadline before each blocking operation (or close the connection " +
		"from a goroutine watching ctx.Done()), and dial with net.Dialer{Timeout} or DialContext with a " +
		"deadline.",
	Code: `d := net.Dialer{Timeout: 3 * time.Second}
conn, err := d.DialContext(ctx, "tcp", addr)
if err != nil {
	return err
}
_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
n, err := conn.Read(buf)`,
}

var fixExec = Fix{
	Summary: "run children with exec.CommandContext and set Cmd.WaitDelay",
	Detail: "exec.CommandContext kills the child when the context is done, and Cmd.WaitDelay (Go 1.20+) " +
		"bounds how long Wait keeps copying output after that, so a grandchild holding the pipe cannot " +
		"hold Wait forever.",
	Code: `ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
defer cancel()
cmd := exec.CommandContext(ctx, "tool", args...)
cmd.WaitDelay = 5 * time.Second
out, err := cmd.Output()`,
}

var fixNilChan = Fix{
	Summary: "initialise the channel (make) before use; set it to nil only to disable a select case",
	Detail: "A nil channel blocks every send and receive forever; it is only useful to disable a select " +
		"case on purpose. A channel field left nil by a constructor that was not called is the usual cause.",
	Code: `type worker struct{ jobs chan job }

func newWorker() *worker { return &worker{jobs: make(chan job, 16)} }`,
}

var fixChanSend = Fix{
	Summary: "send in a select with ctx.Done(), or give the channel a buffer for every sender",
	Detail: "A goroutine that sends its result on an unbuffered channel is stranded when the receiver " +
		"times out and returns. Make the channel buffered with room for every sender (a one-result " +
		"goroutine needs cap 1), or send in a select that also watches the context.",
	Code: `res := make(chan result, 1) // room for the one send
go func() { res <- fetch(ctx) }()
select {
case r := <-res:
	return r, nil
case <-ctx.Done():
	return result{}, ctx.Err()
}`,
}

var fixChanRecv = Fix{
	Summary: "receive in a select with ctx.Done(), and close the channel when the producer is done",
	Detail: "A receive with no other case waits forever when the producer returns without sending or " +
		"closing. The producer should close (defer close(ch)) and the consumer should also watch its context.",
	Code: `select {
case v, ok := <-ch:
	if !ok {
		return errClosed
	}
	use(v)
case <-ctx.Done():
	return ctx.Err()
}`,
}

var fixMutex = Fix{
	Summary: "never hold a lock across I/O or a call that can block; bound what the holder waits on",
	Detail: "sync.Mutex has no timeout and ignores contexts: every waiter waits as long as the holder holds. " +
		"Copy what is needed under the lock, release it, then do the slow call; if the slow call must be " +
		"serialised, use a channel-based semaphore that can be abandoned on ctx.Done(), or singleflight. " +
		"Then bound the holder's own wait (the next link of the chain).",
	Code: `c.mu.Lock()
key := c.key
c.mu.Unlock()

v, err := fetch(ctx, key) // slow call outside the lock, with a deadline in ctx

c.mu.Lock()
c.val = v
c.mu.Unlock()`,
}

var fixSemaphore = Fix{
	Summary: "bound the call made while a semaphore slot is held, and give Acquire a context with a deadline",
	Detail: "A weighted semaphore admits as many holders as its size; when every holder is stuck in a call " +
		"with no deadline (an HTTP client with no timeout, a query on context.Background()), every later " +
		"Acquire queues behind them for as long as they are stuck. Acquire honours its context, so waiters " +
		"on a context with a deadline give up (and can shed load with TryAcquire), but only bounding the " +
		"holders' call frees the slots. Release with defer right after a successful Acquire, so an error " +
		"path or a panic never keeps a slot.",
	Code: `ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
defer cancel()
if err := s.sem.Acquire(ctx, 1); err != nil {
	return err // queued too long: fail fast instead of piling up
}
defer s.sem.Release(1)
return s.fetch(ctx, url) // the call under the slot shares the deadline`,
}

var fixWaitGroup = Fix{
	Summary: "bound the workers (context with deadline) and call Done with defer on every path",
	Detail: "WaitGroup.Wait cannot time out. Every worker must reach Done: call it with defer, and give the " +
		"workers a context with a deadline so a stuck call returns; errgroup.WithContext cancels the rest " +
		"when one fails.",
	Code: `g, ctx := errgroup.WithContext(ctx)
for _, u := range urls {
	g.Go(func() error { return fetch(ctx, u) }) // fetch honours ctx
}
err := g.Wait()`,
}

var fixCond = Fix{
	Summary: "replace sync.Cond with a channel the waiter can select on together with ctx.Done()",
	Detail: "sync.Cond.Wait cannot be cancelled; if the signalling goroutine dies or forgets to Broadcast, " +
		"waiters stay forever. A closed-channel broadcast lets waiters also watch their context.",
	Code: `select {
case <-s.changed: // closed and replaced under s.mu on every change
case <-ctx.Done():
	return ctx.Err()
}`,
}

var fixSleep = Fix{
	Summary: "replace time.Sleep in loops with a select on a timer and ctx.Done()",
	Detail: "time.Sleep cannot be interrupted, so a polling loop keeps running (and holding whatever it " +
		"holds) after its caller has given up.",
	Code: `t := time.NewTicker(time.Second)
defer t.Stop()
for {
	select {
	case <-t.C:
		poll()
	case <-ctx.Done():
		return ctx.Err()
	}
}`,
}

var fixSyscall = Fix{
	Summary: "bound the system call from outside: timeouts on the file or socket, or a separate process",
	Detail: "A goroutine inside a blocking system call or cgo call cannot be preempted or cancelled. Use " +
		"non-blocking I/O through the runtime poller (os.File on pipes, net.Conn) with deadlines, give cgo " +
		"libraries their own timeouts, or run the call in a child process you can kill.",
	Code: `f := os.NewFile(uintptr(fd), "pipe") // non-blocking fd: goes through the poller
_ = f.SetReadDeadline(time.Now().Add(5 * time.Second))`,
}

var fixUnclassified = Fix{
	Summary: "find what this goroutine waits for and bound it with a context deadline or a timeout",
	Detail: "No known signature matched this blocking stack. Look at the first application frame: the " +
		"call it makes is the one without a deadline. If it is an in-house client, add a signature for it " +
		"with --signatures so the next diagnosis names it.",
	Code: `ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
defer cancel()
select {
case v := <-results:
	return v, nil
case <-ctx.Done():
	return nil, ctx.Err()
}`,
}

var fixLeak = Fix{
	Summary: "make every goroutine you start end: give it a context, a buffered result channel, a close",
	Detail: "Goroutines accumulating with identical stacks are leaking: each was started to do one job and " +
		"blocks forever at the same place. Bound the operation they block in (the stack shows which) and " +
		"tie their lifetime to a context; goleak in tests catches the regression.",
	Code: `func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

go func() {
	select {
	case out <- v:
	case <-ctx.Done():
	}
}()`,
}

var fixLockCycle = Fix{
	Summary: "acquire the locks in one global order (or merge them); never lock B while holding A in one path and A while holding B in another",
	Detail: "Two or more goroutines each hold a lock the next one wants: none can proceed, and sync locks " +
		"never time out. Define an order (by address, by ID, by hierarchy) and take the locks in that order " +
		"everywhere, or restructure so one lock covers both.",
	Code: `first, second := a, b
if b.id < a.id {
	first, second = b, a
}
first.mu.Lock()
defer first.mu.Unlock()
second.mu.Lock()
defer second.mu.Unlock()`,
}

var fixRecursiveLock = Fix{
	Summary: "never take a lock the goroutine already holds: split each method into a locking wrapper and an unlocked helper the others call",
	Detail: "Go's sync.Mutex and sync.RWMutex are not reentrant. A goroutine that calls Lock while it holds " +
		"the lock waits for itself forever; one that calls RLock while it holds a read lock waits behind any " +
		"writer that queued in between, and that writer waits for the first read lock to be released: a " +
		"deadlock that appears only under write load. Take the lock once, at the outermost entry point, and " +
		"have the inner code assume it is held (name such helpers xxxLocked).",
	Code: `func (s *Store) Get(k string) V {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.getLocked(k)
}

// getLocked requires s.mu to be held.
func (s *Store) getLocked(k string) V { return s.m[k] }`,
}

var fixHungTest = Fix{
	Summary: "bound every wait in the test with a deadline (t.Context() with a timeout, select on time.After), and run with -v to see which test is left running",
	Detail: "go test's -timeout alarm dumps every goroutine and names the running tests (Go 1.20+). The hung " +
		"test is the one blocked in its own code, not a parent waiting in T.Run for its subtests nor a parallel " +
		"test paused in T.Parallel. Give its blocking calls a deadline so a hang fails fast with a message, " +
		"instead of the whole binary timing out.",
	Code: `ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
defer cancel()
select {
case v := <-results:
	check(t, v)
case <-ctx.Done():
	t.Fatal("no result:", ctx.Err())
}`,
}

var fixEmptySelect = Fix{
	Summary: "replace select {} with a wait that can end: a select on ctx.Done() (or a signal channel) and the results it is for",
	Detail: "select {} has no cases: the goroutine can never be woken, by a channel, a context or a timer. It is " +
		"an idiom for keeping main alive; anywhere a caller waits on the goroutine (a handler, a test, a worker " +
		"someone joins) it is a hang by construction.",
	Code: `select {
case <-ctx.Done():
	return ctx.Err()
case <-done:
	return nil
}`,
}

var fixBodyLeak = Fix{
	Summary: "close every response body (defer resp.Body.Close() right after the error check, on every path)",
	Detail: "A response's connection goes back to the pool only when its body is read to EOF and closed; an " +
		"unclosed body keeps the connection, its readLoop and writeLoop goroutines and its descriptor until " +
		"the server hangs up. Close the body on every return path, including non-2xx statuses and early " +
		"returns; drain it (io.Copy(io.Discard, resp.Body)) first when the connection should be reused. " +
		"bodyclose (golangci-lint) finds the missing Close statically.",
	Code: `resp, err := client.Do(req)
if err != nil {
	return err
}
defer resp.Body.Close()
if resp.StatusCode != http.StatusOK {
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
	return fmt.Errorf("status %s", resp.Status)
}`,
}

var fixTransportPerRequest = Fix{
	Summary: "share one http.Client/Transport for the process; never build a Transport per request",
	Detail: "Each http.Transport has its own connection pool. A Transport (or a Client with its own " +
		"Transport) built per request leaves its idle connections, and their two goroutines each, behind " +
		"until IdleConnTimeout, which a zero Transport does not set. Create the client once and reuse it; " +
		"if a Transport must be temporary, call CloseIdleConnections when done, and set IdleConnTimeout.",
	Code: `var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{IdleConnTimeout: 90 * time.Second, MaxIdleConnsPerHost: 16},
}`,
}

var fixGRPCStreamLeak = Fix{
	Summary: "give every stream a context you cancel (defer cancel()), and read streams to io.EOF",
	Detail: "A gRPC client stream ends when its context is done, when RecvMsg returns a non-nil error " +
		"(io.EOF included) or, for client-streaming calls, after CloseAndRecv. Abandoning a stream after " +
		"the first message on context.Background() keeps the HTTP/2 stream, its flow-control window and " +
		"grpc-go's watcher goroutine for the life of the ClientConn. Derive a cancellable context per call " +
		"and cancel it when you stop reading.",
	Code: `ctx, cancel := context.WithCancel(ctx)
defer cancel() // ends the stream however the loop exits
stream, err := client.Watch(ctx, req)
if err != nil {
	return err
}
msg, err := stream.Recv()`,
}

var fixSQLDBPerRequest = Fix{
	Summary: "open the *sql.DB once at start-up and share it; never sql.Open per request",
	Detail: "sql.Open creates a pool, not a connection: it is meant to be called once per database and kept " +
		"for the life of the process (it is safe for concurrent use). Opening one per request leaks its " +
		"connectionOpener goroutine and its connections unless Close is called, and defeats the pool's " +
		"limits (SetMaxOpenConns) since every request has its own.",
	Code: `db, err := sql.Open("mysql", dsn) // once, in main
if err != nil {
	log.Fatal(err)
}
db.SetMaxOpenConns(20)
srv := &server{db: db} // handlers use srv.db`,
}

var fixTxLeak = Fix{
	Summary: "defer tx.Rollback() right after BeginTx; Commit on success (Rollback after Commit is a no-op)",
	Detail: "A transaction holds one pool connection until Commit or Rollback, or until the context passed " +
		"to BeginTx is done. A return path that does neither (an early return on error, a panic) leaks the " +
		"connection for good when the context is never cancelled, and once as many transactions leak as the " +
		"pool allows (SetMaxOpenConns) every query waits in (*DB).conn. Deferring Rollback covers every path.",
	Code: `tx, err := db.BeginTx(ctx, nil)
if err != nil {
	return err
}
defer tx.Rollback() // no-op after a successful Commit
if _, err := tx.ExecContext(ctx, q, args...); err != nil {
	return err
}
return tx.Commit()`,
}

var fixRowsLeak = Fix{
	Summary: "defer rows.Close() right after QueryContext, and check rows.Err()",
	Detail: "An *sql.Rows holds its connection until it is closed or read to the end. A loop that returns " +
		"early, or code that never iterates, keeps the connection for good unless the query's context is " +
		"cancelled. Close the rows with defer right after the error check; sqlclosecheck and rowserrcheck " +
		"(golangci-lint) find the missing Close.",
	Code: `rows, err := db.QueryContext(ctx, q)
if err != nil {
	return err
}
defer rows.Close()
for rows.Next() { /* ... */ }
return rows.Err()`,
}
