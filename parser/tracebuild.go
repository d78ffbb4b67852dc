package parser

import (
	"container/heap"
	"time"

	"golang.org/x/exp/trace"
)

// Bounds on what a trace analysis keeps, so that memory grows with the
// number of live goroutines and distinct stacks, not with trace length.
const (
	keepFirstBlocks = 4    // oldest block intervals kept per goroutine
	keepLastBlocks  = 12   // most recent block intervals kept per goroutine
	maxEdgeSamples  = 16   // goroutine IDs kept per wake edge
	maxRetired      = 4096 // exited goroutines whose history is kept
	// minSyscallBlock is the shortest system call counted as a block when
	// the goroutine kept its P: shorter ones did not hold anything up.
	minSyscallBlock = time.Millisecond
)

// blockRec is one block interval in the builder's compact form.
type blockRec struct {
	start, end  trace.Time // end is -1 while open
	stack       stackRef
	reason      string
	syscall     bool
	beforeStart bool
	wakeKind    WakeKind
	waker       int64
	wakerStack  stackRef
	prior       *priorRec
}

// priorRec is the block a waker had come out of before a wake.
type priorRec struct {
	start, end  trace.Time
	stack       stackRef
	reason      string
	syscall     bool
	beforeStart bool
	kind        WakeKind
	waker       int64
}

// gState is the builder's state of one goroutine.
type gState struct {
	id          int64
	fn          string
	createdBy   *CreatedBy
	created     trace.Time
	beforeStart bool
	state       trace.GoState
	open        blockRec
	isOpen      bool
	runnableAt  trace.Time // when it last became runnable; -1 if unknown
	queued      bool       // runnable, counted in traceBuilder.runnable
	first       []blockRec
	last        [keepLastBlocks]blockRec
	nlast       int // blocks written to last (ring)
	total       int
	lastClosed  blockRec // most recent closed block, for Waker.Prior
	hasClosed   bool
	maxBlock    time.Duration
	schedMax    time.Duration
	schedTotal  time.Duration
	schedCount  int
	exited      bool
}

// edgeKey identifies a wake edge.
type edgeKey struct {
	waiter, waker stackRef
	reason        string
	kind          WakeKind
}

type edgeAgg struct {
	key         edgeKey
	count       int
	first, last trace.Time
	total, max  time.Duration
	waiters     []int64
	wakers      []int64
	prior       *priorRec
	priorDur    time.Duration
}

// siteKey identifies a wait site.
type siteKey struct {
	stack  stackRef
	reason string
}

type siteAgg struct {
	key  siteKey
	site WaitSite
	seq  int
}

// traceBuilder folds a stream of trace events into a Trace.
type traceBuilder struct {
	stacks   *stackTable
	gs       map[trace.GoID]*gState
	retired  retiredHeap
	dropped  int
	edges    map[edgeKey]*edgeAgg
	sites    map[siteKey]*siteAgg
	procs    map[trace.ProcID]struct{}
	origin   trace.Time
	last     trace.Time
	started  bool
	gens     int
	events   int64
	runnable int
	maxRun   int

	schedMax   time.Duration
	schedTotal time.Duration
	schedCount int
}

func newTraceBuilder() *traceBuilder {
	return &traceBuilder{
		stacks: newStackTable(),
		gs:     make(map[trace.GoID]*gState),
		edges:  make(map[edgeKey]*edgeAgg),
		sites:  make(map[siteKey]*siteAgg),
		procs:  make(map[trace.ProcID]struct{}),
	}
}

