package detectors

// dbSignatures is what ctxhole knows about database drivers: lib/pq, pgx v4
// and v5, GORM, go-sql-driver/mysql, go-mssqldb, clickhouse-go and the
// MongoDB driver.
func dbSignatures() []Signature {
	pq := "github.com/lib/pq"
	sigs := []Signature{
		{
			ID: "lib/pq.startup", Library: pq,
			Frames:   []string{pq + ".(*conn).startup"},
			Reasons:  []string{rIOWait},
			Category: CatDBDriverNoCtx, ContextAware: false, Severity: SevHigh, Confidence: 0.9, Dominant: true,
			Why: "lib/pq is in its connection start-up (the authentication exchange after the TCP connect), " +
				"reading from a server that accepted the connection and never answered; start-up reads have " +
				"no deadline unless connect_timeout is set, and the caller's context does not reach them",
			Fix: fixLibPQ,
		},
		{
			ID: "lib/pq.dial", Library: pq,
			Frames:   []string{pq + ".dial"},
			Reasons:  []string{rIOWait},
			Category: CatDBDriverNoCtx, ContextAware: false, Severity: SevHigh, Dominant: true,
			Why: "lib/pq is dialling the server with no connect_timeout; the TCP connect waits for the " +
				"kernel's SYN retries",
			Fix: fixLibPQ,
		},
		{
			ID: "lib/pq.read", Library: pq,
			Frames:   []string{pq + ".(*conn).recv*"},
			Not:      []string{pq + ".(*conn).startup", pq + ".dial"},
			Reasons:  []string{rIOWait},
			Watcher:  pq + ".(*conn).watchCancel.func1",
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "lib/pq is waiting for the server's reply to a query; it cancels a query only through a " +
				"cancel request sent when a cancellable context is done, and its reads have no deadline",
			Fix: fixLibPQ,
		},
		{
			ID: "gorm.pgx", Library: "gorm.io/gorm",
			Frames:   []string{"github.com/jackc/pgx/v5/pgconn.(*PgConn).*", "gorm.io/gorm.*"},
			Reasons:  []string{rIOWait, rCond},
			Watcher:  "github.com/jackc/pgx/v5/pgconn/ctxwatch.(*ContextWatcher).Watch.func1",
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "a GORM query is blocked reading from PostgreSQL through pgx; pgx cancels reads only through " +
				"its context watcher, and GORM passes context.Background() unless the call chain starts with " +
				"db.WithContext(ctx)",
			Fix: fixPgx,
		},
		{
			ID: "gorm.pgx4", Library: "gorm.io/gorm",
			Frames:   []string{"github.com/jackc/pgconn.(*PgConn).*", "gorm.io/gorm.*"},
			Reasons:  []string{rIOWait},
			Watcher:  "github.com/jackc/pgconn/internal/ctxwatch.(*ContextWatcher).Watch.func1",
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "a GORM query is blocked reading from PostgreSQL through pgx v4; GORM passes " +
				"context.Background() unless the call chain starts with db.WithContext(ctx), so pgx starts no " +
				"context watcher and the read has no deadline",
			Fix: fixPgx,
		},
		{
			ID: "go-sql-driver/mysql.read", Library: "github.com/go-sql-driver/mysql",
			Frames:   []string{"github.com/go-sql-driver/mysql.(*buffer).*"},
			Reasons:  []string{rIOWait},
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "go-sql-driver/mysql is reading a packet from the server; with readTimeout unset in the DSN the " +
				"read has no deadline, and the driver interrupts it only by closing the connection when a " +
				"context with a deadline or cancel expires",
			Fix: fixMySQL,
		},
		{
			ID: "clickhouse-go.read", Library: "github.com/ClickHouse/clickhouse-go/v2",
			Frames:   []string{"github.com/ClickHouse/clickhouse-go/v2.(*connect).*"},
			Reasons:  []string{rIOWait},
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "clickhouse-go is waiting for the server's next packet with no read timeout",
			Fix: fixClickHouse,
		},
		{
			ID: "mongo.read", Library: "go.mongodb.org/mongo-driver",
			Frames:   []string{"go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*connection).read*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "the MongoDB driver is reading a reply with the deadline of the operation's context, and that " +
				"context has none; no client-side operation timeout is configured",
			Fix: fixMongo,
		},
		{
			ID: "mongo2.read", Library: "go.mongodb.org/mongo-driver/v2",
			Frames:   []string{"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*connection).read*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "the MongoDB driver is reading a reply with the deadline of the operation's context, and that " +
				"context has none; no client-side operation timeout is configured",
			Fix: fixMongo,
		},
		{
			ID: "mongo.checkout", Library: "go.mongodb.org/mongo-driver",
			Waiting: "queued for a MongoDB pool connection",
			Frames:  []string{"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*pool).checkOut"},
			Reasons: []string{rSelect},
			// v1.17.1: (*connection).read, readWireMessage, write, writeWireMessage.
			HeldBy: []string{
				"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*connection).read*",
				"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*connection).write*",
			},
			Category: CatDBPoolExhausted, ContextAware: true, Severity: SevHigh,
			Why: "the goroutine is queued for a MongoDB pool connection (maxPoolSize reached) with a context " +
				"without deadline; the holders are the next thing to look at",
			Fix: fixMongo,
		},
	}
	// pgxpool queues in puddle's Acquire (on an x/sync semaphore) while the
	// pool's connections are checked out; puddle v2.2.2.
	sigs = append(sigs, Signature{
		ID: "pgxpool.acquire", Library: "github.com/jackc/puddle/v2",
		Waiting:  "queued for a pgxpool connection",
		Frames:   []string{"github.com/jackc/puddle/v2.(*Pool[...]).Acquire"},
		Reasons:  []string{rSelect, rChanRecv},
		HeldBy:   []string{"github.com/jackc/pgx/v5/pgconn.(*PgConn).*"},
		Category: CatDBPoolExhausted, ContextAware: true, Severity: SevHigh,
		Why: "the goroutine is queued in pgxpool for a connection: every connection (MaxConns) is checked out; the " +
			"wait honours the context, so a context without deadline waits as long as the holders do",
		Fix: fixPgx,
	})
	// pgx: v5 and v4 (whose pgconn is a separate module) block the same way.
	for _, v := range []struct{ ver, pgconn, watcher string }{
		{"v5", "github.com/jackc/pgx/v5/pgconn", "github.com/jackc/pgx/v5/pgconn/ctxwatch.(*ContextWatcher).Watch.func1"},
		{"v4", "github.com/jackc/pgconn", "github.com/jackc/pgconn/internal/ctxwatch.(*ContextWatcher).Watch.func1"},
	} {
		sigs = append(sigs, Signature{
			ID: "pgx" + v.ver + ".read", Library: v.pgconn,
			Frames:   []string{v.pgconn + ".(*PgConn).*"},
			Reasons:  []string{rIOWait, rCond},
			Watcher:  v.watcher,
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "pgx is waiting for the server's reply; it interrupts a read only through its context " +
				"watcher, which it starts only for a cancellable context, and sets no read deadline of its own",
			Fix: fixPgx,
		})
	}
	for _, mod := range []string{"github.com/denisenkom/go-mssqldb", "github.com/microsoft/go-mssqldb"} {
		sigs = append(sigs, Signature{
			ID: mod[len("github.com/"):] + ".read", Library: mod,
			Frames:   []string{mod + ".(*tdsBuffer).*"},
			Reasons:  []string{rIOWait},
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "go-mssqldb is reading a TDS packet with no deadline (connection timeout=0); cancellation " +
				"sends an attention packet that an unresponsive server never answers",
			Fix: fixMSSQL,
		})
	}
	return sigs
}
