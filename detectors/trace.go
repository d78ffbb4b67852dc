package detectors

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Trace-derived links and timing. An execution trace records no channel or
// lock addresses, so what it adds to the chains comes from wake edges and
// time: who released the waiters of a call site before (and is now stuck
// itself), who got stuck first, and exactly when each link blocked.

const (
	// confWokenBy is the confidence of a link from a waiter to a goroutine
	// the trace saw release waiters of the same call site, now stuck.
	confWokenBy = 0.75
	// confReleaserFunc is the confidence of a link to a goroutine stuck
	// inside the function that released the site's waiters before, stuck
	// before the first waiter.
	confReleaserFunc = 0.65
	// traceTimingBoost is added to a holder edge when the trace shows the
	// holder blocked before every waiter of the edge.
	traceTimingBoost = 0.1
	// starvationLatency is the scheduler latency from which timers firing
	// late is worth saying.
	starvationLatency = 10 * time.Millisecond
	// maxLinkWakes bounds the wake edges attached to one link.
	maxLinkWakes = 3
)

// joinedTrace returns the trace of the analyzed process: the one sharing
// the most stuck goroutines with the snapshot (goroutine IDs match across a
// dump and a trace of the same process; a goroutine counts when the trace
// has it blocked in the function the snapshot shows), the latest on ties.
// Nil if no trace shares one: low IDs exist in every process, so an ID
// alone proves nothing.
func (a *analysis) joinedTrace() *parser.Trace {
	var best *parser.Trace
	bestN := 0
	for _, tr := range a.capture.Traces {
		n := 0
		for _, tg := range tr.Goroutines {
			if g, ok := a.byID[tg.ID]; ok && !tg.Exited && sameBlock(g, tg) {
				n++
			}
		}
		if n > 0 && n >= bestN {
			best, bestN = tr, n
		}
	}
	return best
}

// joinedTraces returns every trace of the analyzed process (sharing a
// stuck goroutine with the snapshot, as joinedTrace counts them), the
// joined trace first, then the others in capture order. A bundle may hold
// several: a flight-recorder window ending at the trigger (the onset) and
// a trace taken after it (the aftermath).
func (a *analysis) joinedTraces() []*parser.Trace {
	first := a.joinedTrace()
	if first == nil {
		return nil
	}
	out := []*parser.Trace{first}
	for _, tr := range a.capture.Traces {
		if tr == first {
			continue
		}
		for _, tg := range tr.Goroutines {
			if g, ok := a.byID[tg.ID]; ok && !tg.Exited && sameBlock(g, tg) {
				out = append(out, tr)
				break
			}
		}
	}
	return out
}

// sameBlock reports whether trace goroutine tg is blocked where snapshot
// goroutine g is: its open block's stack holds g's first frame outside the
// runtime and, when g has one, its first application frame (library frames
// such as an HTTP round trip are common to many goroutines).
func sameBlock(g *parser.Goroutine, tg *parser.TraceGoroutine) bool {
	if tg.Stuck == nil {
		return false
	}
	i := parser.TellingFrame(g.Frames)
	if i < 0 || !hasFunc(tg.Stuck.Frames, g.Frames[i].Func) {
		return false
	}
	app := appFrame(g.Frames, nil)
	return app < 0 || hasFunc(tg.Stuck.Frames, g.Frames[app].Func)
}

// stuckSpan is when the members of a group blocked, from the trace: the
// earliest and latest start of their open blocks, for the members the trace
// has blocked where the snapshot does.
type stuckSpan struct {
	first, last time.Duration
	id          int64 // the member that blocked first
	n           int
	beforeStart int
	frames      []parser.Frame // the open block's stack of one member
	reason      string
}

func (a *analysis) stuckOf(tr *parser.Trace, ids []int64) stuckSpan {
	var s stuckSpan
	for _, id := range ids {
		tg := tr.Goroutine(id)
		if g := a.byID[id]; tg == nil || g == nil || !sameBlock(g, tg) {
			continue
		}
		st := tg.Stuck
		if s.n == 0 || st.Start < s.first {
			s.first, s.id = st.Start, id
		}
		s.last = max(s.last, st.Start)
		if s.n == 0 {
			s.frames, s.reason = st.Frames, st.Reason
		}
		s.n++
		if st.BeforeStart {
			s.beforeStart++
		}
	}
	return s
}

