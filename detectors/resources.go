package detectors

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Orphaned resources. Some library goroutines live exactly as long as a
// resource is open: net/http runs a readLoop and a writeLoop per pooled
// connection, grpc-go a context watcher per client stream, database/sql a
// connectionOpener per *sql.DB and an awaitDone per open transaction or
// result set, drivers a watcher per connection. Each is idle by design
// while someone uses the resource; many of them with nobody using them is
// a resource leak, and what they wait in says which resource and why.

// resourceRow is one kind of resource and the goroutine that betrays it.
type resourceRow struct {
	Kind string // resource kind, in the finding and JSON ("http-response-body")
	// Frames match the resource's own goroutine (any one of them); Reasons,
	// when set, restrict it to the waits that mean the resource is
	// outstanding (a readLoop in select holds an unread body; in IO wait
	// it is an idle pooled connection).
	Frames  []string
	Reasons []string
	// Needs must all be on the stack and Not none of it: where the wait
	// reason is unknown (debug=1, proto), the frames above the loop tell
	// its waits apart (an idle readLoop peeks at the connection).
	Needs, Not []string
	// Companions are goroutines that live and die with the same resource
	// (the writeLoop of a readLoop, a driver's per-connection watcher):
	// shown in the chain, counted in the finding.
	Companions []string
	// Callers are frames of goroutines still using such a resource: each
	// accounts for one resource goroutine.
	Callers []string
	// OwnerGone counts as orphans only goroutines whose creator ("created
	// by ... in goroutine N") has exited: an open transaction or result set
	// whose goroutine returned without Commit, Rollback or Close.
	OwnerGone bool
	// MinOrphans is how many orphans make a finding; MinWait, when set, is
	// how long they must have waited (a printed wait) to count.
	MinOrphans int
	MinWait    time.Duration
	// HighOrphans orphans (or MinOrphans with waits of a minute or more
	// when HighOnWait) make it high; below, medium.
	HighOrphans int
	HighOnWait  bool
	// What names the resources in a phrase ("transactions").
	What string
	// Title names the leak; Why is the expert's paragraph; Fix the change.
	Title string
	Why   string
	Fix   Fix
}