// event folds one event into the builder.
func (b *traceBuilder) event(ev *trace.Event) {
	b.events++
	t := ev.Time()
	if !b.started {
		b.origin, b.started = t, true
	}
	if t > b.last {
		b.last = t
	}
	switch ev.Kind() {
	case trace.EventSync:
		b.gens++
		b.stacks.newGeneration()
		return
	case trace.EventStateTransition:
	default:
		return
	}
	if p := ev.Proc(); p != trace.NoProc {
		if _, ok := b.procs[p]; !ok {
			b.procs[p] = struct{}{}
		}
	}
	st := ev.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		return
	}
	from, to := st.Goroutine()
	id := st.Resource.Goroutine()
	g := b.gs[id]
	if from == trace.GoUndetermined || from == to {
		b.status(g, id, to, st.Stack)
		return
	}
	if g == nil {
		g = b.newG(id, t)
		if from != trace.GoNotExist {
			// The goroutine's first mention is a transition, not a
			// status: it existed before the trace (or the trace is cut).
			g.beforeStart = true
		}
	}
	switch from {
	case trace.GoNotExist:
		b.create(g, ev, st, to, t)
	case trace.GoRunnable:
		if to == trace.GoRunning {
			b.run(g, t)
		}
	case trace.GoRunning:
		switch to {
		case trace.GoWaiting:
			b.block(g, t, st.Reason, b.stacks.ref(st.Stack), false)
			b.dequeue(g)
		case trace.GoSyscall:
			b.block(g, t, "", b.stacks.ref(st.Stack), true)
			b.dequeue(g)
		case trace.GoRunnable:
			b.enqueue(g, t)
		case trace.GoNotExist:
			b.exit(g, t)
		}
	case trace.GoSyscall:
		switch to {
		case trace.GoRunning:
			b.syscallReturn(g, t)
		case trace.GoRunnable:
			b.unblock(g, t, wakeInfo{kind: WakeSystem})
		case trace.GoNotExist:
			b.exit(g, t)
		}
	case trace.GoWaiting:
		if to == trace.GoRunnable {
			b.wake(g, ev, t)
		}
	}
	g.state = to
}

func (b *traceBuilder) newG(id trace.GoID, t trace.Time) *gState {
	g := &gState{id: int64(id), created: t, runnableAt: -1, state: trace.GoUndetermined}
	b.gs[id] = g
	return g
}

// status handles a goroutine status event (from Undetermined, or a state
// restated). The runtime restates every goroutine's status in each
// generation; only a goroutine's first appearance tells something new.
func (b *traceBuilder) status(g *gState, id trace.GoID, to trace.GoState, stk trace.Stack) {
	if g != nil {
		return
	}
	g = b.newG(id, b.origin)
	g.beforeStart = true
	g.state = to
	switch to {
	case trace.GoWaiting, trace.GoSyscall:
		ref := b.stacks.ref(stk)
		frames := b.stacks.frames(ref)
		g.fn = startFunc(frames)
		reason := ""
		if to == trace.GoWaiting {
			reason = traceReason("", frames)
		}
		g.open = blockRec{start: b.origin, end: -1, stack: ref, reason: reason, syscall: to == trace.GoSyscall, beforeStart: true}
		g.isOpen = true
	case trace.GoRunnable:
		// Runnable since before the trace: no latency can be measured,
		// but it counts towards the run queue.
		b.enqueue(g, -1)
	}
}

// startFunc returns a goroutine's start function from a full stack: its
// outermost frame.
func startFunc(frames []Frame) string {
	if len(frames) == 0 {
		return ""
	}
	return frames[len(frames)-1].Func
}

func (b *traceBuilder) create(g *gState, ev *trace.Event, st trace.StateTransition, to trace.GoState, t trace.Time) {
	g.created = t
	if ref := b.stacks.ref(st.Stack); ref != 0 {
		g.fn = startFunc(b.stacks.frames(ref))
	}
	cb := &CreatedBy{}
	if parent := ev.Goroutine(); parent != trace.NoGoroutine {
		cb.Parent = int64(parent)
	}
	if ref := b.stacks.ref(ev.Stack()); ref != 0 {
		f := b.stacks.frames(ref)[0]
		cb.Func, cb.File, cb.Line = f.Func, f.File, f.Line
	}
	g.createdBy = cb
	switch to {
	case trace.GoRunnable:
		b.enqueue(g, t)
	case trace.GoWaiting:
		g.open = blockRec{start: t, end: -1}
		g.isOpen = true
	case trace.GoSyscall:
		g.open = blockRec{start: t, end: -1, syscall: true}
		g.isOpen = true
	}
}