// traceLinks adds the links only a trace can show and checks the others
// against time. It runs before the chains are built. The wake history of
// every joined trace counts: the trace that shows the waiters queue at a
// site is often not the one that shows who released that site before it
// got stuck (an onset window versus a trace taken after the trigger).
// Timing checks use the joined trace.
func (a *analysis) traceLinks() error {
	for i, tr := range a.joinedTraces() {
		spans := make(map[*node]stuckSpan, len(a.nodes))
		for _, n := range a.nodes {
			if s := a.stuckOf(tr, n.grp.IDs); s.n > 0 {
				spans[n] = s
			}
		}
		for _, w := range a.nodes {
			ws, ok := spans[w]
			if !ok || !w.cls.hole() || i > 0 && w.wokenBy() {
				continue
			}
			a.linkByWakeHistory(tr, w, ws, spans)
			if i == 0 {
				a.checkEdgeTiming(w, ws, spans)
			}
		}
	}
	return nil
}

// wokenBy reports whether w already has a woken-by link.
func (w *node) wokenBy() bool {
	return slices.ContainsFunc(w.out, func(e *edge) bool { return e.rel == RelWokenBy })
}

// linkByWakeHistory links waiter w to the goroutine that released waiters
// of its call site before: directly when that goroutine is stuck now, or
// through the function it released them from, when a goroutine stuck in
// that function blocked before the first waiter.
func (a *analysis) linkByWakeHistory(tr *parser.Trace, w *node, ws stuckSpan, spans map[*node]stuckSpan) {
	var released []*parser.WakeEdge
	for _, e := range tr.Edges {
		if e.Kind == parser.WakeGoroutine && parser.SameStack(e.WaiterFrames, ws.frames) {
			released = append(released, e)
		}
	}
	for _, e := range released {
		for _, id := range e.Wakers {
			g, ok := a.byID[id]
			if !ok {
				continue
			}
			h := a.nodeOf[g]
			hs, stuck := spans[h]
			if h == nil || h == w || !stuck || h.cls.background || parser.SameStack(hs.frames, ws.frames) {
				continue
			}
			a.addEdge(&edge{
				waiter: w, holder: h, rel: RelWokenBy, confidence: confWokenBy, grade: GradeProven,
				reason: fmt.Sprintf("the trace shows goroutine %d releasing waiters of this call site (%d wake(s), last at %s); it has been blocked since %s",
					id, e.Count, human.Offset(e.Last), human.Offset(hs.first)),
				evidence: []Evidence{{Kind: "trace", GoroutineID: id,
					Text: fmt.Sprintf("trace: goroutine %d woke %d waiter(s) of %s before it blocked at %s in %s",
						id, e.Count, siteName(ws.frames), human.Offset(hs.first), siteName(hs.frames))}},
			})
			return
		}
	}
	for _, e := range released {
		// The function the waker released the waiters from.
		ri := parser.SyncCaller(e.WakerFrames)
		if ri < 0 {
			continue
		}
		fn := e.WakerFrames[ri].Func
		var best *node
		var bestSpan stuckSpan
		for h, hs := range spans {
			if h == w || h.cls.background || hs.first > ws.first || parser.SameStack(hs.frames, ws.frames) || !hasFunc(hs.frames, fn) {
				continue
			}
			if best == nil || hs.first < bestSpan.first || (hs.first == bestSpan.first && firstID(h.grp) < firstID(best.grp)) {
				best, bestSpan = h, hs
			}
		}
		if best == nil {
			continue
		}
		id := firstID(best.grp)
		a.addEdge(&edge{
			waiter: w, holder: best, rel: RelWokenBy, confidence: confReleaserFunc, grade: GradeInferred,
			reason: fmt.Sprintf("waiters of this call site were released from %s before; goroutine %d is stuck inside it since %s, before the first waiter queued at %s",
				fn, id, human.Offset(bestSpan.first), human.Offset(ws.first)),
			evidence: []Evidence{{Kind: "trace", GoroutineID: id,
				Text: fmt.Sprintf("trace: %d earlier wake(s) of %s came from %s; goroutine %d blocked inside it at %s, the waiters from %s",
					e.Count, siteName(ws.frames), fn, id, human.Offset(bestSpan.first), human.Offset(ws.first))}},
		})
		return
	}
}

