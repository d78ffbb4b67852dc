package detectors

import (
	"fmt"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Library queues and their holders: a go-redis caller waiting for a pool
// turn waits on the connections checked out and blocked in I/O; a span.End
// blocked on a full queue waits on the processor's export; a producer's
// send waits on the broker connection reading the acknowledgement. The
// waiter's signature names the holders' frames (Signature.HeldBy). The
// link is proven when the two stacks carry the same object (the same
// client, pool or processor pointer as a receiver); otherwise it rests on
// the library's structure alone: every holder of that kind is a candidate.
const (
	confHeldByObject    = 0.9
	confHeldByUncertain = 0.75
	confHeldByStructure = 0.6
)

// linkHeldBy links every waiter of a row with HeldBy to the blocked
// goroutines holding what it waits for.
func (a *analysis) linkHeldBy() error {
	for _, w := range a.nodes {
		if !w.cls.matched || w.cls.background || len(w.cls.match.sig.HeldBy) == 0 {
			continue
		}
		sig := w.cls.match.sig
		words := libraryWords(w.grp.First(), sig.Library)
		for _, h := range a.nodes {
			if h == w || h.cls.background || (h.cls.matched && h.cls.match.sig == sig) || !maybeBlocked(h.grp) {
				continue
			}
			hi := -1
			for _, p := range sig.HeldBy {
				if hi = frameIndex(h.grp.Frames, p); hi >= 0 {
					break
				}
			}
			if hi < 0 {
				continue
			}
			a.addEdge(heldByEdge(w, h, hi, words))
		}
	}
	return nil
}

// heldByEdge builds the edge from waiter w to holder h, whose frame hi
// matched the waiter's HeldBy.
func heldByEdge(w, h *node, hi int, words map[uint64]bool) *edge {
	sig := w.cls.match.sig
	first := h.grp.First()
	held := first.Frames[hi]
	wfn := parser.ShortFunc(w.grp.Frames[w.cls.match.anchor].Func)
	e := &edge{waiter: w, holder: h, rel: RelWaitsOn, confidence: confHeldByStructure, grade: GradeStructural}
	for i := range first.Frames {
		f := &first.Frames[i]
		r, ok := receiverWord(first, i)
		if !ok || !inLibrary(f.Func, sig.Library) {
			continue
		}
		certain, ok := words[r.Value]
		if !ok {
			continue
		}
		e.confidence, e.grade = confHeldByObject, GradeProven
		if !certain || r.Uncertain {
			e.confidence, e.grade = confHeldByUncertain, GradeStructural
		}
		fr := *f
		e.object = r.Value
		e.reason = fmt.Sprintf("proven: goroutine %d is in %s on the same object 0x%x the waiters' %s stack carries, and holds what they wait for",
			first.ID, parser.ShortFunc(f.Func), r.Value, wfn)
		e.evidence = []Evidence{{Kind: "argument", GoroutineID: first.ID, Frame: &fr,
			Text: fmt.Sprintf("%s(0x%x%s): the same object as in the waiters' stack", f.Func, r.Value, uncertainMark(r))}}
		return e
	}
	fr := held
	e.reason = fmt.Sprintf("structural: %s in %s hold what %s waits for (%s); no object in the stacks ties them to one instance",
		human.Plural(h.grp.Count, "goroutine"), parser.ShortFunc(held.Func), wfn, sig.ID)
	e.evidence = []Evidence{{Kind: "frame", GoroutineID: first.ID, Frame: &fr,
		Text: fmt.Sprintf("%s blocked in %s, which holds what %s waits for", human.Plural(h.grp.Count, "goroutine"), parser.ShortFunc(held.Func), wfn)}}
	return e
}

// libraryWords are the receiver words of a stack's frames in a library:
// the client, pool or processor its calls run on. The value says whether
// the word was printed without "?".
func libraryWords(g *parser.Goroutine, library string) map[uint64]bool {
	words := make(map[uint64]bool)
	for i, f := range g.Frames {
		r, ok := receiverWord(g, i)
		if !ok || !inLibrary(f.Func, library) {
			continue
		}
		if _, ok := words[r.Value]; !ok {
			words[r.Value] = !r.Uncertain
		}
	}
	return words
}

// inLibrary reports whether a function belongs to a library's import path
// (or a vendored or gopkg.in copy of it).
func inLibrary(fn, library string) bool {
	if library == "" {
		return false
	}
	up := UpstreamFunc(fn)
	return strings.HasPrefix(up, library) && len(up) > len(library) && (up[len(library)] == '.' || up[len(library)] == '/')
}