// resourceRows is what ctxhole knows about resources whose goroutines
// outlive their users.
func resourceRows() []resourceRow {
	grpcCallers := []string{
		"google.golang.org/grpc.(*clientStream).*", "google.golang.org/grpc.(*ClientConn).Invoke",
		"google.golang.org/grpc.invoke", "google.golang.org/grpc*/transport.(*Stream).*",
		"google.golang.org/grpc*/transport.(*ClientStream).*", "google.golang.org/grpc*/transport.(*recvBufferReader).*",
	}
	return []resourceRow{
		{
			Kind:       "http-response-body",
			What:       "response bodies",
			Frames:     []string{"net/http.(*persistConn).readLoop"},
			Reasons:    []string{rSelect},
			Not:        []string{"bufio.(*Reader).Peek", "net/http.(*persistConn).Read"},
			Companions: []string{"net/http.(*persistConn).writeLoop"},
			Callers: []string{"net/http.(*bodyEOFSignal).Read", "net/http.(*body).Read", "net/http.(*persistConn).roundTrip",
				"net/http.(*gzipReader).Read"},
			MinOrphans: 10, HighOrphans: 100, HighOnWait: true,
			Title: "response bodies never closed",
			Why: "net/http's readLoop has handed a response to its caller and waits, in select, for the body to be " +
				"read to EOF or closed before it can reuse or drop the connection; no goroutine is reading any of " +
				"these bodies, so each connection, its readLoop and writeLoop goroutines and its file descriptor are " +
				"held until the process exits or the server closes it",
			Fix: fixBodyLeak,
		},
		{
			Kind:       "http-idle-connections",
			What:       "idle connections",
			Frames:     []string{"net/http.(*persistConn).readLoop"},
			Reasons:    []string{rIOWait},
			Needs:      []string{"bufio.(*Reader).Peek"},
			Companions: []string{"net/http.(*persistConn).writeLoop"},
			Callers:    []string{"net/http.(*persistConn).roundTrip"},
			MinOrphans: 100, MinWait: 2 * time.Minute, HighOrphans: 1000,
			Title: "idle client connections piling up (a Transport per request?)",
			Why: "each of these pooled HTTP client connections is idle, waiting in readLoop for a response nobody " +
				"requested, for longer than the default Transport keeps an idle connection (90 s) and more of them " +
				"than it keeps (100): they belong to Transports that are never reused nor closed, typically a new " +
				"http.Transport (or http.Client with its own Transport) per request",
			Fix: fixTransportPerRequest,
		},
		{
			Kind: "grpc-client-stream", What: "client streams",
			Frames: []string{"google.golang.org/grpc.newClientStreamWithParams.func*", "google.golang.org/grpc.newClientStream.func*",
				"google.golang.org/grpc.newNonRetryClientStream.func*"},
			Reasons:    []string{rSelect},
			Callers:    grpcCallers,
			MinOrphans: 10, HighOrphans: 100, HighOnWait: true,
			Title: "gRPC client streams never cancelled or drained",
			Why: "grpc-go starts this goroutine for every client stream to end it when the stream's context or the " +
				"ClientConn is done; it exits only then, or when the stream is read to io.EOF. No goroutine is " +
				"receiving from or sending on these streams any more, so each one keeps its HTTP/2 stream, " +
				"flow-control window and this goroutine for as long as its context lives: a stream opened on " +
				"context.Background() (or a long-lived context) and abandoned after the first message lives forever",
			Fix: fixGRPCStreamLeak,
		},
		{
			Kind: "sql.DB", What: "*sql.DB pools",
			Frames: []string{"database/sql.(*DB).connectionOpener"},
			Companions: []string{"database/sql.(*DB).connectionResetter", "database/sql.(*DB).connectionCleaner",
				"github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func*",
				"github.com/jackc/pgx/v5/pgconn/ctxwatch.*", "github.com/jackc/pgconn/internal/ctxwatch.*",
				"github.com/lib/pq.(*conn).watchCancel.func*"},
			MinOrphans: 10, HighOrphans: 100,
			Title: "a new sql.DB per request, never closed",
			Why: "database/sql starts one connectionOpener goroutine per *sql.DB, in sql.Open, and it ends only with " +
				"DB.Close. A process needs one *sql.DB per database for its whole life; this many means sql.Open " +
				"is called per request or per job and the DB is never closed, each one keeping its pool's " +
				"connections (and the driver's per-connection goroutines) open",
			Fix: fixSQLDBPerRequest,
		},
		{
			Kind:       "sql-tx",
			What:       "transactions",
			Frames:     []string{"database/sql.(*Tx).awaitDone"},
			Companions: []string{"github.com/go-sql-driver/mysql.(*mysqlConn).startWatcher.func*"},
			OwnerGone:  true,
			MinOrphans: 1, MinWait: time.Minute, HighOrphans: 1, HighOnWait: true,
			Title: "transactions never committed or rolled back",
			Why: "database/sql starts (*Tx).awaitDone for every transaction begun with a context; it returns when the " +
				"transaction commits, rolls back or its context is done. The goroutine that began each of these " +
				"transactions has exited without Commit or Rollback, and the context was never cancelled, so the " +
				"transaction stays open and holds its pool connection (and any row locks on the server) forever. " +
				"Where that goroutine is alive but itself queued in (*DB).conn, it either abandoned the transaction " +
				"in an earlier request on the same connection or holds it while asking the pool for another " +
				"connection (use the Tx, not the DB, inside a transaction)",
			Fix: fixTxLeak,
		},
		{
			Kind:       "sql-rows",
			What:       "result sets",
			Frames:     []string{"database/sql.(*Rows).awaitDone"},
			OwnerGone:  true,
			MinOrphans: 1, MinWait: time.Minute, HighOrphans: 10, HighOnWait: true,
			Title: "result sets never closed",
			Why: "database/sql starts (*Rows).awaitDone for a query's result set; it returns when Rows.Close is " +
				"called, the rows are read to the end, or the context is done. The goroutine that ran each of " +
				"these queries has exited without closing its rows, so each holds its pool connection",
			Fix: fixRowsLeak,
		},
	}
}

