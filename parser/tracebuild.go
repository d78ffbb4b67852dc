package parser

import (
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
	// gCacheSize is the size of the direct-mapped goroutine cache in
	// front of the goroutine map (a power of two).
	gCacheSize = 512
	// maxProcTracked bounds the P IDs counted in Trace.Procs.
	maxProcTracked = 1 << 16
)

// reasonID indexes traceBuilder.reasons; 0 is the empty reason.
type reasonID uint16

// priorRec is the block a waker had come out of before a wake.
type priorRec struct {
	start, end  trace.Time
	waker       int64
	stack       stackRef
	reason      reasonID
	syscall     bool
	beforeStart bool
	kind        WakeKind
}

// blockRec is one block interval in the builder's compact form.
type blockRec struct {
	start, end  trace.Time // end is -1 while open
	waker       int64
	stack       stackRef
	wakerStack  stackRef
	reason      reasonID
	syscall     bool
	beforeStart bool
	hasPrior    bool
	wakeKind    WakeKind
	prior       priorRec
}

// gState is the builder's state of one goroutine.
type gState struct {
	id          int64
	fn          string
	createdBy   CreatedBy // where it was created, when hasCreator
	hasCreator  bool
	created     trace.Time
	beforeStart bool
	exited      bool
	queued      bool // runnable, counted in traceBuilder.runnable
	state       trace.GoState
	isOpen      bool
	open        blockRec
	// sysStack is the open system call's stack handle, resolved only if
	// the call lasts long enough to be kept.
	sysStack   trace.Stack
	runnableAt trace.Time // when it last became runnable; -1 if unknown

	first []blockRec
	last  *[keepLastBlocks]blockRec // ring, allocated once first is full
	nlast int                       // blocks written to last
	total int
	// lastClosed is the most recent closed block, for Waker.Prior.
	lastClosed blockRec
	hasClosed  bool
	maxBlock   time.Duration
	schedMax   time.Duration
	schedTotal time.Duration
	schedCount int
	// wokeBy is what made it runnable last (WakeNone when it was preempted
	// or created); runStart is when it last started running, -1 while it
	// is not; running sums the time it ran.
	wokeBy   WakeKind
	runStart trace.Time
	running  time.Duration
	// cpuCounted is set once g is counted in its start function's CPU;
	// cpu is that function's entry, while g.fn stays the same.
	cpuCounted bool
	cpu        *cpuAgg

	// Caches that spare map lookups when a goroutine blocks, wakes others
	// or is woken the same way again. Stack handles are only valid within
	// a generation: they are cleared at each one.
	blk        [2]blockCache  // its last two places of blocking
	wakeHandle [2]trace.Stack // its last two stacks when waking others
	wakeRef    [2]stackRef
	// wakesAs is what a wake by this goroutine means: a deadline firing
	// when it runs a context's deadline timer, a timer for another
	// time.AfterFunc callback, a goroutine otherwise.
	wakesAs WakeKind
	site    [2]*siteAgg // the last two sites it waited at
	edge    [2]*edgeAgg // the last two edges it was woken through
}

// blockCache is how one block event of a goroutine resolved: its stack
// handle and recorded reason, and the interned stack and normalised reason
// they gave. A handle is only valid within its generation.
type blockCache struct {
	handle   trace.Stack
	recorded string
	ref      stackRef
	reason   reasonID
}

// edgeKey identifies a wake edge.
type edgeKey struct {
	waiter, waker stackRef
	reason        reasonID
	kind          WakeKind
}

type edgeAgg struct {
	key edgeKey
	// seq is the order edges were first seen in: the last tie-breaker of
	// their order, so that the result does not depend on map order.
	seq         int
	count       int
	first, last trace.Time
	total, max  time.Duration
	waiters     []int64
	wakers      []int64
	hasPrior    bool
	prior       priorRec
}

// siteKey identifies a wait site.
type siteKey struct {
	stack  stackRef
	reason reasonID
}

type siteAgg struct {
	key  siteKey
	site WaitSite
	seq  int
}

// traceBuilder folds a stream of trace events into a Trace.
type traceBuilder struct {
	stacks    *stackTable
	gs        *gTable
	gcache    [gCacheSize]*gState
	free      []*gState // states of exited goroutines, for reuse
	retired   retiredHeap
	creates   [2]createCache
	dropped   int
	edges     map[edgeKey]*edgeAgg
	sites     map[siteKey]*siteAgg
	reasons   []string
	reasonIDs map[string]reasonID
	procSeen  []bool
	procs     int
	origin    trace.Time
	last      trace.Time
	started   bool
	// wallOrigin is the wall-clock time of origin, from the first clock
	// snapshot (Go 1.25+ traces); zero before one is seen.
	wallOrigin time.Time
	gens       int
	events     int64
	runnable   int
	maxRun     int

	schedMax   time.Duration
	schedTotal time.Duration
	schedCount int
	sched      schedBuilder
}

