package detectors

import (
	"cmp"
	"fmt"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
	"slices"
	"strings"
	"time"
)

// longBlocked is the wait from which a blocked goroutine must appear in
// some finding: the runtime prints waits from a minute on, and a goroutine
// stuck that long is never silently dropped.
const longBlocked = time.Minute

// unexplained reports every group blocked for a minute or more that no
// finding covers and no background row explains (the runtime's own
// goroutines, signal handling, accept loops, transport read loops, pool
// maintenance, server connections between requests: idle by design), as
// unclassified-blocked, so that silence
// never hides a goroutine stuck for hours. Each unexplained group is its
// own finding, ranked by goroutine-minutes; groups that only look idle (an
// application loop parked on a channel, its creator alive) share one
// info finding: nothing proves them stuck, nothing proves them fine.
func (a *analysis) unexplained() error {
	var idle []*node
	for _, n := range a.nodes {
		if n.finding != nil {
			continue
		}
		if n.grp.Status == parser.StatusLeaked {
			// The garbage collector proved them stuck: no wait, idle
			// look or background row can excuse them.
			a.leakedFinding(n)
			continue
		}
		if n.grp.WaitKnown == 0 || n.grp.WaitMax < longBlocked || !maybeBlocked(n.grp) {
			continue
		}
		if n.cls.background && (!n.cls.idle || (n.cls.matched && n.cls.match.sig.Background)) || runtimeOnly(n) {
			// A background or idle-by-design row explains it.
			continue
		}
		if n.cls.idle {
			idle = append(idle, n)
			continue
		}
		f := a.unexplainedFinding([]*node{n})
		f.Title = fmt.Sprintf("%s blocked for %s [%s] in %s: no category explains them",
			human.Plural(n.grp.Count, "goroutine"), human.Wait(n.grp.WaitMax, true), stateOf(n), parser.ShortFunc(blockingFunc(n)))
	}
	if len(idle) == 0 {
		return nil
	}
	slices.SortStableFunc(idle, func(x, y *node) int {
		return cmp.Compare(float64(y.grp.Count)*y.grp.WaitMax.Minutes(), float64(x.grp.Count)*x.grp.WaitMax.Minutes())
	})
	f := a.unexplainedFinding(idle)
	f.Severity = SevInfo
	total, longest := 0, idle[0]
	for _, n := range idle {
		total += n.grp.Count
		if n.grp.WaitMax > longest.grp.WaitMax {
			longest = n
		}
	}
	groups := ""
	if len(idle) > 1 {
		groups = fmt.Sprintf(" in %d groups", len(idle))
	}
	f.Title = fmt.Sprintf("%s%s parked like loops waiting for work, the longest for %s in %s; nothing proves them stuck",
		human.Plural(total, "goroutine"), groups, human.Wait(longest.grp.WaitMax, true), parser.ShortFunc(blockingFunc(longest)))
	return nil
}

// leakedFinding reports a group Go 1.26's goroutine leak detection marked
// "(leaked)" that no category's finding covers: the garbage collector found
// nothing reachable that could ever wake them, so they are stuck for good
// whatever their stack looks like (a goroutineleak profile lists only
// such goroutines, and prints no waits).
func (a *analysis) leakedFinding(n *node) {
	f := a.unexplainedFinding([]*node{n})
	f.Category, f.Fix = CatGoroutineLeak, fixLeak
	for i := range f.Chain {
		f.Chain[i].Category = CatGoroutineLeak
	}
	state := ""
	if s := stateOf(n); s != "blocked" {
		state = " [" + s + "]"
	}
	f.Title = fmt.Sprintf("%s leaked%s in %s: the runtime's leak detection proved nothing can wake them",
		human.Plural(n.grp.Count, "goroutine"), state, parser.ShortFunc(blockingFunc(n)))
	f.Root.Grade, f.Chain[0].Grade = GradeProven, GradeProven
	f.Root.Basis = a.leakBasis()
	f.Confidence = gradeConfidence[GradeProven]
	f.Reasons = append(f.Reasons, "marked (leaked) by the runtime's goroutine leak detection")
	f.Severity = max(f.Severity, SevMedium)
}

// unexplainedFinding makes one unclassified-blocked finding of groups, the
// first one its root, the others more of the same judgement.
func (a *analysis) unexplainedFinding(ns []*node) *Finding {
	f := &Finding{Category: CatUnclassified}
	for i, n := range ns {
		depth, rel := 0, RelRoot
		if i > 0 {
			depth, rel = 1, RelSameSite
		}
		idx := len(f.Chain)
		a.attachTree(f, n, depth, rel, nil, map[*node]bool{})
		for j := idx; j < len(f.Chain); j++ {
			f.Chain[j].Category = CatUnclassified
			if j > 0 {
				f.Chain[j].Grade = GradeInferred
			}
		}
	}
	f.Fix = fixUnclassified
	a.fillFinding(f, ns[0])
	f.Root.Grade, f.Chain[0].Grade = GradeInferred, GradeInferred
	f.Root.Basis = "no category explains these goroutines: only their wait of a minute or more says they may be stuck"
	f.Confidence = min(f.Confidence, gradeConfidence[GradeInferred]-0.1)
	f.Reasons = append(f.Reasons, "blocked for a minute or more and in no other finding: reported so nothing long-blocked is dropped")
	if why := strings.Join(ns[0].cls.reasons, "; "); why != "" {
		f.Explanation += " Classification: " + why + "."
	}
	a.findings = append(a.findings, f)
	return f
}

func stateOf(n *node) string {
	if n.grp.State != "" {
		return n.grp.State
	}
	if n.cls.reason != "" {
		return n.cls.reason
	}
	return "blocked"
}

// runtimeOnly reports whether a group is a system goroutine, idle for as
// long as the process lives (parser.RuntimeOnly; a group with no frames
// counts too).
func runtimeOnly(n *node) bool {
	return len(n.grp.Frames) == 0 || parser.RuntimeOnly(n.grp.Frames)
}
