package detectors

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// linkSpawned links goroutines waiting for goroutines they started: a
// WaitGroup.Wait and its workers, a handler receiving the result of the
// goroutine it spawned. "created by ... in goroutine N" names the parent.
func (a *analysis) linkSpawned() error {
	children := make(map[int64][]*node)
	for _, n := range a.nodes {
		seen := make(map[int64]bool)
		for _, m := range n.grp.Members {
			if m.CreatedBy != nil && m.CreatedBy.Parent != 0 && !seen[m.CreatedBy.Parent] {
				seen[m.CreatedBy.Parent] = true
				children[m.CreatedBy.Parent] = append(children[m.CreatedBy.Parent], n)
			}
		}
	}
	for _, w := range a.nodes {
		conf, grade := 0.0, GradeInferred
		switch {
		case w.cls.category == CatWaitGroupStuck:
			// Its own children, blocked: they cannot reach Done.
			conf, grade = 0.8, GradeStructural
		case w.cls.hole() && (!w.cls.matched || w.cls.match.sig.Priority >= prioGeneric) &&
			(w.cls.reason == rChanRecv || w.cls.reason == rSelect || w.cls.reason == rCond):
			// A generic wait on a channel: maybe for the goroutines it
			// started. A library wait (a gRPC Recv) is on the network.
			conf = 0.45
		default:
			continue
		}
		linked := false
		for _, id := range w.grp.IDs {
			for _, c := range children[id] {
				if c == w || c.cls.background || !maybeBlocked(c.grp) {
					continue
				}
				if w.cls.category == CatWaitGroupStuck && c.cls.reason == rChanSend {
					// The workers cannot finish because they hand their
					// result to a channel their creator reads only after
					// Wait returns: a wait cycle whose root is the Wait.
					a.addEdge(&edge{
						waiter: c, holder: w, rel: RelWaitsOn, confidence: 0.7, grade: GradeStructural,
						reason: fmt.Sprintf("goroutine %d started these senders and is blocked in WaitGroup.Wait, so it cannot receive: "+
							"the senders wait for their creator, which waits for them", id),
						evidence: []Evidence{{Kind: "created-by", GoroutineID: firstID(c.grp),
							Text: fmt.Sprintf("%s blocked sending in %s were created by %s in goroutine %d, which is in WaitGroup.Wait",
								human.Plural(c.grp.Count, "goroutine"), blockingFunc(c), c.grp.CreatedBy.Func, id)}},
					})
					linked = true
					continue
				}
				a.addEdge(&edge{
					waiter: w, holder: c, rel: RelWaitsOn, confidence: conf, grade: grade,
					reason: fmt.Sprintf("goroutine %d waits for goroutines it started, which are blocked", id),
					evidence: []Evidence{{Kind: "created-by", GoroutineID: firstID(c.grp),
						Text: fmt.Sprintf("%s in %s were created by %s in goroutine %d", human.Plural(c.grp.Count, "goroutine"),
							blockingFunc(c), c.grp.CreatedBy.Func, id)}},
				})
				linked = true
			}
		}
		if linked || w.cls.category != CatWaitGroupStuck {
			continue
		}
		if a.waitsForLoops(w, children) {
			continue
		}
		if a.siblingWorkers(w) {
			continue
		}
		// Before Go 1.21 no parent ID is printed, and a trace that began
		// after the workers started has no creation record: workers created
		// by a function on the waiter's own stack, or running a closure of
		// one, are its likely workers.
		for _, c := range a.nodes {
			if c == w || c.cls.background || !c.cls.hole() || (c.grp.CreatedBy != nil && c.grp.CreatedBy.Parent != 0) {
				continue
			}
			if spawnedFrom(w.grp.Frames, c.grp) {
				a.addEdge(&edge{
					waiter: w, holder: c, rel: RelWaitsOn, confidence: 0.5, grade: GradeInferred,
					reason: "likely workers: started by a function on the waiter's stack (no parent goroutine ID recorded)",
					evidence: []Evidence{{Kind: "created-by", GoroutineID: firstID(c.grp),
						Text: fmt.Sprintf("%s in %s were started by a function on the waiter's stack", human.Plural(c.grp.Count, "goroutine"), blockingFunc(c))}},
				})
				linked = true
			}
		}
		if !linked {
			a.workersByTime(w)
		}
	}
	a.linkBlockedCreators()
	return nil
}