func newTraceBuilder() *traceBuilder {
	return &traceBuilder{
		stacks:    newStackTable(),
		gs:        newGTable(),
		edges:     make(map[edgeKey]*edgeAgg),
		sites:     make(map[siteKey]*siteAgg),
		reasons:   []string{""},
		reasonIDs: map[string]reasonID{"": 0},
	}
}

// reasonID interns a normalised wait reason.
func (b *traceBuilder) reasonID(r string) reasonID {
	if id, ok := b.reasonIDs[r]; ok {
		return id
	}
	if len(b.reasons) > 1<<16-1 {
		// Reasons come from a small runtime table; a trace naming
		// more is corrupt. Fold the excess into "".
		return 0
	}
	id := reasonID(len(b.reasons))
	b.reasons = append(b.reasons, r)
	b.reasonIDs[r] = id
	return id
}

// newGeneration drops everything that refers to the ending generation's
// tables.
func (b *traceBuilder) newGeneration() {
	b.gens++
	b.creates = [2]createCache{}
	for g := range b.gs.all() {
		g.blk, g.wakeHandle = [2]blockCache{}, [2]trace.Stack{}
		if g.sysStack != trace.NoStack {
			// A system call spanning generations: resolve its stack now
			// rather than keep the old generation's tables alive.
			g.open.stack = b.stacks.ref(g.sysStack)
			g.sysStack = trace.NoStack
		}
	}
	b.stacks.newGeneration()
}

