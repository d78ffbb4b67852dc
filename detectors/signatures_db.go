package detectors

import "strings"

// dbSignatures is what ctxhole knows about database drivers: lib/pq, pgx v3,
// v4 and v5, GORM, go-sql-driver/mysql, go-mssqldb, clickhouse-go, the
// MongoDB driver and the cgo drivers (go-sqlite3, godror).
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
			Frames:       []string{"github.com/jackc/pgx/v5/pgconn.(*PgConn).*", "gorm.io/gorm.*"},
			Reasons:      []string{rIOWait, rCond},
			Watcher:      pgx5Watcher,
			WatcherUntil: pgx5WatcherUntil,
			Category:     CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
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
			// v1.10.1: (*mysqlConn).readPacket → (*buffer).readNext →
			// (*buffer).fill → net.Conn.Read; v1.4-v1.9 the same.
			ID: "go-sql-driver/mysql.read", Library: "github.com/go-sql-driver/mysql",
			Frames:   []string{"github.com/go-sql-driver/mysql.(*buffer).*"},
			Reasons:  []string{rIOWait},
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "go-sql-driver/mysql is reading a packet (readPacket) from the server; with readTimeout unset " +
				"in the DSN the read has no deadline, and the driver interrupts it only through its " +
				"connection's watcher goroutine, which closes the connection when the query's context is done: " +
				"a context that is never done (Query/Exec without Context, context.Background()) is never " +
				"handed to the watcher",
			Fix: fixMySQL,
		},
		{
			ID: "go-sql-driver/mysql.write", Library: "github.com/go-sql-driver/mysql",
			Frames:   []string{"github.com/go-sql-driver/mysql.(*mysqlConn).writePacket"},
			Reasons:  []string{rIOWait},
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "go-sql-driver/mysql is writing a packet to a server that does not read it (its receive " +
				"window is full); writeTimeout is unset in the DSN and the query's context is never done",
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
			// v1.17.1: (*connection).readWireMessage sets the context's
			// deadline (none: none) on the socket, then read.
			ID: "mongo.read", Library: "go.mongodb.org/mongo-driver",
			Frames:   []string{"go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*connection).read*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "the MongoDB driver is reading a reply with the deadline of the operation's context, and that " +
				"context has none; no client-side operation timeout is configured",
			Fix: fixMongo,
		},
		{
			// v2.5.0: the same functions under the /v2 module path.
			ID: "mongo2.read", Library: "go.mongodb.org/mongo-driver/v2",
			Frames:   []string{"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*connection).read*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "the MongoDB driver is reading a reply with the deadline of the operation's context, and that " +
				"context has none; no client-side operation timeout is configured",
			Fix: fixMongo,
		},
		{
			// v1.17 and v2.5: (*connection).write → writeWireMessage;
			// the write deadline is the context's.
			ID: "mongo.write", Library: "go.mongodb.org/mongo-driver",
			Frames:   []string{"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*connection).write*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "the MongoDB driver is writing an operation to a server that does not read it, with the " +
				"deadline of the operation's context, and that context has none",
			Fix: fixMongo,
		},
		{
			// v2.5: (*Topology).SelectServer → selectServerFromSubscription.
			ID: "mongo.select", Library: "go.mongodb.org/mongo-driver",
			Frames:   []string{"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*Topology).selectServerFromSubscription"},
			Reasons:  []string{rSelect},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "the MongoDB driver is waiting for a server that matches the operation's read preference (no " +
				"primary, or no reachable member); the wait ends at serverSelectionTimeoutMS (30 s by default) " +
				"or the context's deadline, so a wait of minutes means both were raised or removed",
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
	// pool's connections are checked out; puddle v2.2.3.
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
	// pgx: v5 and v4 (whose pgconn is a separate module) block the same
	// way: (*PgConn).receiveMessage → peekMessage → pgproto3's
	// (*Frontend).Receive → the chunk reader, on the socket (IO wait) or,
	// v5.4+, on the background reader's sync.Cond.
	for _, v := range []struct{ ver, pgconn, watcher, until string }{
		{"v5", "github.com/jackc/pgx/v5/pgconn", pgx5Watcher, pgx5WatcherUntil},
		{"v4", "github.com/jackc/pgconn", "github.com/jackc/pgconn/internal/ctxwatch.(*ContextWatcher).Watch.func1", ""},
	} {
		sigs = append(sigs, Signature{
			ID: "pgx" + v.ver + ".read", Library: v.pgconn,
			Frames:       []string{v.pgconn + ".(*PgConn).*"},
			Reasons:      []string{rIOWait, rCond},
			Watcher:      v.watcher,
			WatcherUntil: v.until,
			Category:     CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "a pgx connection is waiting for the server's reply; pgx interrupts a read only when the call's context is " +
				"done (its context watcher then sets a past deadline on the socket and sends a cancel request) " +
				"and sets no read deadline of its own, so a context that is never cancelled " +
				"(context.Background(), database/sql's Query without Context) waits as long as the server",
			Fix: fixPgx,
		})
	}
	// pgx v3 (github.com/jackc/pgx before modules) reads in (*Conn).rxMsg
	// and watches a cancellable context with a contextHandler goroutine
	// per call (v3.6.2).
	sigs = append(sigs,
		Signature{
			ID: "pgx3.read", Library: "github.com/jackc/pgx",
			Frames:   []string{"github.com/jackc/pgx.(*Conn).*"},
			Reasons:  []string{rIOWait},
			Watcher:  "github.com/jackc/pgx.(*Conn).contextHandler",
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh, Dominant: true,
			Why: "pgx v3 is waiting for the server's reply in (*Conn).rxMsg; it cancels a query only from the " +
				"contextHandler goroutine it starts for a cancellable context (the Ex methods: QueryEx, ExecEx), " +
				"and Query/Exec without a context, or the start-up exchange, read with no deadline at all",
			Fix: fixPgx,
		},
		Signature{
			ID: "pgx3.pool", Library: "github.com/jackc/pgx",
			Frames:   []string{"github.com/jackc/pgx.(*ConnPool).acquire"},
			Reasons:  []string{rCond, rSelect, rChanRecv},
			HeldBy:   []string{"github.com/jackc/pgx.(*Conn).*"},
			Waiting:  "queued for a pgx v3 pool connection",
			Category: CatDBPoolExhausted, ContextAware: true, Severity: SevHigh,
			Why: "the goroutine is queued in a pgx v3 ConnPool (MaxConnections reached): Acquire waits up to " +
				"AcquireTimeout, which is zero (forever) by default, and AcquireEx only as long as its context",
			Fix: fixPgx,
		},
		Signature{
			// pgxpool v4 queues in puddle v1's Acquire: on the pool's
			// sync.Cond for a context without Done, else in a select
			// while a helper goroutine waits on the Cond (puddle v1.3.0).
			ID: "pgxpool4.acquire", Library: "github.com/jackc/puddle",
			Frames:   []string{"github.com/jackc/puddle.(*Pool).Acquire"},
			Reasons:  []string{rCond, rSelect},
			HeldBy:   []string{"github.com/jackc/pgconn.(*PgConn).*"},
			Waiting:  "queued for a pgxpool connection",
			Category: CatDBPoolExhausted, ContextAware: true, Severity: SevHigh,
			Why: "the goroutine is queued in pgxpool (v4) for a connection: every connection (MaxConns) is " +
				"checked out; the wait honours only the context, so one without deadline waits as long as the " +
				"holders do",
			Fix: fixPgx,
		},
	)
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
	sigs = append(sigs, cgoDriverSignatures()...)
	return sigs
}

// Frames of pgx v5's context watcher: a goroutine per watched call in
// pgconn/ctxwatch (v5.6-v5.8) and pgconn/internal/ctxwatch (before), none
// since v5.9.0, which watches with context.AfterFunc.
const (
	pgx5Watcher      = "github.com/jackc/pgx/v5/pgconn/*ctxwatch.(*ContextWatcher).Watch.func1"
	pgx5WatcherUntil = "github.com/jackc/pgx/v5@v5.9.0"
)

// cgoDriverSignatures are the database drivers that call into C. A
// goroutine inside a cgo call shows as [syscall] under runtime.cgocall and
// a _Cfunc_ frame; the Go runtime cannot preempt, cancel or time it out,
// so a context reaches it only through the C library's own interrupt,
// which the driver calls from another goroutine when the context is done.
func cgoDriverSignatures() []Signature {
	sqlite := "github.com/mattn/go-sqlite3"
	sigs := []Signature{
		{
			// v1.14.x: (*SQLiteStmt).execSync and (*SQLiteRows).nextSyncLocked
			// call _sqlite3_step_row_internal / _sqlite3_step_internal.
			ID: "go-sqlite3.step", Library: sqlite,
			Frames:   []string{sqlite + "._Cfunc_*"},
			Reasons:  []string{rSyscall},
			Category: CatDBDriverNoCtx, ContextAware: false, Severity: SevHigh, Dominant: true,
			Why: "go-sqlite3 is inside a cgo call into SQLite (sqlite3_step): a long query, or a writer " +
				"sleeping in SQLite's busy handler for the database lock up to _busy_timeout. The Go runtime " +
				"cannot interrupt C code; the driver calls sqlite3_interrupt only when a cancellable context " +
				"is done (context.Background() and the methods without Context never are), and a busy wait " +
				"ends only at the busy timeout",
			Fix: fixSQLite,
		},
		{
			// v1.14.22: exec on a cancellable context runs execSync in a
			// goroutine and waits for it, after the interrupt too.
			ID: "go-sqlite3.exec", Library: sqlite,
			Frames:   []string{sqlite + ".(*SQLiteStmt).exec"},
			Reasons:  []string{rSelect, rChanRecv},
			HeldBy:   []string{sqlite + ".(*SQLiteStmt).execSync", sqlite + "._Cfunc_*"},
			Waiting:  "waiting for the SQLite statement running in C",
			Category: CatDBDriverNoCtx, ContextAware: true, Severity: SevHigh,
			Why: "go-sqlite3 runs the statement in a helper goroutine and waits for it; when the context is " +
				"done it calls sqlite3_interrupt and still waits for the C call to notice",
			Fix: fixSQLite,
		},
	}
	// godror (ODPI-C) and its predecessor goracle (gopkg.in/goracle.v2).
	for _, mod := range []string{"github.com/godror/godror", "github.com/go-goracle/goracle"} {
		sigs = append(sigs, Signature{
			ID: mod[strings.LastIndexByte(mod, '/')+1:] + ".cgo", Library: mod,
			Frames:   []string{mod + "._Cfunc_*"},
			Reasons:  []string{rSyscall},
			Category: CatDBDriverNoCtx, ContextAware: false, Severity: SevHigh, Dominant: true,
			Why: "the Oracle driver is inside a cgo call into ODPI-C/OCI (dpiStmt_execute, dpiConn_create, " +
				"dpiPool_acquireConnection...): the Go runtime cannot interrupt C code. The driver breaks a " +
				"running statement (dpiConn_breakExecution) only when a cancellable context is done, and the " +
				"break itself needs an answering server; a connect has no context at all when database/sql " +
				"opens the connection, so only Oracle Net timeouts (CONNECT_TIMEOUT, " +
				"TRANSPORT_CONNECT_TIMEOUT, EXPIRE_TIME) or the call timeout bound it",
			Fix: fixGodror,
		})
	}
	// Any other cgo driver under database/sql (go-oci8, go_ibm_db, ODBC):
	// recognised by its shape alone.
	sigs = append(sigs, Signature{
		ID: "cgo-driver", Library: "database/sql",
		Frames:   []string{"*._Cfunc_*", "database/sql.*"},
		Not:      []string{sqlite + ".*", "github.com/godror/godror.*", "github.com/go-goracle/goracle.*"},
		Reasons:  []string{rSyscall},
		Category: CatDBDriverNoCtx, ContextAware: false, Severity: SevHigh, Confidence: 0.7, Dominant: true,
		Why: "a database/sql driver is inside a cgo call into its C client library: the Go runtime cannot " +
			"preempt or cancel C code, so no context reaches the call unless the driver interrupts the C " +
			"library from another goroutine, and only the C library's own timeouts bound it",
		Fix: fixSyscall,
	})
	return sigs
}
