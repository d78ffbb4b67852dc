package detectors

import (
	"cmp"
	"fmt"
	"github.com/ctxhole/ctxhole/internal/human"
	"slices"
)

// findCycles detects lock-order deadlocks: in the wait-for graph of lock
// waiters (waiter → the goroutine holding the lock it wants), a cycle is a
// set of goroutines each holding what the next one wants. Sync locks never
// time out, so a cycle is permanent.
func (a *analysis) findCycles() error {
	for _, scc := range a.lockSCCs() {
		if len(scc) < 2 {
			continue
		}
		a.reportCycle(scc)
	}
	return nil
}

// lockSCCs returns the strongly connected components of the lock wait-for
// graph (Tarjan's algorithm, iterative over nodes, recursive over edges:
// components are small).
func (a *analysis) lockSCCs() [][]*node {
	index := make(map[*node]int)
	low := make(map[*node]int)
	onStack := make(map[*node]bool)
	var stack []*node
	var out [][]*node
	next := 0
	var strong func(v *node)
	strong = func(v *node) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, e := range v.out {
			w := e.holder
			if !isLockWaiter(w) || !isLockWaiter(v) {
				continue
			}
			if _, seen := index[w]; !seen {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []*node
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for _, n := range a.nodes {
		if _, seen := index[n]; !seen && isLockWaiter(n) && len(n.out) > 0 {
			strong(n)
		}
	}
	return out
}

// reportCycle turns one cycle into a lock-cycle finding: the goroutine that
// got stuck first is the root, the others follow in wait-for order, and the
// last link closes the cycle.
func (a *analysis) reportCycle(scc []*node) {
	inCycle := make(map[*node]bool, len(scc))
	for _, n := range scc {
		inCycle[n] = true
		n.cycle = true
	}
	root := slices.MaxFunc(scc, func(x, y *node) int {
		// A reader re-entering its own read lock is where the cycle
		// starts: the writer only queued between its two RLocks.
		if _, rx := a.recursive[x]; rx != (a.recursive[y] != "") {
			if rx {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(x.grp.WaitMax, y.grp.WaitMax); c != 0 {
			return c
		}
		return cmp.Compare(firstID(y.grp), firstID(x.grp))
	})
	// Walk the cycle from the root along the waits-on edges inside it.
	order := []*node{root}
	grades := []Grade{""}
	seen := map[*node]bool{root: true}
	conf := 1.0
	cycleGrade := GradeProven
	var ev []Evidence
	var reasons []string
	for cur := root; ; {
		var nextEdge *edge
		for _, e := range cur.out {
			if inCycle[e.holder] && (nextEdge == nil || e.confidence > nextEdge.confidence) {
				nextEdge = e
			}
		}
		if nextEdge == nil {
			break
		}
		conf = min(conf, nextEdge.confidence)
		cycleGrade = weakestGrade(cycleGrade, nextEdge.grade)
		if nextEdge.grade == "" {
			cycleGrade = GradeInferred
		}
		ev = append(ev, nextEdge.explained().evidence...)
		reasons = append(reasons, nextEdge.reason)
		if seen[nextEdge.holder] {
			grades[0] = nextEdge.grade // the edge that closes the cycle
			break
		}
		seen[nextEdge.holder] = true
		order = append(order, nextEdge.holder)
		grades = append(grades, nextEdge.grade)
		cur = nextEdge.holder
	}
	f := &Finding{Category: CatLockCycle}
	for depth, n := range order {
		rel := RelRoot
		if depth > 0 {
			rel = RelWaitsOn
		}
		l := a.link(n, depth, rel)
		l.Category = CatLockCycle
		l.Grade = grades[depth]
		f.Chain = append(f.Chain, l)
	}
	closing := a.link(root, len(order), RelCycle)
	closing.Category = CatLockCycle
	closing.Grade = grades[0]
	f.Chain = append(f.Chain, closing)
	// Others queued on the cycle's locks hang with it.
	for _, n := range order {
		for _, e := range n.in {
			if !inCycle[e.waiter] && e.waiter.finding == nil {
				a.attach(f, e.waiter, 1, RelWaitsOn, map[*node]bool{})
			}
		}
	}
	for _, n := range order {
		n.finding = f
	}
	a.fillFinding(f, root)
	f.Root.Grade, f.Chain[0].Grade = cycleGrade, cycleGrade
	f.Root.Basis = fmt.Sprintf("a lock cycle: %d goroutine groups each wait on a lock the next one holds", len(order))
	if cycleGrade == GradeProven {
		f.Root.Basis += ", every link by the lock's address in both stacks"
	} else {
		f.Root.Basis += fmt.Sprintf(", the weakest link %s", cycleGrade)
	}
	f.Confidence = min(gradeConfidence[cycleGrade], conf+0.05)
	if cycleGrade != GradeProven && !f.WaitKnown {
		// Neither proven by addresses nor seen to last: the stacks may
		// only meet for a moment.
		f.Severity = min(f.Severity, SevMedium)
	}
	if cycleGrade == GradeInferred {
		f.Severity = min(f.Severity, SevHigh)
	}
	f.Reasons = append([]string{fmt.Sprintf("root %s: %s", cycleGrade, f.Root.Basis),
		fmt.Sprintf("%d goroutine groups wait on each other's locks in a cycle", len(order))}, reasons...)
	f.Evidence = append(f.Evidence, ev...)
	f.Fix = fixLockCycle
	for _, n := range order {
		if d, ok := a.recursive[n]; ok {
			// A reader re-entering its own read lock: the cycle is
			// that reader and the writer queued between its two RLocks.
			f.Fix = fixRecursiveLock
			f.Title = "Recursive read lock deadlock: " + d
			members := 0
			for _, l := range f.Chain {
				if l.Category == CatLockCycle && l.Relation != RelCycle {
					members += l.Goroutines
				}
			}
			if queued := f.Goroutines - members; queued > 0 {
				f.Title += fmt.Sprintf("; %s more queue behind them", human.Count(queued))
			}
			if f.WaitKnown {
				f.Title += " for " + human.Wait(f.WaitMax, true)
			}
			break
		}
	}
	a.findings = append(a.findings, f)
}