// rowMatches reports whether a group is a resource row's own goroutine in
// the wait that means the resource is outstanding.
func (r *resourceRow) rowMatches(grp *parser.Group) bool {
	if reason := effectiveReason(grp); len(r.Reasons) > 0 && reason != "" && !slices.Contains(r.Reasons, reason) {
		return false
	}
	for _, p := range r.Needs {
		if !hasFrame(grp.Frames, p) {
			return false
		}
	}
	return anyFrame(grp.Frames, r.Frames) && !anyFrame(grp.Frames, r.Not)
}

func anyFrame(frames []parser.Frame, patterns []string) bool {
	for _, p := range patterns {
		if hasFrame(frames, p) {
			return true
		}
	}
	return false
}

// findResourceLeaks reports resources whose goroutines outnumber their
// users. It runs before chains are built, so the goroutines queued behind
// a leaked resource (handlers waiting for a pool connection a leaked
// transaction holds) join its finding.
func (a *analysis) findResourceLeaks() error {
	if a.snap == nil || a.snapDeadlock() {
		return nil
	}
	a.resRows = resourceRows()
	for i := range a.resRows {
		a.resourceLeak(&a.resRows[i])
	}
	return nil
}

func (a *analysis) resourceLeak(row *resourceRow) {
	var res []*node
	total, callers := 0, 0
	// Whether a stack is the row's resource or one of its callers depends
	// on its frames and wait only: the nodes split from one group by lock
	// address share the answer.
	type stackMatch struct{ resource, caller bool }
	split := make(map[*parser.Group]stackMatch)
	for _, n := range a.nodes {
		if n.finding != nil {
			continue
		}
		m, ok := split[n.origin]
		if !ok {
			m.resource = row.rowMatches(n.grp)
			m.caller = !m.resource && len(row.Callers) > 0 && anyFrame(n.grp.Frames, row.Callers)
			if n.origin != nil && n.origin != n.grp {
				split[n.origin] = m
			}
		}
		switch {
		case m.resource:
			res = append(res, n)
			total += n.grp.Count
		case m.caller:
			callers += n.grp.Count
		}
	}
	if total == 0 {
		return
	}
	// The orphans: the resource goroutines no caller accounts for, those
	// whose owner is gone, and (with MinWait) only those idle long enough.
	var orphanNodes []*node
	orphans, ownerless := 0, 0
	var waitMax time.Duration
	starved := row.OwnerGone && a.poolStarved()
	inferred := false
	for _, n := range res {
		k := n.grp.Count
		if row.OwnerGone {
			if knowsParents(n.grp) {
				k = a.ownerGone(n)
			} else if starved {
				// No creation records (debug=1, proto, a trace that began
				// after they started): with the pool starved and no
				// goroutine holding a connection in sight, they are the
				// likely holders.
				inferred = true
			} else {
				k = 0
			}
		}
		if row.MinWait > 0 && !starved && !a.snap.Preamble.Goleak && (n.grp.WaitKnown == 0 || n.grp.WaitMax < row.MinWait) {
			// Not waited long enough to tell from one about to
			// finish; goroutines queued behind them are proof enough.
			k = 0
		}
		if k == 0 {
			continue
		}
		orphanNodes = append(orphanNodes, n)
		orphans += k
		if row.OwnerGone {
			ownerless += k
		}
		if n.grp.WaitKnown > 0 {
			waitMax = max(waitMax, n.grp.WaitMax)
		}
	}
	if !row.OwnerGone {
		orphans = max(0, orphans-callers)
	}
	if len(orphanNodes) == 0 || (orphans < row.MinOrphans && !(a.snap.Preamble.Goleak && orphans > 0)) {
		// goleak lists only goroutines that outlived their test: one
		// orphan is proof enough.
		return
	}
	a.resourceFinding(row, orphanNodes, resourceTally{total: total, callers: callers, orphans: orphans,
		ownerless: ownerless, waitMax: waitMax, inferred: inferred}, true)
}