// checkEdgeTiming raises the confidence of w's holder edges when the trace
// shows the holder blocked before every waiter: the holder usually gets
// stuck first.
func (a *analysis) checkEdgeTiming(w *node, ws stuckSpan, spans map[*node]stuckSpan) {
	for _, e := range w.out {
		hs, ok := spans[e.holder]
		if !ok || e.rel == RelWokenBy || ws.beforeStart > 0 || hs.first > ws.first {
			continue
		}
		e.confidence = min(e.confidence+traceTimingBoost, 0.95)
		e.explained()
		e.evidence = append(e.evidence, Evidence{Kind: "trace", GoroutineID: firstID(e.holder.grp),
			Text: fmt.Sprintf("trace: the holder blocked at %s, before the first waiter at %s", human.Offset(hs.first), human.Offset(ws.first))})
	}
}

// traceTiming puts the trace's times on every finding: when each link
// blocked, when the root did, the wake edges behind each link, and the
// measures that name timeout holes (waits ended by timers versus by data,
// waits never woken, scheduler latency). It runs after the chains.
func (a *analysis) traceTiming() error {
	traces := a.joinedTraces()
	if len(traces) == 0 {
		return nil
	}
	tr := traces[0]
	for _, f := range a.findings {
		a.rootOnset(traces, f)
		timed := false
		for i := range f.Chain {
			l := &f.Chain[i]
			if l.Group == nil {
				continue
			}
			s := a.stuckOf(tr, l.Group.IDs)
			if s.n == 0 {
				continue
			}
			timed = true
			l.Timed, l.Start, l.End = true, s.first, -1
			l.Wakes = siteEdges(tr, s.frames)
			f.Evidence = append(f.Evidence, linkEvidence(tr, s))
		}
		if rt, g := tr.Goroutine(f.Root.GoroutineID), a.byID[f.Root.GoroutineID]; rt != nil && g != nil && sameBlock(g, rt) {
			f.Root.Since, f.Root.Timed = rt.Stuck.Start, true
		}
		if !timed {
			continue
		}
		f.TraceEnd = tr.Duration
		f.Evidence = append(f.Evidence, a.siteEvidence(tr, f)...)
		if tr.SchedLatencyMax >= starvationLatency {
			f.Evidence = append(f.Evidence, Evidence{Kind: "trace",
				Text: fmt.Sprintf("trace: goroutines waited up to %s runnable before running (%d runnable at once on %d Ps): timers and deadlines fire late",
					human.Duration(tr.SchedLatencyMax), tr.MaxRunnable, tr.Procs)})
		}
	}
	return nil
}

// rootOnset dates finding f's root from the first joined trace that saw
// it block (the onset: a flight-recorder window ending at a trigger, a
// trace started before the hang): Root.BlockedAt from that trace's clock
// and, when that trace is not the one timing the chain, evidence of when
// the root's goroutines blocked in it. A polling loop blocks anew at every
// turn: its last block is no onset.
func (a *analysis) rootOnset(traces []*parser.Trace, f *Finding) {
	g := a.byID[f.Root.GoroutineID]
	if g == nil || f.Category == CatSleepPoll {
		return
	}
	for i, tr := range traces {
		tg := tr.Goroutine(g.ID)
		if tg == nil || !sameBlock(g, tg) || tg.Stuck.BeforeStart {
			continue
		}
		if !tr.WallStart.IsZero() {
			f.Root.BlockedAt = tr.WallStart.Add(tg.Stuck.Start)
		}
		if i > 0 && f.Root.Group != nil {
			if s := a.stuckOf(tr, f.Root.Group.IDs); s.n > 0 {
				e := linkEvidence(tr, s)
				e.Text = "onset " + e.Text
				if name := filepath.Base(tr.Source.File); name != "." && name != "" {
					e.Text = strings.Replace(e.Text, "onset trace:", "onset trace ("+name+"):", 1)
				}
				f.Evidence = append(f.Evidence, e)
			}
		}
		return
	}
}

