package detectors

import (
	"fmt"
	"slices"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Chains a trace saw form and resolve. A dump only shows what is stuck when
// it is taken; a trace also shows the convoy that came and went: waiters
// queued at one call site, released together by a goroutine that had itself
// been blocked (on the network, a system call) for a long time just before.
// Such a chain is a timeout hole that has not yet hung the service.

const (
	// histMinHold is the shortest block of the releasing goroutine that
	// makes a resolved chain worth reporting.
	histMinHold = time.Second
	// histMinWait is the shortest longest-wait of the released waiters.
	histMinWait = 500 * time.Millisecond
)

// traceHistory adds a finding for every chain the trace saw resolve whose
// waiters' call site no finding covers yet. Identical chains (same
// releaser block stack, same waiter stack) are one finding, however many
// waits they hold.
func (a *analysis) traceHistory() error {
	tr := a.joinedTrace()
	if tr == nil {
		return nil
	}
	covered := a.coveredSites(tr)
	watchers := a.watcherCounts()
	done := make(map[string]bool)
	for _, e := range tr.Edges {
		p := e.WakerPrior
		if e.Kind != parser.WakeGoroutine || p == nil || p.End-p.Start < histMinHold || e.MaxWait < histMinWait || len(e.Wakers) == 0 {
			continue
		}
		wk := parser.StackKey(e.WaiterFrames)
		if parser.SameStack(p.Frames, e.WaiterFrames) || covered[wk] || cancels(e.WakerFrames) ||
			p.Waker.Kind == parser.WakeDeadline || p.Waker.Kind == parser.WakeTimer {
			// A hand-off between fellow waiters, a chain already
			// reported, a cancellation rather than a release, or a
			// releaser that itself gave up on a timer.
			continue
		}
		k := parser.StackKey(p.Frames) + "\n" + wk
		if done[k] {
			continue
		}
		done[k] = true
		if f := a.resolvedChain(tr, e, watchers); f != nil {
			a.findings = append(a.findings, f)
			covered[wk] = true
		}
	}
	return nil
}

// outsideCategories are the holes where a chain ends: a goroutine blocked
// on something outside the process.
var outsideCategories = map[Category]bool{
	CatDBDriverNoCtx:        true,
	CatHTTPClientNoTimeout:  true,
	CatHTTPServerNoTimeout:  true,
	CatGRPCStreamNoDeadline: true,
	CatIONoDeadline:         true,
	CatSyscallBlocked:       true,
}

// cancelFuncs are the functions through which a goroutine wakes others by
// cancelling them (a context's cancel, a deadline set on a connection)
// rather than by releasing what they wait for.
var cancelFuncs = []string{
	"context.(*cancelCtx).cancel",
	"internal/poll.setDeadlineImpl",
}

// cancels reports whether a waker's stack is a cancellation.
func cancels(frames []parser.Frame) bool {
	for _, f := range frames {
		if slices.Contains(cancelFuncs, f.Func) {
			return true
		}
	}
	return false
}

// coveredSites are the call sites (stacks) of the goroutines the findings
// already report, as the trace recorded them and as the snapshot did.
func (a *analysis) coveredSites(tr *parser.Trace) map[string]bool {
	covered := make(map[string]bool)
	for _, f := range a.findings {
		for _, l := range f.Chain {
			if l.Group == nil {
				continue
			}
			covered[parser.StackKey(l.Group.Frames)] = true
			if s := a.stuckOf(tr, l.Group.IDs); s.n > 0 {
				covered[parser.StackKey(s.frames)] = true
			}
		}
	}
	return covered
}

// resolvedChain builds the finding for the chain behind wake edge e: the
// releaser's long block at the root, the waiters it released under it.
func (a *analysis) resolvedChain(tr *parser.Trace, e *parser.WakeEdge, watchers map[string]int) *Finding {
	p := e.WakerPrior
	holder := e.Wakers[0]
	rootG := &parser.Goroutine{ID: holder, Count: 1, M: -1, Frames: p.Frames, Wait: p.End - p.Start, WaitKnown: true}
	if p.Syscall {
		rootG.Status, rootG.State = parser.StatusSyscall, "syscall"
	} else {
		rootG.Status, rootG.State, rootG.Reason = parser.StatusWaiting, p.Reason, p.Reason
	}
	root := &node{grp: parser.GroupGoroutines([]*parser.Goroutine{rootG})[0]}
	root.cls = a.classifyGroup(root.grp, watchers)
	if !root.cls.hole() || !outsideCategories[root.cls.category] {
		// The releaser waited on something inside the process (a queue
		// of its own) or on nothing that is a hole: not a chain's end.
		return nil
	}

	// Every goroutine-ended wait at the waiters' site is part of the queue.
	count := 0
	first, last := e.First, e.Last
	var ids []int64
	for _, x := range tr.Edges {
		if x.Kind == parser.WakeGoroutine && parser.SameStack(x.WaiterFrames, e.WaiterFrames) {
			count += x.Count
			first, last = min(first, x.First), max(last, x.Last)
			ids = append(ids, x.Waiters...)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	start := queueStart(tr, ids, e.WaiterFrames, first-e.MaxWait)
	waitG := &parser.Goroutine{ID: ids[0], Count: 1, M: -1, Status: parser.StatusWaiting, State: e.Reason, Reason: e.Reason,
		Frames: e.WaiterFrames, Wait: e.MaxWait, WaitKnown: true}
	waiters := &node{grp: &parser.Group{
		Status: parser.StatusWaiting, State: e.Reason, Reason: e.Reason, Frames: e.WaiterFrames,
		Count: count, IDs: ids, WaitMin: e.MaxWait, WaitMax: e.MaxWait, WaitKnown: count,
		Members: []*parser.Goroutine{waitG},
	}}
	waiters.cls = a.classifyGroup(waiters.grp, watchers)
	link := &edge{waiter: waiters, holder: root, rel: RelWokenBy, confidence: confWokenBy, grade: GradeProven,
		reason: fmt.Sprintf("the trace shows goroutine %d releasing the queue right after its own %s block", holder, human.Duration(p.End-p.Start))}
	waiters.out, root.in = []*edge{link}, []*edge{link}

	f := &Finding{}
	f.Chain = []Link{a.link(root, 0, RelRoot), a.link(waiters, 1, RelWokenBy)}
	f.Chain[1].Grade = GradeProven
	root.finding, waiters.finding = f, f
	f.Evidence = append(f.Evidence, Evidence{Kind: "trace", GoroutineID: holder, Text: fmt.Sprintf(
		"trace: goroutine %d was blocked %s in %s (%s) from %s to %s; %d waits at %s queued meanwhile (the longest %s) and were released from %s",
		holder, human.Duration(p.End-p.Start), siteName(p.Frames), p.Reason, human.Offset(p.Start), human.Offset(p.End),
		count, siteName(e.WaiterFrames), human.Duration(e.MaxWait), human.Offset(first))})
	a.fillFinding(f, root)

	f.Root.Since, f.Root.Timed = p.Start, true
	f.TraceEnd = tr.Duration
	rl, wl := &f.Chain[0], &f.Chain[1]
	rl.Timed, rl.Start, rl.End = true, p.Start, p.End
	wl.Timed, wl.Start, wl.End = true, start, last
	wl.Wakes = siteEdges(tr, e.WaiterFrames)
	f.Evidence = append(f.Evidence, a.siteEvidence(tr, f)...)
	// It resolved: a hole to fix before it hangs the service, not the
	// cause of a hang.
	f.Severity = min(f.Severity, SevMedium)
	f.Title = "Resolved during the trace: " + f.Title
	f.Reasons = append(f.Reasons, "the chain formed and resolved within the trace; nothing was stuck when it ended")
	return f
}

// queueStart is when the first of the sampled waiters blocked at the site,
// from their kept block history; fallback when none is kept.
func queueStart(tr *parser.Trace, ids []int64, frames []parser.Frame, fallback time.Duration) time.Duration {
	start := time.Duration(-1)
	for _, id := range ids {
		g := tr.Goroutine(id)
		if g == nil {
			continue
		}
		for _, b := range g.Blocks {
			if parser.SameStack(b.Frames, frames) && (start < 0 || b.Start < start) {
				start = b.Start
			}
		}
	}
	if start < 0 {
		return max(fallback, 0)
	}
	return start
}
