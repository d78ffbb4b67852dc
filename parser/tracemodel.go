package parser

import (
	"cmp"
	"slices"
	"time"
)

// Trace is what ctxhole keeps of a Go execution trace: not the events, but
// per-goroutine block intervals with their wakers, aggregated wake edges and
// per-site wait statistics. It is built in one streaming pass, so its size
// grows with the number of goroutines and distinct stacks, not with the
// trace's length. All times are offsets from the trace's first event.
type Trace struct {
	Source Source
	// Duration spans the first to the last event read.
	Duration time.Duration
	// WallStart is the wall-clock time of the first event, from the
	// clock snapshot Go 1.25+ traces carry with each generation (zero for
	// older traces): it turns the offsets below into times a log or an
	// incident timeline can be matched against, and is exact where a
	// capture's own time is only when the file was fetched.
	WallStart time.Time
	// Goroutines alive when the trace ended, and exited ones that blocked
	// at least once (up to a bound, see DroppedGoroutines), by ascending ID.
	Goroutines []*TraceGoroutine
	// Edges are the wake edges aggregated by (waiter stack, waker stack,
	// wake kind): 5,000 handlers woken by one releaser are one edge.
	Edges []*WakeEdge
	// Sites are wait statistics per blocking call site.
	Sites []*WaitSite
	// Version is the trace format's Go version from its header ("go1.26"):
	// the release that introduced the format, which later releases may
	// keep writing (Go 1.24 writes "go1.23", Go 1.20 "go1.19").
	Version string
	// Generations counts the trace's generations (Go 1.22+ traces restart
	// their tables about once a second; older traces have one).
	Generations int
	// Events counts the events read.
	Events int64
	// Procs is the number of distinct Ps seen: GOMAXPROCS while tracing.
	Procs int
	// Scheduler latency over all goroutines: how long goroutines sat
	// runnable before they ran. A high maximum with many runnable
	// goroutines is starvation (timers fire late, deadlines overshoot).
	SchedLatencyMax   time.Duration
	SchedLatencyTotal time.Duration
	SchedCount        int
	// MaxRunnable is the largest number of goroutines runnable at once.
	MaxRunnable int
	// Sched holds the scheduler's figures: latency quantiles, runnable
	// goroutines over time, late timer wakes.
	Sched *SchedStats
	// DroppedGoroutines counts exited goroutines whose history was not kept
	// (the trace keeps the exited goroutines with the longest blocks, up to
	// a bound); their waits are still counted in Edges and Sites.
	DroppedGoroutines int
	// Truncated is set when the trace ended in a broken or partial batch;
	// everything before the break was analyzed.
	Truncated bool
	Warnings  []Warning
}

// Goroutine returns the goroutine with the given ID, or nil.
func (t *Trace) Goroutine(id int64) *TraceGoroutine {
	i, ok := slices.BinarySearchFunc(t.Goroutines, id, func(g *TraceGoroutine, id int64) int {
		return cmp.Compare(g.ID, id)
	})
	if !ok {
		return nil
	}
	return t.Goroutines[i]
}

// TraceGoroutine is one goroutine's history in a trace.
type TraceGoroutine struct {
	ID int64
	// Func is the goroutine's start function when the trace names it (from
	// its creation event, or the outermost frame of the stack it was
	// blocked in when the trace began), "" otherwise.
	Func string
	// CreatedBy is where the goroutine was created, when the trace saw its
	// creation: the creating goroutine (Parent, 0 for the runtime or a
	// timer) and the frame of the go statement.
	CreatedBy *CreatedBy
	// Created is when it was created; BeforeStart goroutines have 0.
	Created time.Duration
	// BeforeStart is set when the goroutine existed before the trace began.
	BeforeStart bool
	// EndStatus is the goroutine's state when the trace ended.
	EndStatus Status
	// Blocks are the goroutine's closed block intervals in time order (the
	// open one is Stuck). A goroutine that blocks very often keeps the
	// first and the most recent ones; BlocksTotal counts them all. System
	// calls count only when they lost their P or lasted a millisecond.
	Blocks      []BlockInterval
	BlocksTotal int
	// Stuck is the interval still open when the trace ended (never woken),
	// nil if the goroutine was running, runnable or had exited.
	Stuck *BlockInterval
	// Scheduler latency: time spent runnable before running.
	SchedLatencyMax   time.Duration
	SchedLatencyTotal time.Duration
	SchedCount        int
	// Running is the time it spent running (on a P) during the trace:
	// the CPU it took from everyone else.
	Running time.Duration
	Exited  bool
}