// linkEvidence says when a link's goroutines blocked.
func linkEvidence(tr *parser.Trace, s stuckSpan) Evidence {
	var b strings.Builder
	fmt.Fprintf(&b, "trace: ")
	if s.n == 1 {
		fmt.Fprintf(&b, "goroutine %d ", s.id)
	} else {
		fmt.Fprintf(&b, "%d goroutines ", s.n)
	}
	switch {
	case s.beforeStart == s.n:
		fmt.Fprintf(&b, "already blocked in %s when the trace began", siteName(s.frames))
	case s.n == 1 || human.Offset(s.first) == human.Offset(s.last):
		fmt.Fprintf(&b, "blocked at %s%s in %s", human.Offset(s.first), wallAt(tr, s.first), siteName(s.frames))
	default:
		fmt.Fprintf(&b, "blocked from %s%s to %s in %s", human.Offset(s.first), wallAt(tr, s.first), human.Offset(s.last), siteName(s.frames))
	}
	if s.reason != "" {
		fmt.Fprintf(&b, " (%s)", s.reason)
	}
	fmt.Fprintf(&b, "; none woke before the trace ended at %s", human.Offset(tr.Duration))
	return Evidence{Kind: "trace", GoroutineID: s.id, Text: b.String()}
}

// wallAt renders a trace offset as wall-clock time, " (15:04:05.000
// UTC)", when the trace carries a clock snapshot; "" otherwise.
func wallAt(tr *parser.Trace, off time.Duration) string {
	if tr.WallStart.IsZero() {
		return ""
	}
	return " (" + tr.WallStart.Add(off).UTC().Format("15:04:05.000 UTC") + ")"
}

// siteEdges returns the wake edges of a call site, most wakes first.
func siteEdges(tr *parser.Trace, frames []parser.Frame) []*parser.WakeEdge {
	var out []*parser.WakeEdge
	for _, e := range tr.Edges {
		if parser.SameStack(e.WaiterFrames, frames) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(x, y *parser.WakeEdge) int { return cmp.Compare(y.Count, x.Count) })
	if len(out) > maxLinkWakes {
		out = out[:maxLinkWakes]
	}
	return out
}

// siteEvidence reports, for the call sites of a finding's links, how their
// waits ended during the trace: by a timer or a deadline firing (the caller
// gave up), by another goroutine, by data arriving, or never.
func (a *analysis) siteEvidence(tr *parser.Trace, f *Finding) []Evidence {
	var out []Evidence
	seen := make(map[*parser.WaitSite]bool)
	for _, l := range f.Chain {
		if !l.Timed || l.Group == nil {
			continue
		}
		frames := a.stuckOf(tr, l.Group.IDs).frames
		if frames == nil {
			frames = l.Group.Frames // a resolved chain's link: its trace stack
		}
		for _, site := range tr.Sites {
			if seen[site] || !parser.SameStack(site.Frames, frames) || site.Waits < 2 {
				continue
			}
			seen[site] = true
			out = append(out, Evidence{Kind: "trace", Text: fmt.Sprintf(
				"trace: of %d waits at %s, %d ended by a timer (%d deadlines fired), %d by another goroutine, %d by data, %d never woken (longest %s)",
				site.Waits, siteName(site.Frames), site.ByTimer, site.ByDeadline, site.ByGoroutine, site.ByNetpoll, site.NeverWoken,
				human.Duration(site.MaxWait))})
		}
	}
	return out
}

// hasFunc reports whether a stack holds a frame of function fn.
func hasFunc(frames []parser.Frame, fn string) bool {
	return slices.ContainsFunc(frames, func(f parser.Frame) bool { return f.Func == fn })
}

// siteName names a call site in prose: StackName, or "the runtime" for a
// stack the trace did not record.
func siteName(frames []parser.Frame) string {
	if fn := StackName(frames); fn != "" {
		return fn
	}
	return "the runtime"
}
