package detectors

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// What a dump cannot tell but a trace can: whether a goroutine is stuck at
// all. A dump shows a goroutine parked; the trace shows it parked for a
// moment at the end after waking regularly, or parked through the whole
// trace. These checks correct the classification of a trace-only snapshot
// by that knowledge.

// stuckMin is the shortest open block a trace-only diagnosis counts as
// stuck: a second, or half the trace when the trace is shorter than two.
func stuckMin(tr *parser.Trace) time.Duration {
	return min(time.Second, tr.Duration/2)
}

// traceIdle runs after classify on a snapshot built from a trace: it
// clears goroutines that blocked only briefly before the trace ended, and
// flags as stranded the goroutines parked on a channel for the whole trace
// whose creating function has left every stack (the creator is gone, as
// "created by ... in goroutine N" with N absent shows in a dump).
func (a *analysis) traceIdle() error {
	if a.snap == nil || a.snap.Source.Format != parser.FormatExecTrace || len(a.capture.Traces) == 0 {
		return nil
	}
	tr := parser.LatestTrace(a.capture.Traces)
	onStacks := stackFuncs(tr)
	minWait := stuckMin(tr)
	for _, n := range a.nodes {
		s := a.stuckOf(tr, n.grp.IDs)
		if s.n == 0 {
			continue
		}
		switch {
		case n.cls.hole() && s.n == len(n.grp.IDs) && s.first > tr.Duration-minWait && n.cls.reason != rSleep:
			// (A short sleep at the end is how a polling loop looks: it
			// stays a finding, as in a dump.)
			n.cls.background = true
			n.cls.reasons = append(n.cls.reasons, fmt.Sprintf(
				"trace: blocked only from %s, less than %s before the trace ended at %s: not stuck",
				human.Offset(s.first), human.Duration(minWait), human.Offset(tr.Duration)))
		case n.cls.background && n.cls.category != "" && s.beforeStart == len(n.grp.IDs):
			a.strandedByTrace(n, tr, onStacks)
		}
	}
	return nil
}

// strandedByTrace turns an idle-looking channel waiter into a hole when the
// trace shows it parked throughout and started from a closure of a function
// no goroutine is in any more.
func (a *analysis) strandedByTrace(n *node, tr *parser.Trace, onStacks map[string]bool) {
	switch n.cls.reason {
	case rChanSend, rChanRecv, rSelect:
	default:
		return
	}
	if n.cls.scope != scopeNone || n.cls.parentGone {
		return
	}
	creator := closureParent(startFunc(n.grp.Frames))
	if creator == "" || onStacks[creator] {
		return
	}
	for _, m := range n.grp.Members {
		if m.CreatedBy != nil && m.CreatedBy.Parent != 0 {
			return // the creator is known; classify judged it already
		}
	}
	n.cls.background = false
	kept := n.cls.reasons[:0]
	for _, r := range n.cls.reasons {
		if !strings.HasPrefix(r, "long-lived loop") {
			kept = append(kept, r)
		}
	}
	n.cls.reasons = append(kept, fmt.Sprintf(
		"trace: parked for the whole %s trace in a goroutine started from %s, which is on no goroutine's stack: nobody is left on the other side",
		human.Duration(tr.Duration), creator))
}

// stackFuncs are the functions on the stacks of goroutines blocked when the
// trace ended.
func stackFuncs(tr *parser.Trace) map[string]bool {
	fns := make(map[string]bool)
	for _, g := range tr.Goroutines {
		if g.Stuck != nil && !g.Exited {
			for _, f := range g.Stuck.Frames {
				fns[f.Func] = true
			}
		}
	}
	return fns
}

// startFunc is a goroutine's start function: its outermost frame.
func startFunc(frames []parser.Frame) string {
	if len(frames) == 0 {
		return ""
	}
	return frames[len(frames)-1].Func
}

// closureParent returns the function a closure is declared in
// ("main.(*server).recommend" for "main.(*server).recommend.func1"), where
// its go statement almost always is; "" if fn is not a closure.
func closureParent(fn string) string {
	i := strings.LastIndex(fn, ".func")
	if i <= 0 || i+5 >= len(fn) {
		return ""
	}
	for _, c := range fn[i+5:] {
		if c < '0' || c > '9' {
			if c == '.' {
				break
			}
			return ""
		}
	}
	return fn[:i]
}
