package detectors

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// severityWeights turn a severity into a ranking weight: one critical chain
// outranks many medium ones.
var severityWeights = [...]float64{
	SevInfo:     0.1,
	SevLow:      0.5,
	SevMedium:   1,
	SevHigh:     3,
	SevCritical: 10,
}

// severityFor grades a finding. The signature gives the base; evidence that
// it is a real hang raises it (goroutines waiting behind it, request-scoped
// goroutines blocked for minutes, a runtime-declared deadlock); the absence
// of any wait duration caps it, so a busy healthy service, whose goroutines
// block only briefly, never gets a high finding.
func (a *analysis) severityFor(f *Finding, root *node) Severity {
	sev := SevMedium
	if root.cls.matched && !root.cls.background {
		sev = root.cls.match.sig.Severity
	}
	switch f.Category {
	case CatUnclassified:
		sev = SevLow
		if root.cls.reason == "" {
			sev = SevInfo
		}
	case CatLockCycle:
		// Sync locks never time out: a cycle is permanent (reportCycle
		// lowers one neither proven nor old).
		sev = SevCritical
	case CatMutexConvoy, CatDBPoolExhausted:
		sev = max(sev, SevMedium)
	}
	waiters := waitingGoroutines(f)
	minutes := f.WaitMax / time.Minute
	if f.WaitKnown && minutes >= 1 {
		// Stranded goroutines (their creator gone) count as request-scoped:
		// a request started them and left.
		requestScoped := root.cls.scope != scopeNone || root.cls.parentGone
		for _, l := range f.Chain {
			if n := a.nodeByGroup(l); n != nil && (n.cls.scope != scopeNone || n.cls.parentGone) {
				requestScoped = true
			}
		}
		if (waiters > 0 && sev >= SevMedium) || (requestScoped && f.Goroutines >= 3 && sev >= SevMedium) {
			sev = max(sev, SevHigh)
		}
		if waiters >= 20 && minutes >= 2 && sev >= SevHigh {
			sev = SevCritical
		}
	}
	if f.WaitKnown && minutes < 1 && waiters >= 10 && sev >= SevMedium && f.Root.Grade != GradeInferred {
		// Waits measured by a trace, never released while it ran: a
		// queue behind an established holder.
		sev = max(sev, SevHigh)
	}
	if !f.WaitKnown && f.Category != CatLockCycle {
		// Aggregated formats print no waits at all: a pile of thousands is
		// evidence enough when someone waits on it or requests are stuck
		// in it. Thousands of loops each waiting for its own peer or
		// signal (a server with thousands of clients) are how high
		// fan-out looks: suspicious, not a page.
		switch {
		case f.Goroutines < a.opts.leakMinCount():
			sev = min(sev, SevMedium)
		case sev >= SevMedium && (waiters > 0 || root.cls.scope != scopeNone || root.cls.parentGone || !waitsForInput(root)):
			sev = max(sev, SevHigh)
		default:
			sev = min(sev, SevMedium)
		}
	}
	if !f.WaitKnown && waiters == 0 && f.Goroutines < 10 && root.cls.confidence < 0.9 && f.Category != CatLockCycle {
		// A few goroutines, nobody behind them, blocked for less than a
		// minute as far as the dump says: an idle keep-alive connection or a
		// call in flight looks exactly like this in a healthy service.
		sev = min(sev, SevLow)
	}
	if !f.WaitKnown && waiters == 0 && root.cls.confidence < 0.6 && f.Goroutines < a.opts.leakMinCount() && f.Category != CatLockCycle {
		// A guessed category (no signature: a request's select, an
		// unexplained wait) with no wait printed and nobody behind it:
		// requests in flight in a busy, healthy service look like this.
		sev = min(sev, SevLow)
	}
	if f.Category == CatSleepPoll {
		sev = min(sev, SevLow)
	}
	if root.cls.idleOver != nil && waiters == 0 {
		// Idle by design and only its length says otherwise: a server
		// that never closes idle connections wastes descriptors, it does
		// not hold anyone up.
		sev = min(sev, SevLow)
	}
	if f.Category == CatEmptySelect && root.cls.scope == scopeNone && testFrame(root.grp.Frames) < 0 {
		// select {} outside a request or a test keeps a process alive
		// by design (the end of a daemon's main).
		sev = SevInfo
	}
	if f.Root.Grade == GradeInferred && sev > SevHigh {
		// A guessed root is never critical: the queue is real, who is
		// at its head is not known.
		sev = SevHigh
	}
	if a.snap != nil && a.snap.Preamble.Deadlock() && f.Category != CatUnclassified {
		// The runtime itself declared that every goroutine is asleep for
		// good: nothing here will ever wake. The finding that names the
		// deadlock is made critical by runtimeVerdicts.
		sev = max(sev, SevHigh)
	}
	return sev
}