// enqueue marks g runnable since at (-1: since an unknown time).
func (b *traceBuilder) enqueue(g *gState, at trace.Time) {
	if !g.queued {
		g.queued = true
		b.runnable++
		if b.runnable > b.maxRun {
			b.maxRun = b.runnable
		}
	}
	g.runnableAt = at
}

// dequeue marks g no longer runnable.
func (b *traceBuilder) dequeue(g *gState) {
	if g.queued {
		g.queued = false
		b.runnable--
	}
	g.runnableAt = -1
}

// run records g starting to run, and the scheduler latency it waited.
func (b *traceBuilder) run(g *gState, t trace.Time) {
	if g.runnableAt >= 0 {
		lat := t.Sub(g.runnableAt)
		g.schedTotal += lat
		g.schedCount++
		g.schedMax = max(g.schedMax, lat)
		b.schedTotal += lat
		b.schedCount++
		b.schedMax = max(b.schedMax, lat)
	}
	b.dequeue(g)
}

func (b *traceBuilder) block(g *gState, t trace.Time, recorded string, stk stackRef, syscall bool) {
	reason := ""
	if !syscall {
		reason = traceReason(recorded, b.stacks.frames(stk))
	}
	g.open = blockRec{start: t, end: -1, stack: stk, reason: reason, syscall: syscall}
	g.isOpen = true
}

// syscallReturn closes a system call that returned with its P: it counts
// as a block only when it lasted long enough to matter.
func (b *traceBuilder) syscallReturn(g *gState, t trace.Time) {
	if !g.isOpen {
		return
	}
	if !g.open.beforeStart && t.Sub(g.open.start) < minSyscallBlock {
		g.isOpen = false
		return
	}
	b.unblock(g, t, wakeInfo{kind: WakeSystem})
	// It went straight back to running: no scheduler latency.
	b.dequeue(g)
}

// wakeInfo is who or what ended a block.
type wakeInfo struct {
	kind  WakeKind
	g     int64
	stack stackRef
	prior *priorRec
}

// wake handles a Waiting→Runnable transition: ev runs on the waker.
func (b *traceBuilder) wake(g *gState, ev *trace.Event, t trace.Time) {
	if !g.isOpen {
		b.enqueue(g, t)
		return
	}
	var w wakeInfo
	waker := ev.Goroutine()
	if waker == trace.NoGoroutine || int64(waker) == g.id {
		w.kind = b.anonymousWake(g)
		b.unblock(g, t, w)
		return
	}
	w.g = int64(waker)
	w.stack = b.stacks.ref(ev.Stack())
	wg := b.gs[waker]
	switch {
	case b.stacks.deadline(w.stack), wg != nil && isDeadlineFunc(wg.fn):
		w.kind = WakeDeadline
	case wg != nil && wg.timerCallback():
		w.kind = WakeTimer
	default:
		w.kind = WakeGoroutine
	}
	if wg != nil && wg.hasClosed && wg.lastClosed.end <= t {
		lc := &wg.lastClosed
		w.prior = &priorRec{
			start: lc.start, end: lc.end, stack: lc.stack, reason: lc.reason,
			syscall: lc.syscall, beforeStart: lc.beforeStart, kind: lc.wakeKind, waker: lc.waker,
		}
	}
	b.unblock(g, t, w)
}

// timerCallback reports whether the goroutine was started by the runtime
// with no goroutine and no creation stack while tracing, running a
// non-runtime function: a time.AfterFunc callback.
func (g *gState) timerCallback() bool {
	cb := g.createdBy
	return cb != nil && cb.Parent == 0 && cb.Func == "" && !g.beforeStart && g.fn != "" && FuncPackage(g.fn) != "runtime"
}

// anonymousWake classifies a wake no goroutine performed: the network
// poller for I/O waits, the runtime for its own waits, a timer otherwise
// (sleeps, and timer channels in selects and receives).
func (b *traceBuilder) anonymousWake(g *gState) WakeKind {
	if !g.isOpen {
		return WakeSystem
	}
	switch g.open.reason {
	case "IO wait":
		return WakeNetpoll
	case "sleep", "select", "chan receive", "chan send":
		return WakeTimer
	}
	return WakeSystem
}