// BlockInterval is one span a goroutine spent blocked (waiting or in a
// system call).
type BlockInterval struct {
	Start time.Duration
	// End is when it became runnable again; -1 if it never did before the
	// trace ended.
	End time.Duration
	// BeforeStart is set when the goroutine was already blocked when the
	// trace began; Start is then 0 and the reason was inferred from the
	// stack.
	BeforeStart bool
	Syscall     bool
	Reason      string // normalised wait reason, as Goroutine.Reason
	// Frames are the blocking stack, innermost first. Block stacks recorded
	// while tracing leave out the runtime's own frames; stacks of goroutines
	// already blocked when the trace began include them (runtime.gopark).
	// Frames are shared between intervals: treat them as read-only.
	Frames []Frame
	Waker  Waker
}

// Duration returns how long the interval lasted, up to end for an open one.
func (b BlockInterval) Duration(end time.Duration) time.Duration {
	if b.End < 0 {
		return end - b.Start
	}
	return b.End - b.Start
}

// Open reports whether the interval was still open when the trace ended.
func (b BlockInterval) Open() bool { return b.End < 0 }

// WakeKind says what ended a block.
type WakeKind uint8

// Wake kinds.
const (
	WakeNone      WakeKind = iota // never woken
	WakeGoroutine                 // another goroutine unblocked it (channel send, Unlock, Done, cancel...)
	WakeDeadline                  // a context deadline fired: woken by its timer (context.WithDeadlineCause.func2)
	WakeTimer                     // a timer fired: a sleep, a timer channel, another time.AfterFunc callback
	WakeNetpoll                   // the network poller: data arrived (or an I/O deadline passed)
	WakeSystem                    // the runtime itself (GC, a system call returning without its P)
)

var wakeKindNames = [...]string{"none", "goroutine", "deadline", "timer", "netpoll", "system"}

func (k WakeKind) String() string {
	if int(k) < len(wakeKindNames) {
		return wakeKindNames[k]
	}
	return "unknown"
}

// MarshalText encodes the kind as its name.
func (k WakeKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Waker is who or what ended a block.
type Waker struct {
	Kind      WakeKind
	Goroutine int64   // the waking goroutine, 0 if none
	Frames    []Frame // its stack at the wake, when the trace recorded one
	At        time.Duration
	// Prior is what the waking goroutine had been blocked on just before
	// it woke this one (its most recent block, ended at or before At): the
	// next link of a chain, e.g. a lock holder's 2 s network read. Its own
	// Waker carries only the kind and goroutine. Nil if none was seen.
	Prior *BlockInterval
}

// WakeEdge aggregates identical wakes: waiters with the same blocking stack
// released by wakers with the same stack (or the same non-goroutine kind).
type WakeEdge struct {
	WaiterFrames []Frame
	Reason       string
	Kind         WakeKind
	WakerFrames  []Frame
	Count        int
	First, Last  time.Duration // wake times
	TotalWait    time.Duration
	MaxWait      time.Duration
	// Waiters and Wakers are sample goroutine IDs (bounded).
	Waiters []int64
	Wakers  []int64
	// WakerPrior is the longest block a waker came out of just before one
	// of these wakes (see Waker.Prior); nil if none.
	WakerPrior *BlockInterval
}

// WaitSite is wait statistics for one blocking call site (a waiter stack).
type WaitSite struct {
	Frames []Frame
	Reason string
	// Waits counts the blocks at this site; ByTimer those ended by a timer
	// or deadline, ByGoroutine those ended by another goroutine, ByNetpoll
	// those ended by data arriving, NeverWoken those still open at the end.
	// ByDeadline is the part of ByTimer where a context deadline fired.
	Waits, ByTimer, ByDeadline, ByGoroutine, ByNetpoll, BySystem, NeverWoken int
	MaxWait                                                                  time.Duration
	TotalWait                                                                time.Duration
}
