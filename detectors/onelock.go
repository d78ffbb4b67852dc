package detectors

import (
	"fmt"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// One lock, one holder. A lock has at most one holder (a writer) or a set
// of readers: every goroutine queued on it (Mutex waiters, RWMutex readers
// and writers, from whatever stacks) waits on the same thing, so they share
// one holder analysis and end up in one finding. A lock is identified by
// its address; a capture with no argument words identifies it by the type
// or function that owns it, which is a likely identity, not a proven one.

// lockIdentity names the lock a waiter is queued on: its address, or
// without one (or with only a "?" word, often a stale register under the
// register ABI) the owner of the lock site; "" when neither is known.
func lockIdentity(n *node) string {
	if n.object != 0 && n.objectCertain {
		return fmt.Sprintf("lock:%x", n.object)
	}
	if ci := lockSite(n); ci >= 0 {
		return "lock@" + lockOwner(n.grp.Frames[ci])
	}
	return ""
}

// lockOwner names what owns the lock taken at a call site when no address
// says which lock it is: the receiver type of a method (its methods share
// the struct's mutex), else the function without a trailing "RLock" or
// "Lock" (wrappers such as cacheMutexRLock and cacheMutexLock take one
// package-level RWMutex), else the function itself.
func lockOwner(caller parser.Frame) string {
	if rt := receiverType(caller); rt != "" {
		return "type:" + rt
	}
	fn := caller.Func
	for _, suffix := range []string{"RLock", "RUnlock", "Lock", "Unlock"} {
		if base, ok := strings.CutSuffix(fn, suffix); ok && base != "" && !strings.HasSuffix(base, ".") {
			return "func:" + base
		}
	}
	return "func:" + fn
}

// isReader reports whether a lock waiter waits for a read lock.
func isReader(n *node) bool {
	return n.cls.reason == rRLock || hasFrame(n.grp.Frames, "sync.(*RWMutex).RLock") ||
		hasFrame(n.grp.Frames, "sync.runtime_SemacquireRWMutexR")
}

// isWriter reports whether a lock waiter waits for an RWMutex's write lock.
func isWriter(n *node) bool {
	return !isReader(n) && (n.cls.reason == rWLock || hasFrame(n.grp.Frames, "sync.(*RWMutex).Lock"))
}

// unifyLocks gives every group queued on one lock the same holder: the
// best established holder edge any of them has (a stronger grade, then a
// higher confidence). Weaker holder edges of the other groups, which would
// split one lock's queue across findings behind different guesses, are
// dropped.
func (a *analysis) unifyLocks() error {
	defer a.sweepDropped()
	byLock := make(map[string][]*node)
	var order []string
	for _, n := range a.nodes {
		if !isLockWaiter(n) || n.finding != nil {
			continue
		}
		k := lockIdentity(n)
		if k == "" {
			continue
		}
		if _, ok := byLock[k]; !ok {
			order = append(order, k)
		}
		byLock[k] = append(byLock[k], n)
	}
	for _, k := range order {
		ws := byLock[k]
		if len(ws) < 2 {
			continue
		}
		member := make(map[*node]bool, len(ws))
		for _, w := range ws {
			member[w] = true
		}
		if a.joinRecursive(ws, member) {
			continue
		}
		var best *edge
		for _, w := range ws {
			for _, e := range w.out {
				if member[e.holder] || e.holder.finding != nil {
					continue
				}
				if best == nil || better(e, best) {
					best = e
				}
			}
		}
		if best == nil {
			continue
		}
		for _, w := range ws {
			a.dropHolderEdges(w, best.holder, member)
			if w == best.waiter {
				continue
			}
			grade := best.grade
			if !strings.HasPrefix(k, "lock:") && grade == GradeProven {
				// The same lock only by the site that takes it.
				grade = GradeInferred
			}
			best.explained()
			a.addEdge(&edge{
				waiter: w, holder: best.holder, rel: best.rel, object: w.object, grade: grade, confidence: best.confidence,
				reason:   fmt.Sprintf("queued on the same lock as %s in %s: %s", human.Plural(best.waiter.grp.Count, "goroutine"), blockingFunc(best.waiter), best.reason),
				evidence: best.evidence,
			})
		}
	}
	return nil
}

// joinRecursive queues every waiter of a lock on the reader that holds it
// and asks for it again (recursiveLocks): its cycle with the writer is what
// they all wait behind. It reports whether there was such a reader.
func (a *analysis) joinRecursive(ws []*node, member map[*node]bool) bool {
	var r *node
	for _, w := range ws {
		if _, ok := a.recursive[w]; ok {
			r = w
			break
		}
	}
	if r == nil {
		return false
	}
	for _, w := range ws {
		if w == r || hasEdgeTo(w, r) {
			continue
		}
		a.dropHolderEdges(w, r, nil)
		grade := GradeInferred
		if w.objectCertain && r.objectCertain && w.object == r.object && w.object != 0 {
			grade = GradeProven
		}
		a.addEdge(&edge{
			waiter: w, holder: r, rel: RelWaitsOn, object: w.object, grade: grade, confidence: 0.7,
			reason: "queued on the lock whose reader re-entered it behind a waiting writer: " + a.recursive[r],
		})
	}
	return true
}

func hasEdgeTo(w, h *node) bool {
	for _, e := range w.out {
		if e.holder == h {
			return true
		}
	}
	return false
}

// dropHolderEdges removes w's edges to other holders than keep (edges to
// fellow waiters of its lock stay out of it: they are never holders).
// The holders' in lists are cleaned by the caller's sweepDropped.
func (a *analysis) dropHolderEdges(w, keep *node, member map[*node]bool) {
	out := w.out[:0]
	for _, e := range w.out {
		if e.holder == keep || member[e.holder] || e.holder.finding != nil {
			out = append(out, e)
			continue
		}
		a.dropEdge(e)
	}
	clear(w.out[len(out):])
	w.out = out
}

// reentry finds, above the lock call in a waiter's own stack, the frame
// that already holds the lock: the locking function itself past its Lock
// line (recursion), or another method called on the very object whose
// lock is wanted. It returns the frame's index and the grade of the claim,
// or -1.
func reentry(g *parser.Goroutine) (int, Grade) {
	frames := g.Frames
	ci := parser.SyncCaller(frames)
	if ci < 0 {
		return -1, ""
	}
	caller := frames[ci]
	rt := receiverType(caller)
	for j := ci + 1; j < len(frames); j++ {
		f := frames[j]
		if f.Func == caller.Func && f.Line > caller.Line {
			return j, GradeStructural
		}
		if rt != "" && receiverType(f) == rt && f.Func != caller.Func {
			if sameReceiver(g, j, ci) {
				return j, GradeStructural
			}
			if f.ArgCount() == 0 && caller.ArgCount() == 0 {
				// The capture prints no argument words (a trace, a
				// profile): the same type by name only.
				return j, GradeInferred
			}
		}
	}
	return -1, ""
}

// sameReceiver reports whether two method frames of g, i and j, print the
// same receiver word, without "?".
func sameReceiver(g *parser.Goroutine, i, j int) bool {
	ax, okx := receiverWord(g, i)
	ay, oky := receiverWord(g, j)
	return okx && oky && ax.Value == ay.Value && !ax.Uncertain && !ay.Uncertain
}

// recursiveLocks recognises a goroutine waiting for a lock it already
// holds further up its own stack. On a Mutex (or an RWMutex's write lock)
// it waits for itself: a deadlock of one. On a read lock, RLock blocks only
// behind a writer, and the writer waits for this reader's read lock: a
// cycle of two, recognised by name since no word says which reader holds a
// read lock.
func (a *analysis) recursiveLocks() error {
	for _, n := range a.nodes {
		if !isLockWaiter(n) || n.finding != nil {
			continue
		}
		j, grade := reentry(n.grp.First())
		if j < 0 || (grade == GradeInferred && !isReader(n)) {
			// Two methods of one type may lock two instances of it (a
			// transfer between accounts): without the receiver words,
			// only a reader behind a queued writer is recognised.
			continue
		}
		ci := parser.SyncCaller(n.grp.Frames)
		caller, outer := n.grp.Frames[ci], n.grp.Frames[j]
		holds := fmt.Sprintf("%s at %s already holds it, further up the same stack", outer.Func, outer.Location())
		if !isReader(n) {
			a.reportSelfDeadlock(n, grade, fmt.Sprintf("%s waits in %s for a lock it already holds: %s", human.Plural(n.grp.Count, "goroutine"), caller.Func, holds))
			continue
		}
		id := lockIdentity(n)
		for _, w := range a.nodes {
			if w == n || !isWriter(w) || w.finding != nil || lockIdentity(w) != id {
				continue
			}
			fr := outer
			a.addEdge(&edge{
				waiter: w, holder: n, rel: RelWaitsOn, object: w.object, grade: grade, confidence: 0.8,
				reason: fmt.Sprintf("the writer waits for readers to leave; goroutine %d holds a read lock: %s", firstID(n.grp), holds),
				evidence: []Evidence{{Kind: "frame", GoroutineID: firstID(n.grp), Frame: &fr,
					Text: fmt.Sprintf("recursive read lock: %s asks for the read lock again in %s", outer.Func, caller.Func)}},
			})
			fw := w.grp.Frames[max(0, parser.SyncCaller(w.grp.Frames))]
			a.addEdge(&edge{
				waiter: n, holder: w, rel: RelWaitsOn, object: n.object, grade: GradeStructural, confidence: 0.85,
				reason: fmt.Sprintf("a new RLock waits behind a waiting writer (sync.RWMutex), and goroutine %d waits in Lock in %s", firstID(w.grp), fw.Func),
				evidence: []Evidence{{Kind: "frame", GoroutineID: firstID(w.grp), Frame: &fw,
					Text: fmt.Sprintf("writer waiting in %s: RLock blocks behind it", fw.Func)}},
			})
			if a.recursive == nil {
				a.recursive = make(map[*node]string)
			}
			who := "1 goroutine"
			if id := firstID(n.grp); id != 0 && n.grp.Count == 1 {
				who = fmt.Sprintf("goroutine %d", id)
			} else if n.grp.Count > 1 {
				who = human.Plural(n.grp.Count, "goroutine") + " each"
			}
			a.recursive[n] = fmt.Sprintf("%s holds a read lock in %s and asks for it again in %s, behind a writer waiting in %s",
				who, parser.ShortFunc(outer.Func), parser.ShortFunc(caller.Func), parser.ShortFunc(fw.Func))
		}
	}
	return nil
}

// reportSelfDeadlock reports goroutines waiting for a lock they hold
// themselves: nothing can ever release it.
func (a *analysis) reportSelfDeadlock(n *node, grade Grade, basis string) {
	f := &Finding{Category: CatLockCycle}
	l := a.link(n, 0, RelRoot)
	l.Category = CatLockCycle
	f.Chain = append(f.Chain, l)
	closing := a.link(n, 1, RelCycle)
	closing.Category, closing.Grade = CatLockCycle, grade
	f.Chain = append(f.Chain, closing)
	n.finding, n.cycle = f, true
	id := lockIdentity(n)
	for _, w := range a.nodes {
		if w != n && w.finding == nil && isLockWaiter(w) && lockIdentity(w) == id {
			idx := len(f.Chain)
			a.attach(f, w, 1, RelWaitsOn, map[*node]bool{})
			if idx < len(f.Chain) {
				f.Chain[idx].Grade = weakestGrade(grade, GradeInferred)
				if strings.HasPrefix(id, "lock:") {
					f.Chain[idx].Grade = GradeProven
				}
			}
		}
	}
	a.fillFinding(f, n)
	f.Root.Grade, f.Chain[0].Grade, f.Root.Basis = grade, grade, basis
	f.Confidence = gradeConfidence[grade]
	f.Reasons = append([]string{fmt.Sprintf("root %s: %s", grade, basis)}, f.Reasons[1:]...)
	f.Fix = fixRecursiveLock
	if grade != GradeProven && !f.WaitKnown {
		f.Severity = min(f.Severity, SevMedium)
	}
	ci := parser.SyncCaller(n.grp.Frames)
	j, _ := reentry(n.grp.First())
	who, verb := fmt.Sprintf("goroutine %d", firstID(n.grp)), "waits"
	if n.grp.Count > 1 {
		who, verb = human.Plural(n.grp.Count, "goroutine")+" each", "wait"
	}
	f.Title = fmt.Sprintf("Recursive lock: %s %s in %s for a lock already taken further up the same stack (by %s at line %d); nothing can release it",
		who, verb, parser.ShortFunc(n.grp.Frames[ci].Func), parser.ShortFunc(n.grp.Frames[j].Func), n.grp.Frames[j].Line)
	if queued := f.Goroutines - n.grp.Count; queued > 0 {
		f.Title += fmt.Sprintf("; %s more queue behind it", human.Plural(queued, "goroutine"))
	}
	a.findings = append(a.findings, f)
}
