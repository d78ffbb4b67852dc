package parser

import (
	"container/heap"

	"golang.org/x/exp/trace"
)

// maxFreeStates bounds the states of exited goroutines kept for reuse.
const maxFreeStates = 4096

// g returns the state of goroutine id, or nil.
func (b *traceBuilder) g(id trace.GoID) *gState {
	slot := &b.gcache[uint64(id)%gCacheSize]
	if g := *slot; g != nil && g.id == int64(id) {
		return g
	}
	g := b.gs.get(id)
	if g != nil {
		*slot = g
	}
	return g
}

// newG starts tracking goroutine id, first seen at t. The state is one an
// exited goroutine left when there is one: a service starting a goroutine
// per request or per timer would otherwise allocate a state per goroutine
// the trace ever saw.
func (b *traceBuilder) newG(id trace.GoID, t trace.Time) *gState {
	var g *gState
	if n := len(b.free); n > 0 {
		g = b.free[n-1]
		b.free[n-1] = nil
		b.free = b.free[:n-1]
		// Its history's storage is reused too.
		*g = gState{first: g.first[:0], last: g.last}
	} else {
		g = new(gState)
	}
	g.id, g.created, g.runnableAt, g.runStart = int64(id), t, -1, -1
	g.state, g.wakesAs = trace.GoUndetermined, WakeGoroutine
	b.gs.put(id, g)
	b.gcache[uint64(id)%gCacheSize] = g
	return g
}

// exit ends goroutine g at t. It is kept in the result when it blocked
// (among the exited goroutines with the longest blocks); otherwise, or when
// a longer-blocked one pushes it out, its state is reused.
func (b *traceBuilder) exit(g *gState, t trace.Time) {
	if g.isOpen {
		// A goroutine exiting from a system call closes it.
		b.unblock(g, t, wakeInfo{kind: WakeSystem})
	}
	b.dequeue(g)
	g.exited = true
	b.gs.delete(trace.GoID(g.id))
	if slot := &b.gcache[uint64(g.id)%gCacheSize]; *slot == g {
		*slot = nil
	}
	g.blk, g.wakeHandle, g.sysStack = [2]blockCache{}, [2]trace.Stack{}, trace.NoStack
	g.site, g.edge, g.cpu = [2]*siteAgg{}, [2]*edgeAgg{}, nil
	if g.total == 0 {
		b.recycle(g)
		return
	}
	heap.Push(&b.retired, g)
	if b.retired.Len() > maxRetired {
		b.recycle(heap.Pop(&b.retired).(*gState))
		b.dropped++
	}
}

// recycle keeps the state of an exited goroutine, which nothing refers to
// any more, for newG.
func (b *traceBuilder) recycle(g *gState) {
	if len(b.free) < maxFreeStates {
		b.free = append(b.free, g)
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