// knowsParents reports whether a group's goroutines name their creators.
func knowsParents(grp *parser.Group) bool {
	for _, m := range grp.Members {
		if m.CreatedBy != nil && m.CreatedBy.Parent != 0 {
			return true
		}
	}
	return false
}

// poolStarved reports whether goroutines queue in (*DB).conn and no
// goroutine was found holding a connection for them.
func (a *analysis) poolStarved() bool {
	queued := false
	for _, n := range a.nodes {
		if isPoolWaiter(n) && n.finding == nil {
			if len(n.out) > 0 {
				return false
			}
			queued = true
		}
	}
	return queued
}

// resourceTally is what a resource row's goroutines were set against.
type resourceTally struct {
	total, callers, orphans, ownerless int
	waitMax                            time.Duration
	// inferred is set when the orphans were not counted but guessed (no
	// goroutine IDs to name the owners).
	inferred bool
}

// resourceFinding reports orphaned resources rooted at the largest of
// orphanNodes. With queue set, goroutines queued behind the resources (pool
// waiters behind leaked transactions) join the finding; that is only done
// before chains are built.
func (a *analysis) resourceFinding(row *resourceRow, orphanNodes []*node, t resourceTally, queue bool) *Finding {
	slices.SortStableFunc(orphanNodes, func(x, y *node) int { return cmp.Compare(y.grp.Count, x.grp.Count) })
	root := orphanNodes[0]

	f := &Finding{Category: CatResourceLeak, Resource: row.Kind, Fix: row.Fix}
	seen := map[*node]bool{}
	a.attachTree(f, root, 0, RelRoot, nil, seen)
	for _, n := range orphanNodes[1:] {
		a.attachTree(f, n, 1, RelSameObject, nil, seen)
	}
	// Goroutines queued behind the leaked resources: pool waiters behind a
	// leaked transaction's connection.
	var waiters []*node
	if queue && (row.Kind == "sql-tx" || row.Kind == "sql-rows") {
		for _, n := range a.nodes {
			if isPoolWaiter(n) && n.finding == nil {
				waiters = append(waiters, n)
			}
		}
		for _, w := range waiters {
			a.attachTree(f, w, 1, RelWaitsOn, nil, seen)
			f.Reasons = append(f.Reasons, fmt.Sprintf("%s queued in (*DB).conn: the leaked %s hold the pool's connections",
				human.Plural(w.grp.Count, "goroutine"), row.What))
		}
	}
	companions := 0
	for _, n := range a.nodes {
		if n.finding == nil && len(row.Companions) > 0 && anyFrame(n.grp.Frames, row.Companions) && !row.rowMatches(n.grp) {
			a.attachTree(f, n, 1, RelSameObject, nil, seen)
			companions += n.grp.Count
		}
	}
	root.cls.why = row.Why
	a.fillFinding(f, root)

	f.Evidence = append(f.Evidence, Evidence{Kind: "frame", GoroutineID: firstID(root.grp),
		Text: a.resourceCount(row, t, companions)})
	fn := parser.ShortFunc(root.grp.Frames[max(0, frameIndexAny(root.grp.Frames, row.Frames))].Func)
	f.Reasons = append(f.Reasons, fmt.Sprintf("%d %s goroutines, %d callers using such a resource: %d orphaned",
		t.total, fn, t.callers, t.orphans))
	f.Confidence = clamp01(max(f.Confidence, 0.75))
	if t.inferred {
		f.Confidence = 0.5
		f.Reasons = append(f.Reasons, "inferred: the capture has no goroutine IDs to name the goroutines that opened them")
	}
	f.Severity = SevMedium
	switch {
	case !f.WaitKnown && t.orphans < a.opts.leakMinCount():
		// No wait printed (an aggregated capture): a count alone, below
		// a pile of thousands, does not page anyone.
	case t.orphans >= row.HighOrphans, row.HighOnWait && t.waitMax >= time.Minute, len(waiters) > 0:
		f.Severity = SevHigh
	}
	since := ""
	if f.WaitKnown {
		since = ", idle for " + human.Wait(f.WaitMax, true)
	}
	f.Title = fmt.Sprintf("Resource leak (%s): %s: %s orphaned in %s%s", row.Kind, row.Title, human.Plural(t.orphans, "goroutine"), fn, since)
	if n := waitingGoroutines(f); len(waiters) > 0 && n > 0 {
		f.Title += fmt.Sprintf("; %s queued for a connection behind them", human.Plural(n, "goroutine"))
	}
	a.findings = append(a.findings, f)
	return f
}

