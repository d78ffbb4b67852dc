package detectors

import (
	"fmt"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// A trace is a continuous series of snapshots: it shows a leak as it
// happens. A group whose goroutines kept being created while the trace ran
// and blocked at one place, none of them ever woken there, is accumulating.

// traceLeaks runs after the leaks pass on a snapshot built from a trace and
// reports such groups as leaks, with their growth over the trace: from the
// goroutines already blocked there when it began to all of them at its end,
// at the rate they were created.
func (a *analysis) traceLeaks() error {
	if a.snap == nil || a.snap.Source.Format != parser.FormatExecTrace || len(a.capture.Traces) == 0 {
		return nil
	}
	tr := parser.LatestTrace(a.capture.Traces)
	if tr.Duration <= 0 {
		return nil
	}
	for _, n := range a.nodes {
		if n.finding != nil && n.finding.Category == CatGoroutineLeak || !maybeBlocked(n.grp) {
			continue
		}
		created, first, last, ok := createdWhileTracing(tr, n.grp.IDs)
		if !ok || created < leakMinGrowth || last-first < tr.Duration/2 || !neverWoken(tr, n.grp.Frames) {
			continue
		}
		g := &Growth{From: n.grp.Count - created, To: n.grp.Count, Snapshots: 2,
			PerMinute: float64(created) / tr.Duration.Minutes(), RateKnown: true}
		a.reportLeak(n, g, []int{g.From, g.To}, identityVerdict{traced: true})
		if f := n.finding; f != nil {
			f.Evidence = append(f.Evidence, Evidence{Kind: "trace", GoroutineID: firstID(n.grp), Text: fmt.Sprintf(
				"trace: %d of these goroutines were created between %s and %s and blocked here; none of the waits here ended during the %s trace",
				created, human.Offset(first), human.Offset(last), human.Duration(tr.Duration))})
		}
	}
	return nil
}

// createdWhileTracing counts the goroutines among ids that the trace saw
// created, and the span of their creation times; ok is false when a member
// is not blocked at the end.
func createdWhileTracing(tr *parser.Trace, ids []int64) (n int, first, last time.Duration, ok bool) {
	for _, id := range ids {
		tg := tr.Goroutine(id)
		if tg == nil || tg.Stuck == nil {
			return 0, 0, 0, false
		}
		if tg.BeforeStart {
			continue
		}
		if n == 0 || tg.Created < first {
			first = tg.Created
		}
		last = max(last, tg.Created)
		n++
	}
	return n, first, last, true
}

// neverWoken reports whether no wait at the call site with these frames
// ended during the trace.
func neverWoken(tr *parser.Trace, frames []parser.Frame) bool {
	for _, s := range tr.Sites {
		if parser.SameStack(s.Frames, frames) {
			return s.Waits == s.NeverWoken
		}
	}
	return true
}
