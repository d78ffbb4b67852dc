package detectors

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ctxhole/ctxhole/parser"
)

// Evidence grades and what they do to a finding. Every chain link carries
// the grade of the edge that put it there; the root's grade says how the
// root was established: by the edges of the goroutines waiting on it, or,
// for a root nothing waits on, by its own stack. Confidence starts from the
// root's grade, and ranking weighs it, so that a guess never reads like, or
// outranks, a proof of similar size.

// gradeConfidence is the confidence a root's grade supports before the
// classification and the capture's gaps take their share.
var gradeConfidence = map[Grade]float64{
	GradeProven:     0.95,
	GradeStructural: 0.8,
	GradeInferred:   0.55,
}

// gradeWeight scales a finding's ranking score by how its root was
// established: a guessed holder needs about four times the impact of a
// proven one (severity, goroutines, wait) to rank above it. A queue whose
// holder is unknown claims less (it names no holder), so it is weighed
// between the two.
var gradeWeight = map[Grade]float64{
	GradeProven:     1,
	GradeStructural: 0.8,
	GradeInferred:   0.25,
}

// unknownHolderWeight is gradeWeight for an inferred root nothing is
// linked to: "holder unknown", not a guess.
const unknownHolderWeight = 0.55

// waiterLink reports whether a chain link is a waiter of the link above
// it, not more of the same root (same object or site) or the closing link
// of a cycle.
func waiterLink(l Link) bool {
	return l.Relation != RelRoot && l.Relation != RelSameObject && l.Relation != RelSameSite && l.Relation != RelCycle
}

// gradeRoot says how a finding's root was established. A root that others
// wait on takes the best grade among the links of its direct waiters (each
// a claim that the root holds what they want); a root nothing waits on is
// graded by what its own stack shows.
func (a *analysis) gradeRoot(f *Finding, root *node) (Grade, string) {
	var best *edge
	for _, l := range f.Chain[1:] {
		if l.Depth != 1 || !waiterLink(l) {
			continue
		}
		w := a.nodeByGroup(l)
		if w == nil {
			continue
		}
		for _, e := range w.out {
			if e.holder == root && (best == nil || better(e, best)) {
				best = e
			}
		}
	}
	if best != nil {
		g := best.grade
		if g == "" {
			g = GradeInferred
		}
		if !isLockWaiter(best.waiter) && !isPoolWaiter(best.waiter) {
			// The waiters do not claim the root holds anything (a
			// WaitGroup waits for workers): the root stands on its own
			// stack, and the link's grade is the link's.
			if own, basis := a.gradeOwn(f, root); own.strength() > g.strength() {
				return own, basis
			}
		}
		return g, best.explained().reason
	}
	return a.gradeOwn(f, root)
}

// leakDetectionBasis is the basis of a root Go 1.26's goroutine leak
// detection marked "(leaked)".
const leakDetectionBasis = "the runtime's goroutine leak detection (Go 1.26, \"(leaked)\"): the garbage collector found " +
	"nothing reachable that could ever wake these goroutines"

// leakBasis is leakDetectionBasis naming the goroutineleak profiles that
// carried the proof, when the marks came from one (parser.Capture's
// LeakProfiles) rather than from the dump itself.
func (a *analysis) leakBasis() string {
	if len(a.capture.LeakProfiles) == 0 {
		return leakDetectionBasis
	}
	files := make([]string, 0, len(a.capture.LeakProfiles))
	for _, l := range a.capture.LeakProfiles {
		if f := l.Source.File; !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	return leakDetectionBasis + "; its goroutineleak profile " + strings.Join(files, ", ") + " lists them"
}

// gradeOwn grades a root by what its own stack shows.
func (a *analysis) gradeOwn(f *Finding, root *node) (Grade, string) {
	switch {
	case isLockWaiter(root):
		return GradeInferred, a.holderUnknownLock(root)
	case isPoolWaiter(root):
		return GradeInferred, "holder unknown: looked for the pool's *sql.DB in other goroutines' database/sql frames, " +
			"for the goroutines that opened a transaction or result set (their awaitDone helpers), and for goroutines " +
			"blocked inside a database driver; none found"
	case root.grp.Status == parser.StatusLeaked:
		return GradeProven, a.leakBasis()
	case root.cls.category == CatWaitGroupStuck:
		return GradeInferred, "workers unknown: no blocked goroutine was created by the waiter, by a function on its stack, " +
			"or from its package at the time it blocked"
	case f.Category == CatGoroutineLeak:
		return GradeInferred, "a pile of identical stacks, judged by its size or growth, not by what it waits on"
	case root.cls.category == CatEmptySelect:
		return GradeProven, "the runtime's own wait reason \"select (no cases)\": select {} can never be woken"
	case root.cls.category == CatNilChannel:
		return GradeProven, fmt.Sprintf("the runtime's own wait reason %q: an operation on a nil channel can never proceed", root.cls.reason)
	case root.cls.category == CatUnclassified || !root.cls.matched:
		return GradeInferred, fmt.Sprintf("no signature explains %s; reported so that nothing blocked is dropped", blockingFunc(root))
	}
	basis := fmt.Sprintf("its own stack: blocked in %s", blockingFunc(root))
	if root.cls.matched && !root.cls.background {
		basis += " (signature " + root.cls.match.sig.ID + ")"
	}
	if root.cls.parentGone {
		basis += fmt.Sprintf("; its creator, goroutine %d, has exited", root.cls.parentID)
	}
	return GradeStructural, basis
}

// holderUnknownLock says what was looked for when no holder of a lock was
// found, so an engineer knows what the capture could not show.
func (a *analysis) holderUnknownLock(n *node) string {
	var looked []string
	if n.object != 0 {
		looked = append(looked, fmt.Sprintf("the lock address 0x%x (and the struct around it) in every other stack", n.object))
	} else {
		looked = append(looked, "a lock address (the capture prints no argument words)")
	}
	if ci := lockSite(n); ci >= 0 {
		fn := n.grp.Frames[ci].Func
		looked = append(looked, fmt.Sprintf("a goroutine inside %s past the Lock call", parser.ShortFunc(fn)))
		if rt := receiverType(n.grp.Frames[ci]); rt != "" {
			looked = append(looked, "a method of "+rt)
		} else if enc := enclosingFunc(fn); enc != "" {
			looked = append(looked, "inside "+parser.ShortFunc(enc)+" or its closures")
		}
	}
	if len(a.capture.Traces) > 0 {
		looked = append(looked, "trace wake edges")
	} else {
		looked = append(looked, "trace wake edges (no execution trace of this process)")
	}
	return "holder unknown: looked for " + strings.Join(looked, ", ") + "; none found. It may be running, " +
		"or the lock was never released (an Unlock missed on an error path or after a panic)"
}
