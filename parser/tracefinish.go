package parser

import (
	"cmp"
	"slices"
	"time"

	"golang.org/x/exp/trace"
)

// finish turns the builder's state into the Trace model. Blocks still open
// are the stuck ones: they are counted as never woken, up to the last event.
func (b *traceBuilder) finish(tr *Trace) {
	end := b.last
	tr.Duration = end.Sub(b.origin)
	tr.WallStart = b.wallOrigin.UTC()
	tr.Generations = b.gens
	tr.Events = b.events
	tr.Procs = b.procs
	tr.SchedLatencyMax = b.schedMax
	tr.SchedLatencyTotal = b.schedTotal
	tr.SchedCount = b.schedCount
	tr.MaxRunnable = b.maxRun
	tr.DroppedGoroutines = b.dropped

	all := make([]*gState, 0, b.gs.len()+len(b.retired))
	for g := range b.gs.all() {
		all = append(all, g)
	}
	all = append(all, b.retired...)
	slices.SortFunc(all, func(x, y *gState) int { return cmp.Compare(x.id, y.id) })
	for _, g := range all {
		// Goroutines still running at the end ran until then.
		b.stopRunning(g, end)
	}
	tr.Sched = b.schedStats(end)
	for _, g := range all {
		// A system call in progress at the end counts as stuck only once
		// it has lasted as long as a kept one.
		stuck := g.isOpen && (!g.open.syscall || g.open.beforeStart || end.Sub(g.open.start) >= minSyscallBlock)
		if g.exited && g.total == 0 {
			continue
		}
		tg := &TraceGoroutine{
			ID:                g.id,
			Func:              g.fn,
			Created:           b.off(g.created),
			BeforeStart:       g.beforeStart,
			EndStatus:         endStatus(g),
			BlocksTotal:       g.total,
			SchedLatencyMax:   g.schedMax,
			SchedLatencyTotal: g.schedTotal,
			SchedCount:        g.schedCount,
			Exited:            g.exited,
		}
		tg.Running = g.running
		if g.hasCreator {
			cb := g.createdBy
			tg.CreatedBy = &cb
		}
		if g.beforeStart {
			tg.Created = 0
		}
		tg.Blocks = make([]BlockInterval, 0, len(g.first)+min(g.nlast, keepLastBlocks))
		for _, r := range g.first {
			tg.Blocks = append(tg.Blocks, b.interval(r))
		}
		for i := max(0, g.nlast-keepLastBlocks); i < g.nlast; i++ {
			// g.last is allocated whenever nlast > 0.
			tg.Blocks = append(tg.Blocks, b.interval(g.last[i%keepLastBlocks]))
		}
		if stuck {
			if g.open.syscall && g.open.stack == 0 && g.sysStack != trace.NoStack {
				g.open.stack = b.stacks.ref(g.sysStack)
			}
			iv := b.interval(g.open)
			tg.Stuck = &iv
			b.site(g, g.open.stack, g.open.reason, WakeNone, end.Sub(g.open.start))
		}
		tr.Goroutines = append(tr.Goroutines, tg)
	}

	edges := make([]*edgeAgg, 0, len(b.edges))
	for _, e := range b.edges {
		edges = append(edges, e)
	}
	slices.SortFunc(edges, func(x, y *edgeAgg) int {
		if c := cmp.Compare(y.count, x.count); c != 0 {
			return c
		}
		if c := cmp.Compare(x.first, y.first); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	for _, e := range edges {
		we := &WakeEdge{
			WaiterFrames: b.stacks.frames(e.key.waiter),
			Reason:       b.reasons[e.key.reason],
			Kind:         e.key.kind,
			WakerFrames:  b.stacks.frames(e.key.waker),
			Count:        e.count,
			First:        b.off(e.first),
			Last:         b.off(e.last),
			TotalWait:    e.total,
			MaxWait:      e.max,
			Waiters:      slices.Sorted(slices.Values(e.waiters)),
			Wakers:       slices.Sorted(slices.Values(e.wakers)),
		}
		if e.hasPrior {
			we.WakerPrior = b.prior(&e.prior)
		}
		tr.Edges = append(tr.Edges, we)
	}

	sites := make([]*siteAgg, 0, len(b.sites))
	for _, s := range b.sites {
		sites = append(sites, s)
	}
	slices.SortFunc(sites, func(x, y *siteAgg) int {
		if c := cmp.Compare(y.site.TotalWait, x.site.TotalWait); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	for _, s := range sites {
		ws := s.site
		ws.Frames = b.stacks.frames(s.key.stack)
		ws.Reason = b.reasons[s.key.reason]
		tr.Sites = append(tr.Sites, &ws)
	}
}

// off converts a trace timestamp to an offset from the trace's start.
func (b *traceBuilder) off(t trace.Time) time.Duration {
	if t < b.origin {
		return 0
	}
	return t.Sub(b.origin)
}

func (b *traceBuilder) interval(r blockRec) BlockInterval {
	iv := BlockInterval{
		Start:       b.off(r.start),
		End:         -1,
		BeforeStart: r.beforeStart,
		Syscall:     r.syscall,
		Reason:      b.reasons[r.reason],
		Frames:      b.stacks.frames(r.stack),
	}
	if r.end >= 0 {
		iv.End = b.off(r.end)
		iv.Waker = Waker{
			Kind:      r.wakeKind,
			Goroutine: r.waker,
			Frames:    b.stacks.frames(r.wakerStack),
			At:        iv.End,
		}
		if r.hasPrior {
			iv.Waker.Prior = b.prior(&r.prior)
		}
	}
	return iv
}

func (b *traceBuilder) prior(p *priorRec) *BlockInterval {
	return &BlockInterval{
		Start:       b.off(p.start),
		End:         b.off(p.end),
		BeforeStart: p.beforeStart,
		Syscall:     p.syscall,
		Reason:      b.reasons[p.reason],
		Frames:      b.stacks.frames(p.stack),
		Waker:       Waker{Kind: p.kind, Goroutine: p.waker, At: b.off(p.end)},
	}
}

// endStatus maps the goroutine's last trace state to the model's status.
func endStatus(g *gState) Status {
	if g.exited {
		return StatusDead
	}
	switch g.state {
	case trace.GoRunnable:
		return StatusRunnable
	case trace.GoRunning:
		return StatusRunning
	case trace.GoWaiting:
		return StatusWaiting
	case trace.GoSyscall:
		return StatusSyscall
	}
	return StatusUnknown
}
