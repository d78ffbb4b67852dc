package parser

import (
	"cmp"
	"slices"
	"time"

	"golang.org/x/exp/trace"
)

// SchedStats is what a trace says about the scheduler: how long runnable
// goroutines waited for a P, how many waited over time, and how late the
// goroutines woken by timers ran. Starvation (CPU-bound work holding every
// P) shows here and nowhere in a goroutine dump: nothing is blocked,
// everything is late.
type SchedStats struct {
	// Latency quantiles of every runnable→running wait measured.
	LatencyP50, LatencyP99 time.Duration
	// Window is the width of each Runnable sample.
	Window time.Duration
	// Runnable is, per Window from the trace's start, the most goroutines
	// runnable (waiting for a P) at once.
	Runnable []int
	// TimerWakes counts goroutines woken by a timer or a context deadline
	// (sleeps, time.After, tickers, deadlines) that then ran; TimerLate
	// those that waited more than LateThreshold for a P after the timer
	// fired, TimerLatencyP99/Max how long they waited.
	TimerWakes, TimerLate            int
	TimerLatencyP99, TimerLatencyMax time.Duration
	// CPU is the running time by goroutine start function, most first (at
	// most maxCPUFuncs): the goroutines that held the Ps.
	CPU []FuncCPU
}

// FuncCPU is the running time of the goroutines started at one function.
type FuncCPU struct {
	Func       string // start function; "" when the trace did not name it
	Running    time.Duration
	Goroutines int
}

// maxCPUFuncs bounds SchedStats.CPU.
const maxCPUFuncs = 20

// LateThreshold is how long a timer-woken goroutine may wait for a P
// before its wake counts as late: ten times the scheduler's 10 ms
// preemption slice would be a starved P; 10 ms is already one whole slice.
const LateThreshold = 10 * time.Millisecond

// schedWindow is the width of the runnable-count samples.
const schedWindow = 100 * time.Millisecond

// maxLatencySamples bounds the latency samples kept for the quantiles;
// past it, every other sample is dropped and the stride doubles, so the
// kept samples stay spread over the whole trace.
const maxLatencySamples = 1 << 16

// latencySampler keeps a bounded, evenly strided subset of durations.
type latencySampler struct {
	samples []time.Duration
	stride  int
	seen    int
}

func (s *latencySampler) add(d time.Duration) {
	if s.stride == 0 {
		s.stride = 1
	}
	s.seen++
	if s.seen%s.stride != 0 {
		return
	}
	if len(s.samples) == maxLatencySamples {
		kept := s.samples[:0]
		for i := 1; i < len(s.samples); i += 2 {
			kept = append(kept, s.samples[i])
		}
		s.samples = kept
		s.stride *= 2
	}
	s.samples = append(s.samples, d)
}

// quantile returns the q-quantile (0..1) of the kept samples.
func (s *latencySampler) quantile(q float64) time.Duration {
	if len(s.samples) == 0 {
		return 0
	}
	sorted := slices.Clone(s.samples)
	slices.Sort(sorted)
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

// schedBuilder accumulates SchedStats while the trace streams.
type schedBuilder struct {
	latency, timer latencySampler
	timerWakes     int
	timerLate      int
	timerMax       time.Duration
	runnable       []int
	// lastW and lastN are the window and the run-queue length of the last
	// change: windows with no change in between had that many runnable.
	lastW, lastN int
	cpu          map[string]*cpuAgg
}

// noteRunnable records the run-queue length at t in its window.
func (b *traceBuilder) noteRunnable(t trace.Time) {
	if !b.started {
		return
	}
	w := int(t.Sub(b.origin) / schedWindow)
	if w < 0 {
		return
	}
	if w > 1<<20 {
		return // a trace hours long: keep the first part
	}
	s := &b.sched
	if w >= len(s.runnable) {
		s.runnable = append(s.runnable, make([]int, w+1-len(s.runnable))...)
	}
	for i := s.lastW + 1; i <= w; i++ {
		s.runnable[i] = max(s.runnable[i], s.lastN)
	}
	s.runnable[w] = max(s.runnable[w], b.runnable)
	if w > s.lastW {
		s.lastW = w
	}
	s.lastN = b.runnable
}

// noteLatency records one runnable→running wait of g, woken as kind.
func (b *traceBuilder) noteLatency(lat time.Duration, kind WakeKind) {
	b.sched.latency.add(lat)
	if kind != WakeTimer && kind != WakeDeadline {
		return
	}
	b.sched.timerWakes++
	if lat > LateThreshold {
		b.sched.timerLate++
	}
	b.sched.timerMax = max(b.sched.timerMax, lat)
	b.sched.timer.add(lat)
}

// stopRunning ends g's running interval at t and charges it to g's start
// function.
func (b *traceBuilder) stopRunning(g *gState, t trace.Time) {
	if g.runStart < 0 {
		return
	}
	d := t.Sub(g.runStart)
	g.runStart = -1
	g.running += d
	fc := g.cpu
	if fc == nil || fc.Func != g.fn {
		if fc = b.funcCPU(g.fn); fc == nil {
			return
		}
		g.cpu = fc
	}
	fc.Running += d
	fc.ran = true
	if !g.cpuCounted {
		g.cpuCounted = true
		fc.Goroutines++
	}
}

// cpuAgg is a start function's running time while the trace streams.
// Entries are made when a goroutine is created; only those charged with
// running time (ran) are reported.
type cpuAgg struct {
	FuncCPU
	ran bool
}

// funcCPU returns the CPU entry of start function fn, adding it if it is
// new; nil past a bound only a hostile trace reaches.
func (b *traceBuilder) funcCPU(fn string) *cpuAgg {
	if b.sched.cpu == nil {
		b.sched.cpu = make(map[string]*cpuAgg)
	}
	fc := b.sched.cpu[fn]
	if fc == nil {
		if len(b.sched.cpu) >= 1<<14 {
			return nil
		}
		fc = &cpuAgg{FuncCPU: FuncCPU{Func: fn}}
		b.sched.cpu[fn] = fc
	}
	return fc
}

// schedStats builds the trace's SchedStats; end is the last event.
func (b *traceBuilder) schedStats(end trace.Time) *SchedStats {
	if b.started {
		b.noteRunnable(end)
	}
	s := &SchedStats{
		LatencyP50:      b.sched.latency.quantile(0.50),
		LatencyP99:      b.sched.latency.quantile(0.99),
		Window:          schedWindow,
		Runnable:        b.sched.runnable,
		TimerWakes:      b.sched.timerWakes,
		TimerLate:       b.sched.timerLate,
		TimerLatencyP99: b.sched.timer.quantile(0.99),
		TimerLatencyMax: b.sched.timerMax,
	}
	for _, fc := range b.sched.cpu {
		if fc.ran {
			s.CPU = append(s.CPU, fc.FuncCPU)
		}
	}
	slices.SortFunc(s.CPU, func(x, y FuncCPU) int {
		if x.Running != y.Running {
			return cmp.Compare(y.Running, x.Running)
		}
		return cmp.Compare(x.Func, y.Func)
	})
	if len(s.CPU) > maxCPUFuncs {
		s.CPU = s.CPU[:maxCPUFuncs]
	}
	return s
}