// linkBlockedCreators links goroutines stranded on a channel send to their
// creator when it is alive, blocked on something else, and still inside
// the function that started them (their stack runs a closure of a function
// on the creator's stack: main.serve's goroutine started main.serve.func1
// through errgroup.Go and is itself 75 minutes in a cgo call). That
// goroutine is the likely receiver: it cannot receive while it is blocked,
// so the senders wait on it. Nothing in the dump names the channel: the
// link is inferred.
func (a *analysis) linkBlockedCreators() {
	for _, c := range a.nodes {
		if c.cls.reason != rChanSend || c.cls.background || c.cls.parentGone || !oneParent(c.grp) {
			continue
		}
		pid := c.grp.First().CreatedBy.Parent
		pg := a.byID[pid]
		if pg == nil || !pg.Blocked() || pg.Reason == rWaitGroup {
			continue // a WaitGroup waiter is linked by linkSpawned
		}
		p := a.nodeOf[pg]
		if p == nil || p == c || p.cls.reason == rChanRecv || p.cls.reason == rSelect {
			continue // a creator receiving or selecting may well be the other side, and fine
		}
		enc := ""
		for _, f := range c.grp.Frames {
			if e := enclosingFunc(f.Func); e != "" && hasFrame(pg.Frames, e) {
				enc = e
				break
			}
		}
		if enc == "" {
			continue
		}
		a.addEdge(&edge{
			waiter: c, holder: p, rel: RelWaitsOn, confidence: 0.5, grade: GradeInferred,
			reason: fmt.Sprintf("goroutine %d started these senders from %s, is still inside it and is itself blocked: "+
				"likely the receiver they wait for", pid, parser.ShortFunc(enc)),
			evidence: []Evidence{{Kind: "created-by", GoroutineID: firstID(c.grp),
				Text: fmt.Sprintf("%s blocked sending in %s were created by goroutine %d, which is in %s and blocked in %s",
					human.Plural(c.grp.Count, "goroutine"), blockingFunc(c), pid, parser.ShortFunc(enc), parser.ShortFunc(blockingFunc(p)))}},
		})
	}
}

// siblingWorkers links a WaitGroup waiter to the blocked goroutines started
// beside it: closures of the same function (errgroup's "go func() {
// g.Wait(); close(results) }()" next to the workers g.Go started). With a
// creation record naming the same parent goroutine for both the link is
// structural; by the closures' names alone it is inferred.
func (a *analysis) siblingWorkers(w *node) bool {
	wEntry := entryFunc(w)
	enc := enclosingFunc(wEntry)
	if enc == "" {
		return false
	}
	parent := int64(0)
	if w.grp.CreatedBy != nil {
		parent = w.grp.CreatedBy.Parent
	}
	linked := false
	for _, c := range a.nodes {
		if c == w || c.cls.background || !c.cls.hole() || c.cls.category == CatWaitGroupStuck {
			continue
		}
		outer := entryFunc(c)
		if enclosingFunc(outer) != enc || outer == wEntry {
			continue
		}
		grade, conf, how := GradeInferred, 0.5, "closures of the same function"
		if parent != 0 && c.grp.CreatedBy != nil && c.grp.CreatedBy.Parent == parent {
			grade, conf, how = GradeStructural, 0.75, fmt.Sprintf("closures of the same function, started by the same goroutine %d", parent)
		}
		a.addEdge(&edge{
			waiter: w, holder: c, rel: RelWaitsOn, confidence: conf, grade: grade,
			reason: fmt.Sprintf("the WaitGroup waiter and the blocked goroutines it waits for are %s (%s)", how, parser.ShortFunc(enc)),
			evidence: []Evidence{{Kind: "created-by", GoroutineID: firstID(c.grp),
				Text: fmt.Sprintf("%s in %s and the waiter in %s are %s", human.Plural(c.grp.Count, "goroutine"), blockingFunc(c),
					parser.ShortFunc(wEntry), how)}},
		})
		linked = true
	}
	return linked
}

// entryFunc is the application function a goroutine was started to run:
// the outermost frame in its first application frame's package (errgroup's
// and other libraries' go-statement wrappers sit outside it); "" when it
// has no application frame.
func entryFunc(n *node) string {
	if n.cls.app < 0 || n.cls.app >= len(n.grp.Frames) {
		return ""
	}
	pkg := n.grp.Frames[n.cls.app].Package()
	for i := len(n.grp.Frames) - 1; i >= n.cls.app; i-- {
		if n.grp.Frames[i].Package() == pkg {
			return n.grp.Frames[i].Func
		}
	}
	return ""
}