// resourceRowOf returns the resource row whose own goroutine, or companion,
// n is; nil if none.
func (a *analysis) resourceRowOf(n *node) *resourceRow {
	for i := range a.resRows {
		r := &a.resRows[i]
		if r.rowMatches(n.grp) || (len(r.Companions) > 0 && anyFrame(n.grp.Frames, r.Companions)) {
			return r
		}
	}
	return nil
}

// leakedResource reports, for a group that grows by identity, the
// resource leak it belongs to: rooted at the resource's own goroutines not
// yet reported (n itself, or those a companion lives with).
func (a *analysis) leakedResource(n *node, row *resourceRow) {
	var own []*node
	t := resourceTally{}
	for _, m := range a.nodes {
		if m.finding == nil && row.rowMatches(m.grp) {
			own = append(own, m)
			t.total += m.grp.Count
			if m.grp.WaitKnown > 0 {
				t.waitMax = max(t.waitMax, m.grp.WaitMax)
			}
		}
	}
	if len(own) == 0 {
		own = []*node{n}
		t.total, t.waitMax = n.grp.Count, n.grp.WaitMax
	}
	t.orphans = t.total
	a.resourceFinding(row, own, t, false)
}

// ownerGone counts the members of a group whose creator goroutine is named
// and can no longer be using what it opened: it has exited, or it is
// itself queued in (*DB).conn for another connection (an HTTP keep-alive
// connection's goroutine serves request after request, so the goroutine
// that began a transaction may be alive in a later request).
func (a *analysis) ownerGone(n *node) int {
	k := 0
	for _, m := range n.grp.Members {
		if m.CreatedBy == nil || m.CreatedBy.Parent == 0 {
			continue
		}
		owner, alive := a.byID[m.CreatedBy.Parent]
		if !alive {
			k++
			continue
		}
		if o := a.nodeOf[owner]; o != nil && isPoolWaiter(o) {
			k++
		}
	}
	return k
}

// resourceCount is the evidence line that sets resources against users.
func (a *analysis) resourceCount(row *resourceRow, t resourceTally, companions int) string {
	total, callers, orphans, ownerless := t.total, t.callers, t.orphans, t.ownerless
	var b strings.Builder
	fmt.Fprintf(&b, "%d goroutine(s) hold a %s resource", total, row.Kind)
	switch {
	case t.inferred:
		b.WriteString("; no goroutine visibly holds a connection while others queue for one")
	case row.OwnerGone:
		fmt.Fprintf(&b, "; for %d of them the goroutine that opened it has exited or is itself queued for another connection", ownerless)
	case len(row.Callers) > 0:
		fmt.Fprintf(&b, "; %d goroutine(s) are still using one (%s), leaving %d with no user", callers,
			strings.Join(shortPatterns(row.Callers, 2), ", "), orphans)
	default:
		fmt.Fprintf(&b, " (one per resource; a process needs a handful)")
	}
	if companions > 0 {
		fmt.Fprintf(&b, "; %d companion goroutine(s) live and die with them", companions)
	}
	return b.String()
}

func shortPatterns(ps []string, n int) []string {
	out := make([]string, 0, n)
	for _, p := range ps[:min(n, len(ps))] {
		out = append(out, parser.ShortFunc(p))
	}
	return out
}

func frameIndexAny(frames []parser.Frame, patterns []string) int {
	for _, p := range patterns {
		if i := frameIndex(frames, p); i >= 0 {
			return i
		}
	}
	return -1
}
