package detectors

import (
	"fmt"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Pool holders: goroutines that hold database/sql connections while the
// waiters queue in (*DB).conn. The same *sql.DB pointer in a holder's
// database/sql frames links it exactly; a transaction's or rows' awaitDone
// helper names the goroutine that opened it ("created by ... in goroutine
// N"); failing both, goroutines blocked inside a database driver are the
// likely holders.
const (
	confPoolAddr   = 0.9
	confPoolHelper = 0.75
	confPoolDriver = 0.5
)

func isPoolWaiter(n *node) bool { return n.cls.category == CatDBPoolExhausted }

// linkPools links pool waiters to the goroutines holding connections.
func (a *analysis) linkPools() error {
	var (
		waiters []*node
		idx     addrIndex
	)
	for _, n := range a.nodes {
		if !isPoolWaiter(n) {
			continue
		}
		waiters = append(waiters, n)
		if n.object != 0 {
			idx.add(n.object, n, true, false)
		}
	}
	if len(waiters) == 0 {
		return nil
	}
	idx.sort()
	found := make(map[*node]bool)
	scanWords(&idx, a.wordHits(&idx, 0), func(en addrEntry, aw argWord) {
		w, holder, g, f, arg := en.n, aw.holder, aw.g, aw.f, aw.arg
		if isPoolWaiter(holder) || f.Package() != "database/sql" || holder.cls.background {
			return
		}
		found[w] = true
		conf, grade := confPoolAddr, GradeProven
		if arg.Uncertain || !w.objectCertain {
			conf, grade = confAddrUncertain, GradeInferred
		}
		e := a.addEdge(&edge{waiter: w, holder: holder, rel: RelWaitsOn, object: w.object, confidence: conf, grade: grade})
		if e == nil {
			return
		}
		fr := *f
		e.reason = fmt.Sprintf("goroutine %d is inside %s on the same *sql.DB 0x%x and holds a connection", g.ID, f.Func, w.object)
		e.evidence = []Evidence{{Kind: "argument", GoroutineID: g.ID, Frame: &fr,
			Text: fmt.Sprintf("%s(0x%x%s): the same *sql.DB the waiters queue on", f.Func, arg.Value, uncertainMark(arg))}}
	})
	// Open transactions and result sets name their goroutine through the
	// helper database/sql starts for them.
	for _, n := range a.nodes {
		helper := frameIndex(n.grp.Frames, "database/sql.(*Tx).awaitDone")
		what := "a transaction"
		if helper < 0 {
			helper = frameIndex(n.grp.Frames, "database/sql.(*Rows).awaitDone")
			what = "an open *sql.Rows"
		}
		if helper < 0 {
			continue
		}
		for _, m := range n.grp.Members {
			if m.CreatedBy == nil || m.CreatedBy.Parent == 0 {
				continue
			}
			owner, ok := a.byID[m.CreatedBy.Parent]
			if !ok {
				continue
			}
			holder := a.nodeOf[owner]
			if holder == nil || isPoolWaiter(holder) {
				continue
			}
			for _, w := range waiters {
				a.addEdge(&edge{
					waiter: w, holder: holder, rel: RelWaitsOn, object: w.object, confidence: confPoolHelper, grade: GradeStructural,
					reason: fmt.Sprintf("goroutine %d holds %s (its awaitDone helper, goroutine %d, is alive) and is blocked", owner.ID, what, m.ID),
					evidence: []Evidence{{Kind: "created-by", GoroutineID: m.ID,
						Text: fmt.Sprintf("goroutine %d (%s) was created by %s in goroutine %d: that goroutine holds %s and its connection",
							m.ID, n.grp.Frames[helper].Func, m.CreatedBy.Func, owner.ID, what)}},
				})
				found[w] = true
			}
		}
	}
	a.txHoldersByCount(waiters, found)
	for _, w := range waiters {
		if found[w] {
			continue
		}
		for _, n := range a.nodes {
			if n == w || isPoolWaiter(n) || n.cls.background || !n.cls.hole() {
				continue
			}
			if !hasDatabaseFrame(n.grp.Frames) {
				continue
			}
			why := "the capture prints no *sql.DB pointer that links them"
			if w.object != 0 {
				why = fmt.Sprintf("no frame carries the pool's *sql.DB 0x%x", w.object)
			}
			a.addEdge(&edge{
				waiter: w, holder: n, rel: RelWaitsOn, object: w.object, confidence: confPoolDriver, grade: GradeInferred,
				reason: fmt.Sprintf("likely holder: blocked inside database/sql or a driver while holding a connection (%s)", why),
				evidence: []Evidence{{Kind: "frame", GoroutineID: firstID(n.grp),
					Text: fmt.Sprintf("%s blocked in %s hold connections", human.Plural(n.grp.Count, "goroutine"), blockingFunc(n))}},
			})
		}
	}
	return nil
}

func hasDatabaseFrame(frames []parser.Frame) bool {
	for _, f := range frames {
		if strings.HasPrefix(f.Func, "database/sql.") {
			return true
		}
	}
	return false
}

// txHoldersByCount is for captures without goroutine IDs (debug=1, proto),
// where a transaction's awaitDone helper cannot name its owner: when
// exactly one group of blocked application goroutines is as large as the
// number of open transactions, those goroutines are the likely holders (a
// transaction held across a slow call is the classic way to drain a pool).
func (a *analysis) txHoldersByCount(waiters []*node, found map[*node]bool) {
	open := 0
	for _, n := range a.nodes {
		if hasFrame(n.grp.Frames, "database/sql.(*Tx).awaitDone") {
			open += n.grp.Count
		}
	}
	if open == 0 {
		return
	}
	var match *node
	for _, n := range a.nodes {
		if n.grp.Count != open || !n.cls.hole() || n.cls.app < 0 || isPoolWaiter(n) || isLockWaiter(n) ||
			hasDatabaseFrame(n.grp.Frames) {
			continue
		}
		if match != nil {
			return // ambiguous: say nothing rather than guess
		}
		match = n
	}
	if match == nil {
		return
	}
	for _, w := range waiters {
		if found[w] {
			continue
		}
		a.addEdge(&edge{
			waiter: w, holder: match, rel: RelWaitsOn, object: w.object, confidence: 0.35, grade: GradeInferred,
			reason: fmt.Sprintf("likely holders: %s blocked in %s, as many as the open transactions (%d) — the capture has no goroutine IDs to tie them exactly",
				human.Plural(match.grp.Count, "goroutine"), blockingFunc(match), open),
			evidence: []Evidence{{Kind: "frame", GoroutineID: firstID(match.grp),
				Text: fmt.Sprintf("%d database/sql.(*Tx).awaitDone helpers (open transactions) and %s blocked in %s",
					open, human.Plural(match.grp.Count, "goroutine"), blockingFunc(match))}},
		})
		found[w] = true
	}
}