// waitsForLoops marks idle a WaitGroup waiter outside any request whose
// workers (by creation record) are all long-lived loops waiting for work
// or idle by design: main waiting for its servers to stop is how a
// service is built, not a hang.
func (a *analysis) waitsForLoops(w *node, children map[int64][]*node) bool {
	if w.cls.scope != scopeNone || w.cls.parentGone {
		return false
	}
	n := 0
	for _, id := range w.grp.IDs {
		for _, c := range children[id] {
			if c == w {
				continue
			}
			if !c.cls.background {
				return false
			}
			n += c.grp.Count
		}
	}
	if n == 0 {
		return false
	}
	w.cls.background, w.cls.idle = true, true
	w.cls.reasons = append(w.cls.reasons, fmt.Sprintf("idle by design: waits for the %s it started, all long-lived loops waiting for work", human.Plural(n, "goroutine")))
	return true
}

// workersByTime is the last resort for a WaitGroup whose workers no
// creation record names: blocked goroutines started from the waiter's own
// application package that got stuck in the same minute as the waiter. The
// Wait began when the last worker was started, and workers that block at
// once block with it.
func (a *analysis) workersByTime(w *node) {
	if w.grp.WaitKnown == 0 || w.cls.app < 0 {
		return
	}
	pkg := w.grp.Frames[w.cls.app].Package()
	for _, c := range a.nodes {
		if c == w || c.cls.background || !c.cls.hole() || c.grp.WaitKnown == 0 || len(c.grp.Frames) == 0 {
			continue
		}
		// Where it was started: its creator, or (a trace that began after
		// it started records no creator) the function it runs.
		origin := c.grp.Frames[len(c.grp.Frames)-1].Func
		if c.grp.CreatedBy != nil {
			origin = c.grp.CreatedBy.Func
		}
		if parser.FuncPackage(origin) != pkg || absDuration(c.grp.WaitMax-w.grp.WaitMax) > time.Minute {
			continue
		}
		if c.cls.reason == rChanSend {
			// As with a creation record: senders whose receiver is in
			// Wait form a wait cycle rooted at the Wait.
			a.addEdge(&edge{
				waiter: c, holder: w, rel: RelWaitsOn, confidence: 0.4, grade: GradeInferred,
				reason: fmt.Sprintf("likely a wait cycle: senders started in %s, the waiter's package, stuck since the same minute as the WaitGroup.Wait that cannot receive (no creation record links them)", pkg),
				evidence: []Evidence{{Kind: "wait", GoroutineID: firstID(c.grp),
					Text: fmt.Sprintf("%s blocked sending in %s, started from %s, blocked for %s; the WaitGroup waiter for %s",
						human.Plural(c.grp.Count, "goroutine"), blockingFunc(c), origin, human.Wait(c.grp.WaitMax, true), human.Wait(w.grp.WaitMax, true))}},
			})
			continue
		}
		a.addEdge(&edge{
			waiter: w, holder: c, rel: RelWaitsOn, confidence: 0.4, grade: GradeInferred,
			reason: fmt.Sprintf("likely workers: started in %s, the waiter's package, and stuck since the same minute (no creation record links them)", pkg),
			evidence: []Evidence{{Kind: "wait", GoroutineID: firstID(c.grp),
				Text: fmt.Sprintf("%s in %s, started from %s, blocked for %s; the WaitGroup waiter for %s",
					human.Plural(c.grp.Count, "goroutine"), blockingFunc(c), origin, human.Wait(c.grp.WaitMax, true), human.Wait(w.grp.WaitMax, true))}},
		})
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// spawnedFrom reports whether a group was likely started by a function on
// the given stack: its creator is that function, or its outermost frame is
// one of that function's closures (F.func1, F.gowrap2).
func spawnedFrom(frames []parser.Frame, c *parser.Group) bool {
	if c.CreatedBy != nil && hasFrame(frames, c.CreatedBy.Func) {
		return true
	}
	if len(c.Frames) == 0 {
		return false
	}
	outer := c.Frames[len(c.Frames)-1].Func
	for _, f := range frames {
		if rest, ok := strings.CutPrefix(outer, f.Func+"."); ok &&
			(strings.HasPrefix(rest, "func") || strings.HasPrefix(rest, "gowrap")) {
			return true
		}
	}
	return false
}
