package detectors

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// buildChains turns the wait-for edges into findings: every stuck group
// follows its most confident edge to what it waits on, the groups at the end
// of those paths are the roots, and each root with everything waiting on it
// becomes one finding, its chain flattened in pre-order.
func (a *analysis) buildChains() error {
	parent := a.chooseParents()
	children := make(map[*node][]*edge)
	for _, n := range a.nodes {
		if e := parent[n]; e != nil {
			children[e.holder] = append(children[e.holder], e)
		}
	}
	for _, list := range children {
		slices.SortStableFunc(list, func(x, y *edge) int { return cmp.Compare(y.waiter.grp.Count, x.waiter.grp.Count) })
	}
	var roots []*node
	for _, n := range a.nodes {
		if n.finding != nil || parent[n] != nil {
			continue
		}
		if n.cls.hole() || len(children[n]) > 0 {
			roots = append(roots, n)
		}
	}
	// Queues on one lock or pool whose holder nobody could name are one
	// convoy, whatever stacks the waiters came from.
	merged := make(map[string]*Finding)
	type tree struct {
		f    *Finding
		root *node
	}
	var trees []tree
	for _, r := range roots {
		key := ""
		if len(children[r]) == 0 {
			key = queueKey(r)
		}
		if f, ok := merged[key]; ok && key != "" {
			rel, grade := RelSameSite, GradeStructural
			if strings.HasPrefix(key, "lock:") || strings.HasPrefix(key, "pool:") {
				// The same address: the same lock or pool.
				rel, grade = RelSameObject, GradeProven
				if !r.objectCertain {
					grade = GradeInferred
				}
			} else if strings.HasPrefix(key, "lock@") {
				// No address printed: the same lock by the function or
				// type that takes it, a likely but unproven identity.
				rel, grade = RelSameObject, GradeInferred
			}
			idx := len(f.Chain)
			a.attachTree(f, r, 1, rel, children, map[*node]bool{})
			if idx < len(f.Chain) {
				f.Chain[idx].Grade = grade
			}
			continue
		}
		f := &Finding{}
		a.attachTree(f, r, 0, RelRoot, children, map[*node]bool{})
		trees = append(trees, tree{f, r})
		if key != "" {
			merged[key] = f
		}
	}
	for _, t := range trees {
		a.fillFinding(t.f, t.root)
		a.findings = append(a.findings, t.f)
	}
	return nil
}

// chooseParents picks for each group the edge it most likely waits on, and
// breaks any loop of such edges that is not a lock cycle (already
// reported) at its weakest edge.
func (a *analysis) chooseParents() map[*node]*edge {
	parent := make(map[*node]*edge)
	for _, n := range a.nodes {
		if n.finding != nil {
			continue
		}
		var best *edge
		for _, e := range n.out {
			if e.holder.finding != nil && e.holder.cycle {
				// Waiting on a deadlocked lock: it joins the cycle's finding.
				continue
			}
			if best == nil || e.confidence > best.confidence ||
				(e.confidence == best.confidence && e.holder.grp.WaitMax > best.holder.grp.WaitMax) {
				best = e
			}
		}
		if best != nil {
			parent[n] = best
		}
	}
	for _, n := range a.nodes {
		path := make(map[*node]bool)
		var walk []*edge
		for cur := n; parent[cur] != nil; cur = parent[cur].holder {
			if path[cur] {
				// A loop: drop its weakest edge.
				weakest := walk[len(walk)-1]
				for _, e := range walk {
					if path[e.waiter] && e.confidence < weakest.confidence {
						weakest = e
					}
				}
				delete(parent, weakest.waiter)
				break
			}
			path[cur] = true
			walk = append(walk, parent[cur])
		}
	}
	return parent
}

// queueKey identifies what a holder-less root waits on, so that roots
// waiting on the same thing become one finding: a lock or pool by its
// address (or, with none printed, the function that takes the lock), a
// library hole by its signature, a generic wait by its category and site.
func queueKey(n *node) string {
	switch {
	case isLockWaiter(n):
		return lockIdentity(n)
	case isPoolWaiter(n):
		return fmt.Sprintf("pool:%x", n.object)
	case n.cls.hole() && n.cls.matched && n.cls.match.sig.Priority < prioGeneric:
		// One signature, one hole: idle and half-sent connections of one
		// server are one finding.
		return "sig:" + n.cls.match.sig.ID
	case n.cls.hole():
		if fi := tellingFrame(n); fi >= 0 {
			return "site:" + string(n.cls.category) + "@" + n.grp.Frames[fi].Func
		}
	}
	return ""
}