// unblock closes g's open block at t, ended by w, and records it.
func (b *traceBuilder) unblock(g *gState, t trace.Time, w wakeInfo) {
	b.enqueue(g, t)
	if !g.isOpen {
		return
	}
	g.isOpen = false
	rec := g.open
	rec.end = t
	rec.wakeKind = w.kind
	rec.waker = w.g
	rec.wakerStack = w.stack
	rec.prior = w.prior
	d := t.Sub(rec.start)
	if d > g.maxBlock {
		g.maxBlock = d
	}
	b.site(rec.stack, rec.reason, w.kind, d)
	b.edge(&rec, g.id, d)
	g.lastClosed, g.hasClosed = rec, true
	g.remember(rec)
}

// remember appends rec to the goroutine's bounded history.
func (g *gState) remember(rec blockRec) {
	g.total++
	if len(g.first) < keepFirstBlocks {
		g.first = append(g.first, rec)
		return
	}
	g.last[g.nlast%keepLastBlocks] = rec
	g.nlast++
}

func (b *traceBuilder) site(stk stackRef, reason string, kind WakeKind, d time.Duration) {
	k := siteKey{stk, reason}
	s := b.sites[k]
	if s == nil {
		s = &siteAgg{key: k, seq: len(b.sites)}
		b.sites[k] = s
	}
	ws := &s.site
	ws.Waits++
	switch kind {
	case WakeNone:
		ws.NeverWoken++
	case WakeGoroutine:
		ws.ByGoroutine++
	case WakeDeadline:
		ws.ByTimer++
		ws.ByDeadline++
	case WakeTimer:
		ws.ByTimer++
	case WakeNetpoll:
		ws.ByNetpoll++
	default:
		ws.BySystem++
	}
	ws.TotalWait += d
	if d > ws.MaxWait {
		ws.MaxWait = d
	}
}

func (b *traceBuilder) edge(rec *blockRec, waiter int64, d time.Duration) {
	k := edgeKey{waiter: rec.stack, waker: rec.wakerStack, reason: rec.reason, kind: rec.wakeKind}
	e := b.edges[k]
	if e == nil {
		e = &edgeAgg{key: k, first: rec.end}
		b.edges[k] = e
	}
	e.count++
	e.last = rec.end
	e.total += d
	if d > e.max {
		e.max = d
	}
	if len(e.waiters) < maxEdgeSamples {
		e.waiters = appendUnique(e.waiters, waiter)
	}
	if rec.waker != 0 && len(e.wakers) < maxEdgeSamples {
		e.wakers = appendUnique(e.wakers, rec.waker)
	}
	if p := rec.prior; p != nil {
		if pd := p.end.Sub(p.start); e.prior == nil || pd > e.priorDur {
			e.prior, e.priorDur = p, pd
		}
	}
}

func appendUnique(s []int64, v int64) []int64 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func (b *traceBuilder) exit(g *gState, t trace.Time) {
	if g.isOpen {
		// A goroutine exiting from a system call closes it.
		b.unblock(g, t, wakeInfo{kind: WakeSystem})
	}
	b.dequeue(g)
	g.exited = true
	delete(b.gs, trace.GoID(g.id))
	if g.total == 0 {
		return
	}
	heap.Push(&b.retired, g)
	if b.retired.Len() > maxRetired {
		heap.Pop(&b.retired)
		b.dropped++
	}
}

// retiredHeap keeps the exited goroutines with the longest blocks: a
// min-heap on the longest block, so the least interesting is dropped first.
type retiredHeap []*gState

func (h retiredHeap) Len() int           { return len(h) }
func (h retiredHeap) Less(i, j int) bool { return h[i].maxBlock < h[j].maxBlock }
func (h retiredHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retiredHeap) Push(x any)        { *h = append(*h, x.(*gState)) }
func (h *retiredHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}