// waitsForInput reports whether a group waits the way a loop waits for its
// next piece of work: a network read, a receive, a select, a sync.Cond.
// Sends, locks and pool queues wait for someone else to finish.
func waitsForInput(n *node) bool {
	switch n.cls.reason {
	case rIOWait, rChanRecv, rSelect, rCond:
		return true
	case "":
		return n.cls.category == CatIONoDeadline || n.cls.category == CatCondWait || n.cls.category == CatChanRecvBlocked
	}
	return false
}

func (a *analysis) nodeByGroup(l Link) *node {
	if l.Group == nil || len(l.Group.Members) == 0 {
		return nil
	}
	return a.nodeOf[l.Group.First()]
}

// score weighs a finding for ranking: severity, the size of its chain
// (logarithmically: a thousand waiters are not a thousand times worse than
// one), how long it has been stuck, how its root was established (a
// proven root outweighs an inferred one about fourfold) and how sure the
// analysis is otherwise.
func score(f *Finding) float64 {
	gw, ok := gradeWeight[f.Root.Grade]
	if !ok || (f.Root.Grade == GradeInferred && waitingGoroutines(f) == 0) {
		gw = unknownHolderWeight
	}
	w := severityWeights[max(SevInfo, min(SevCritical, f.Severity))]
	size := 1 + math.Log2(1+float64(f.Goroutines))
	wait := 1.0
	if f.WaitKnown {
		wait += math.Log2(1+f.WaitMax.Minutes()) / 4
	}
	if f.Category == CatUnclassified && f.WaitKnown {
		// What no category explains ranks by goroutine-minutes.
		size, wait = 1+math.Log2(1+float64(f.Goroutines)*f.WaitMax.Minutes()), 1
	}
	chain := 1 + 0.25*float64(min(len(f.Chain)-1, 4))
	return w * size * wait * chain * gw * (0.5 + f.Confidence/2)
}

// rank orders the findings: the principal root cause first. A finding
// judged low or info (what a healthy service also shows: a few idle
// reads, a poll loop) never ranks above one judged medium or worse,
// whatever its grade: within each band the score decides.
func (a *analysis) rank() error {
	for _, f := range a.findings {
		if g := f.Growth; g != nil && f.Category != CatGoroutineLeak {
			// Growth is this finding's evidence that its goroutines
			// leak: the title says so.
			f.Title += fmt.Sprintf("; growing %d → %d across %d snapshots%s", g.From, g.To, g.Snapshots, rateText(g))
		}
	}
	for _, f := range a.findings {
		f.Score = score(f)
	}
	slices.SortStableFunc(a.findings, func(x, y *Finding) int {
		if (x == a.pinned) != (y == a.pinned) {
			if x == a.pinned {
				return -1
			}
			return 1
		}
		if xs, ys := x.Severity >= SevMedium, y.Severity >= SevMedium; xs != ys {
			if xs {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Goroutines, x.Goroutines); c != 0 {
			return c
		}
		return cmp.Compare(x.Root.GoroutineID, y.Root.GoroutineID)
	})
	return nil
}

// waitingGoroutines counts the goroutines that wait on the root through
// the chain: links below the root that are not the root's own siblings
// (same-object links are more of the root, not waiters).
func waitingGoroutines(f *Finding) int {
	n := 0
	sibling := false
	for i, l := range f.Chain {
		if i == 0 {
			continue
		}
		if l.Depth == 1 {
			sibling = l.Relation == RelSameObject || l.Relation == RelSameSite
		}
		if !sibling && waiterLink(l) {
			n += l.Goroutines
		}
	}
	return n
}