// attachTree adds n and, below it, everything that waits on it.
func (a *analysis) attachTree(f *Finding, n *node, depth int, rel Relation, children map[*node][]*edge, seen map[*node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	l := a.link(n, depth, rel)
	f.Chain = append(f.Chain, l)
	n.finding = f
	merged := a.mergeLeafSplits(f, children[n], children, seen, depth+1)
	for _, e := range children[n] {
		if merged[e.waiter] || (e.waiter.finding != nil && e.waiter.finding != f) {
			continue
		}
		idx := len(f.Chain)
		a.attachTree(f, e.waiter, depth+1, e.rel, children, seen)
		if idx < len(f.Chain) {
			f.Chain[idx].Grade = e.grade
			if e.object != 0 {
				f.Chain[idx].Object = e.object
			}
		}
		e.explained()
		a.addEvidence(f, e.evidence...)
		a.addReason(f, e.reason)
	}
}

// mergeLeafSplits folds waiters that share one stack but were split by the
// object they wait on (each on its own lock) back into one link when
// nothing waits on them: a thousand per-connection locks behind one holder
// read as one line, "1000 goroutines, each on its own lock". It returns the
// nodes it folded.
func (a *analysis) mergeLeafSplits(f *Finding, edges []*edge, children map[*node][]*edge, seen map[*node]bool, depth int) map[*node]bool {
	byOrigin := make(map[*parser.Group][]*edge)
	var order []*parser.Group
	for _, e := range edges {
		w := e.waiter
		if w.origin == nil || w.origin == w.grp || len(children[w]) > 0 || seen[w] ||
			(w.finding != nil && w.finding != f) {
			continue
		}
		if _, ok := byOrigin[w.origin]; !ok {
			order = append(order, w.origin)
		}
		byOrigin[w.origin] = append(byOrigin[w.origin], e)
	}
	merged := make(map[*node]bool)
	for _, origin := range order {
		list := byOrigin[origin]
		if len(list) < 2 {
			continue
		}
		var members []*parser.Goroutine
		for _, e := range list {
			members = append(members, e.waiter.grp.Members...)
			merged[e.waiter], seen[e.waiter] = true, true
			e.waiter.finding = f
		}
		groups := parser.GroupGoroutines(members)
		if len(groups) != 1 {
			// Not one identity after all: leave them to attach one by one.
			for _, e := range list {
				delete(merged, e.waiter)
				delete(seen, e.waiter)
				e.waiter.finding = nil
			}
			continue
		}
		first := list[0].waiter
		l := a.link(first, depth, list[0].rel)
		l.Group, l.Goroutines, l.Object = groups[0], groups[0].Count, 0
		for _, e := range list {
			l.Grade = weakestGrade(l.Grade, e.grade)
		}
		l.IDs = sampleIDs(groups[0].IDs, a.opts.maxIDs())
		l.WaitMax, l.WaitKnown = groups[0].WaitMax, groups[0].WaitKnown > 0
		f.Chain = append(f.Chain, l)
		a.addEvidence(f, Evidence{Kind: "argument", GoroutineID: firstID(groups[0]),
			Text: fmt.Sprintf("%s in %s, each waiting on its own object (%d distinct addresses)", human.Plural(groups[0].Count, "goroutine"), l.Function, len(list))})
		a.addReason(f, list[0].explained().reason)
	}
	return merged
}

// attach adds one waiter (and what waits on it through its own edges) under
// a finding built elsewhere (a lock cycle).
func (a *analysis) attach(f *Finding, n *node, depth int, rel Relation, seen map[*node]bool) {
	children := map[*node][]*edge{n: n.in}
	a.attachTree(f, n, depth, rel, children, seen)
}

// link describes one group as a chain link.
func (a *analysis) link(n *node, depth int, rel Relation) Link {
	fi := tellingFrame(n)
	l := Link{
		Depth:      depth,
		Relation:   rel,
		Category:   n.cls.category,
		Goroutines: n.grp.Count,
		IDs:        sampleIDs(n.grp.IDs, a.opts.maxIDs()),
		State:      n.grp.State,
		WaitMax:    n.grp.WaitMax,
		WaitKnown:  n.grp.WaitKnown > 0,
		Group:      n.grp,
		Object:     n.object,
		End:        -1,
	}
	if fi >= 0 {
		fr := n.grp.Frames[fi]
		l.Function, l.File, l.Line = fr.Func, fr.File, fr.Line
	}
	return l
}

// tellingFrame is the frame that best names what a group is doing: the
// blocking call its signature anchors on, else its first application frame,
// else its first frame outside the runtime.
func tellingFrame(n *node) int {
	if n.cls.matched && n.cls.match.anchor >= 0 && !n.cls.background {
		return n.cls.match.anchor
	}
	if n.cls.app >= 0 {
		return n.cls.app
	}
	return parser.TellingFrame(n.grp.Frames)
}

func sampleIDs(ids []int64, limit int) []int64 {
	if len(ids) <= limit {
		return append([]int64(nil), ids...)
	}
	return append([]int64(nil), ids[:limit]...)
}

// chainNodes returns the distinct groups of a finding's chain.
func chainGroups(f *Finding) []*parser.Group {
	seen := make(map[*parser.Group]bool)
	var out []*parser.Group
	for _, l := range f.Chain {
		if l.Group != nil && !seen[l.Group] {
			seen[l.Group] = true
			out = append(out, l.Group)
		}
	}
	return out
}
