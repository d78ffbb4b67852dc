package parser

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// schedHog spins until stop is set: pure CPU, never blocking.
func schedHog(stop *atomic.Bool, wg *sync.WaitGroup) {
	defer wg.Done()
	x := uint64(1)
	for !stop.Load() {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	runtime.KeepAlive(x)
}

// schedTicker wakes on a timer every tick: the wakes that run late when
// the Ps are held.
func schedTicker(stop *atomic.Bool, wg *sync.WaitGroup, tick time.Duration) {
	defer wg.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	for range t.C {
		if stop.Load() {
			return
		}
	}
}

// A trace of CPU-bound goroutines on one P shows what starvation is made
// of: runnable goroutines waiting for the P for many time slices, several
// runnable at once all along, timer wakes waiting, and the hogs' start
// function holding the CPU.
func TestSchedStatsStarved(t *testing.T) {
	const hogs = 6
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	data := recordTrace(t, func() {
		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(hogs + 1)
		go schedTicker(&stop, &wg, 5*time.Millisecond)
		for range hogs {
			go schedHog(&stop, &wg)
		}
		time.Sleep(400 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
	})
	tr, err := ReadTrace(bytes.NewReader(data), Source{File: "starved.trace"})
	if err != nil {
		t.Fatal(err)
	}
	s := tr.Sched
	if s == nil {
		t.Fatal("no scheduler figures")
	}
	if tr.Procs != 1 {
		t.Errorf("Procs %d, want 1 (GOMAXPROCS)", tr.Procs)
	}
	// Six spinning goroutines on one P preempted every 10 ms: a runnable
	// one waits about five slices.
	if s.LatencyP99 < 20*time.Millisecond || s.LatencyP50 > s.LatencyP99 || s.LatencyP99 > tr.SchedLatencyMax {
		t.Errorf("latency p50 %v p99 %v max %v, want p99 ≥ 20ms and p50 ≤ p99 ≤ max", s.LatencyP50, s.LatencyP99, tr.SchedLatencyMax)
	}
	starved := 0
	for _, n := range s.Runnable {
		if n >= hogs-1 {
			starved++
		}
	}
	if s.Window != schedWindow || starved < 2 {
		t.Errorf("runnable per %v window %v: want at least 2 windows with ≥ %d runnable", s.Window, s.Runnable, hogs-1)
	}
	if s.TimerWakes == 0 || s.TimerLatencyMax < LateThreshold || s.TimerLate == 0 {
		t.Errorf("timer wakes %d, late %d, max %v: the ticker's wakes should wait for the P", s.TimerWakes, s.TimerLate, s.TimerLatencyMax)
	}
	if len(s.CPU) == 0 || s.CPU[0].Func != "github.com/ctxhole/ctxhole/parser.schedHog" || s.CPU[0].Goroutines != hogs {
		t.Fatalf("CPU by start function %+v, want schedHog first with %d goroutines", s.CPU, hogs)
	}
	if s.CPU[0].Running < 200*time.Millisecond {
		t.Errorf("the hogs ran %v of a 400 ms trace", s.CPU[0].Running)
	}
}

// A process whose goroutines mostly sleep waits microseconds for a P.
func TestSchedStatsIdle(t *testing.T) {
	data := recordTrace(t, func() {
		var stop atomic.Bool
		var wg sync.WaitGroup
		wg.Add(4)
		for range 4 {
			go schedTicker(&stop, &wg, 2*time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		stop.Store(true)
		wg.Wait()
	})
	tr, err := ReadTrace(bytes.NewReader(data), Source{File: "idle.trace"})
	if err != nil {
		t.Fatal(err)
	}
	if s := tr.Sched; s == nil || s.LatencyP50 > LateThreshold || s.TimerWakes == 0 {
		t.Errorf("idle process: %+v, want a median wait far below %v and the tickers' wakes counted", s, LateThreshold)
	}
}