// noteProc counts a P the first time it is seen.
func (b *traceBuilder) noteProc(p trace.ProcID) {
	if p < 0 || p >= maxProcTracked {
		return
	}
	if int(p) >= len(b.procSeen) {
		b.procSeen = append(b.procSeen, make([]bool, int(p)+1-len(b.procSeen))...)
	}
	if !b.procSeen[p] {
		b.procSeen[p] = true
		b.procs++
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
		b.newGeneration()
		if s := ev.Sync(); s.ClockSnapshot != nil && b.wallOrigin.IsZero() && !s.ClockSnapshot.Wall.IsZero() {
			// The trace clock and the wall clock read together: the
			// trace's first event happened this long before the reading.
			b.wallOrigin = s.ClockSnapshot.Wall.Add(-s.ClockSnapshot.Trace.Sub(b.origin))
		}
		return
	case trace.EventStateTransition:
	default:
		return
	}
	st := ev.StateTransition()
	if st.Resource.Kind != trace.ResourceGoroutine {
		if st.Resource.Kind == trace.ResourceProc {
			b.noteProc(st.Resource.Proc())
		}
		return
	}
	from, to := st.Goroutine()
	id := st.Resource.Goroutine()
	g := b.g(id)
	if from == trace.GoUndetermined || from == to {
		if g == nil {
			b.firstStatus(id, to, st.Stack)
		}
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
		b.create(g, ev, &st, to, t)
	case trace.GoRunnable:
		if to == trace.GoRunning {
			b.run(g, t)
		}
	case trace.GoRunning:
		if g.fn == "" && st.Stack != trace.NoStack {
			// Running since before the trace: its first stack (a
			// preemption, a block) names its start function, which the
			// CPU it used is charged to.
			g.fn = startFunc(b.stacks.frames(b.stacks.ref(st.Stack)))
		}
		b.stopRunning(g, t)
		switch to {
		case trace.GoWaiting:
			b.block(g, t, st.Reason, st.Stack)
		case trace.GoSyscall:
			g.open = blockRec{start: t, end: -1, syscall: true}
			g.sysStack = st.Stack
			g.isOpen = true
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

// firstStatus handles the first status event of a goroutine the trace had
// not mentioned: it existed before the trace began. The runtime restates
// every goroutine's status in each generation; later restatements tell
// nothing new and are skipped.
func (b *traceBuilder) firstStatus(id trace.GoID, to trace.GoState, stk trace.Stack) {
	g := b.newG(id, b.origin)
	g.beforeStart = true
	g.state = to
	switch to {
	case trace.GoWaiting, trace.GoSyscall:
		ref := b.stacks.ref(stk)
		frames := b.stacks.frames(ref)
		g.fn = startFunc(frames)
		g.classifyWaker()
		var reason reasonID
		if to == trace.GoWaiting {
			reason = b.reasonID(traceReason("", frames))
		}
		g.open = blockRec{start: b.origin, end: -1, stack: ref, reason: reason, syscall: to == trace.GoSyscall, beforeStart: true}
		g.isOpen = true
	case trace.GoRunnable:
		// Runnable since before the trace: no latency can be measured,
		// but it counts towards the run queue.
		if stk != trace.NoStack {
			g.fn = startFunc(b.stacks.frames(b.stacks.ref(stk)))
		}
		b.enqueue(g, -1)
	case trace.GoRunning:
		g.runStart = b.origin
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

// createCache is what one goroutine creation's stacks resolved to: the
// new goroutine's start stack and the creator's stack (handles, valid
// within their generation) to the start function and the go statement.
type createCache struct {
	start, creator trace.Stack
	fn             string
	cpu            *cpuAgg // fn's CPU entry
	at             Frame
}

// creation resolves a creation's stacks through the builder's two-entry
// cache: goroutines tend to be started in runs from the same go statement
// (a fan-out, a server's accept loop, a timer's callbacks).
func (b *traceBuilder) creation(start, creator trace.Stack) *createCache {
	c := &b.creates
	switch {
	case c[0].start == start && c[0].creator == creator:
		return &c[0]
	case c[1].start == start && c[1].creator == creator:
		c[0], c[1] = c[1], c[0]
		return &c[0]
	}
	n := createCache{start: start, creator: creator}
	if ref := b.stacks.ref(start); ref != 0 {
		n.fn = startFunc(b.stacks.frames(ref))
		n.cpu = b.funcCPU(n.fn)
	}
	if ref := b.stacks.ref(creator); ref != 0 {
		n.at = b.stacks.frames(ref)[0]
	}
	c[0], c[1] = n, c[0]
	return &c[0]
}

func (b *traceBuilder) create(g *gState, ev *trace.Event, st *trace.StateTransition, to trace.GoState, t trace.Time) {
	g.created = t
	c := b.creation(st.Stack, ev.Stack())
	if c.fn != "" {
		g.fn, g.cpu = c.fn, c.cpu
	}
	g.createdBy = CreatedBy{Func: c.at.Func, File: c.at.File, Line: c.at.Line}
	if parent := ev.Goroutine(); parent != trace.NoGoroutine {
		g.createdBy.Parent = int64(parent)
	}
	g.hasCreator = true
	g.classifyWaker()
	switch to {
	case trace.GoRunnable:
		b.enqueue(g, t)
	case trace.GoWaiting:
		g.open = blockRec{start: t, end: -1}
		g.isOpen = true
	}
	// A goroutine created in a system call is a thread coming from C into
	// Go: running foreign code, not blocked.
}

// enqueue marks g runnable since at (-1: since an unknown time).
func (b *traceBuilder) enqueue(g *gState, at trace.Time) {
	if !g.queued {
		g.queued = true
		b.runnable++
		if b.runnable > b.maxRun {
			b.maxRun = b.runnable
		}
		if at >= 0 {
			b.noteRunnable(at)
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
		b.noteLatency(lat, g.wokeBy)
	}
	g.wokeBy = WakeNone
	g.runStart = t
	b.dequeue(g)
	b.noteRunnable(t)
}

// block opens a block of g at t. The stack and reason are resolved
// through g's cache: a goroutine tends to block at the same few places
// (a worker at its lock and at its queue).
func (b *traceBuilder) block(g *gState, t trace.Time, recorded string, stk trace.Stack) {
	var c blockCache
	switch {
	case stk == g.blk[0].handle && recorded == g.blk[0].recorded:
		c = g.blk[0]
	case stk == g.blk[1].handle && recorded == g.blk[1].recorded:
		c = g.blk[1]
		g.blk[0], g.blk[1] = c, g.blk[0]
	default:
		c = blockCache{handle: stk, recorded: recorded, ref: b.stacks.ref(stk)}
		c.reason = b.reasonID(traceReason(recorded, b.stacks.frames(c.ref)))
		g.blk[0], g.blk[1] = c, g.blk[0]
	}
	g.open = blockRec{start: t, end: -1, stack: c.ref, reason: c.reason}
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
		g.sysStack = trace.NoStack
		return
	}
	b.unblock(g, t, wakeInfo{kind: WakeSystem})
	// It went straight back to running: no scheduler latency.
	b.dequeue(g)
	g.wokeBy = WakeNone
	g.runStart = t
}

// wakeInfo is who or what ended a block. What the waker had been blocked
// on before (blockRec.prior) is set on the block by wake itself.
type wakeInfo struct {
	kind  WakeKind
	g     int64
	stack stackRef
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
	wg := b.g(waker)
	stk := ev.Stack()
	w.kind = WakeGoroutine
	switch {
	case wg == nil:
		w.stack = b.stacks.ref(stk)
	case stk == wg.wakeHandle[0] && stk != trace.NoStack:
		w.stack = wg.wakeRef[0]
	case stk == wg.wakeHandle[1] && stk != trace.NoStack:
		w.stack = wg.wakeRef[1]
	default:
		w.stack = b.stacks.ref(stk)
		wg.wakeHandle[1], wg.wakeRef[1] = wg.wakeHandle[0], wg.wakeRef[0]
		wg.wakeHandle[0], wg.wakeRef[0] = stk, w.stack
	}
	if wg != nil {
		w.kind = wg.wakesAs
	}
	if b.stacks.deadline(w.stack) {
		w.kind = WakeDeadline
	}
	if wg != nil && wg.hasClosed && wg.lastClosed.end <= t {
		lc := &wg.lastClosed
		g.open.hasPrior = true
		g.open.prior = priorRec{
			start: lc.start, end: lc.end, waker: lc.waker, stack: lc.stack, reason: lc.reason,
			syscall: lc.syscall, beforeStart: lc.beforeStart, kind: lc.wakeKind,
		}
	}
	b.unblock(g, t, w)
}

// classifyWaker sets what a wake by g means, once its start function and
// creation are known. A goroutine the runtime started while tracing, with
// no creating goroutine and no creation stack, running a function outside
// the runtime, is a time.AfterFunc callback.
func (g *gState) classifyWaker() {
	cb := &g.createdBy
	switch {
	case isDeadlineFunc(g.fn):
		g.wakesAs = WakeDeadline
	case g.hasCreator && cb.Parent == 0 && cb.Func == "" && !g.beforeStart && g.fn != "" && FuncClass(g.fn) != ClassRuntime:
		g.wakesAs = WakeTimer
	default:
		g.wakesAs = WakeGoroutine
	}
}

// anonymousWake classifies a wake no goroutine performed: the network
// poller for I/O waits, the runtime for its own waits, a timer otherwise
// (sleeps, and timer channels in selects and receives).
func (b *traceBuilder) anonymousWake(g *gState) WakeKind {
	switch b.reasons[g.open.reason] {
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
	g.wokeBy = w.kind
	if !g.isOpen {
		return
	}
	g.isOpen = false
	rec := &g.open
	if rec.syscall && rec.stack == 0 && g.sysStack != trace.NoStack {
		rec.stack = b.stacks.ref(g.sysStack)
	}
	g.sysStack = trace.NoStack
	rec.end = t
	rec.wakeKind = w.kind
	rec.waker = w.g
	rec.wakerStack = w.stack
	d := t.Sub(rec.start)
	g.maxBlock = max(g.maxBlock, d)
	b.site(g, rec.stack, rec.reason, w.kind, d)
	b.edge(g, rec, d)
	g.lastClosed, g.hasClosed = *rec, true
	g.remember(rec)
}

// remember appends rec to the goroutine's bounded history.
func (g *gState) remember(rec *blockRec) {
	g.total++
	if len(g.first) < keepFirstBlocks {
		g.first = append(g.first, *rec)
		return
	}
	if g.last == nil {
		g.last = new([keepLastBlocks]blockRec)
	}
	g.last[g.nlast%keepLastBlocks] = *rec
	g.nlast++
}

// site counts a wait of g at its site, through g's site cache.
func (b *traceBuilder) site(g *gState, stk stackRef, reason reasonID, kind WakeKind, d time.Duration) {
	k := siteKey{stk, reason}
	var s *siteAgg
	switch {
	case g.site[0] != nil && g.site[0].key == k:
		s = g.site[0]
	case g.site[1] != nil && g.site[1].key == k:
		s = g.site[1]
	default:
		s = b.sites[k]
		if s == nil {
			s = &siteAgg{key: k, seq: len(b.sites)}
			b.sites[k] = s
		}
		g.site[0], g.site[1] = s, g.site[0]
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
	ws.MaxWait = max(ws.MaxWait, d)
}

// edge counts the wake that closed rec, through g's edge cache.
func (b *traceBuilder) edge(g *gState, rec *blockRec, d time.Duration) {
	k := edgeKey{waiter: rec.stack, waker: rec.wakerStack, reason: rec.reason, kind: rec.wakeKind}
	var e *edgeAgg
	switch {
	case g.edge[0] != nil && g.edge[0].key == k:
		e = g.edge[0]
	case g.edge[1] != nil && g.edge[1].key == k:
		e = g.edge[1]
	default:
		e = b.edges[k]
		if e == nil {
			e = &edgeAgg{key: k, first: rec.end, seq: len(b.edges)}
			b.edges[k] = e
		}
		g.edge[0], g.edge[1] = e, g.edge[0]
	}
	e.count++
	e.last = rec.end
	e.total += d
	e.max = max(e.max, d)
	if len(e.waiters) < maxEdgeSamples {
		e.waiters = appendUnique(e.waiters, g.id)
	}
	if rec.waker != 0 && len(e.wakers) < maxEdgeSamples {
		e.wakers = appendUnique(e.wakers, rec.waker)
	}
	if p := &rec.prior; rec.hasPrior {
		if !e.hasPrior || p.end.Sub(p.start) > e.prior.end.Sub(e.prior.start) {
			e.prior, e.hasPrior = *p, true
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
