package parser

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestTraceReason(t *testing.T) {
	frames := func(fns ...string) []Frame {
		var fs []Frame
		for _, fn := range fns {
			fs = append(fs, Frame{Func: fn})
		}
		return fs
	}
	for _, tc := range []struct {
		recorded string
		frames   []Frame
		want     string
	}{
		{"network", nil, "IO wait"},
		{"chan receive", nil, "chan receive"},
		{"chan send", nil, "chan send"},
		{"select", nil, "select"},
		{"sleep", nil, "sleep"},
		{"sync.(*Cond).Wait", nil, "sync.Cond.Wait"},
		{"GC mark assist wait for work", nil, "GC assist wait"},
		{"wait until GC ends", nil, "wait for GC cycle"},
		// "sync" covers every semaphore of package sync: the frames decide.
		{"sync", frames("sync.(*Mutex).Lock", "main.f"), "sync.Mutex.Lock"},
		{"sync", frames("sync.(*RWMutex).RLock", "main.f"), "sync.RWMutex.RLock"},
		{"sync", frames("sync.(*WaitGroup).Wait", "main.f"), "sync.WaitGroup.Wait"},
		{"sync", frames("main.f"), "semacquire"},
		// Blocked before tracing began: no reason recorded, runtime frames
		// present.
		{"", frames("runtime.gopark", "runtime.netpollblock", "internal/poll.runtime_pollWait", "main.f"), "IO wait"},
		{"", frames("runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1", "main.f"), "chan receive"},
		{"", frames("main.f"), ""},
		{"forever", frames("runtime.gopark", "runtime.block", "main.f"), "select (no cases)"},
		{"forever", frames("runtime.chanrecv1", "main.f"), "chan receive (nil chan)"},
		{"forever", frames("runtime.chansend1", "main.f"), "chan send (nil chan)"},
		{"forever", frames("main.f"), "select (no cases)"},
		{"unspecified", frames("main.f"), ""},
		// A reason from a newer runtime is kept, cleaned.
		{"new \x1b[31mreason", nil, "new reason"},
	} {
		if got := traceReason(tc.recorded, tc.frames); got != tc.want {
			t.Errorf("traceReason(%q, %v) = %q, want %q", tc.recorded, tc.frames, got, tc.want)
		}
	}
}

func TestIsDeadlineFunc(t *testing.T) {
	for fn, want := range map[string]bool{
		"context.WithDeadlineCause.func2": true,
		"context.WithDeadline.func2":      true,
		"context.WithDeadlineCause.func3": false, // the returned cancel
		"context.WithCancel.func1":        false,
		"main.WithDeadlineCause.func2":    false,
	} {
		if got := isDeadlineFunc(fn); got != want {
			t.Errorf("isDeadlineFunc(%q) = %v", fn, got)
		}
	}
}

// A goroutine that blocks thousands of times keeps its first and its most
// recent blocks, in time order, and counts them all.
func TestReadTraceBoundedHistory(t *testing.T) {
	tr, err := ReadTrace(bytes.NewReader(longTrace(t)), Source{File: "long.out"})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, g := range tr.Goroutines {
		if g.BlocksTotal <= keepFirstBlocks+keepLastBlocks {
			continue
		}
		checked++
		if len(g.Blocks) != keepFirstBlocks+keepLastBlocks {
			t.Errorf("G%d keeps %d of %d blocks, want %d", g.ID, len(g.Blocks), g.BlocksTotal, keepFirstBlocks+keepLastBlocks)
		}
		for i := 1; i < len(g.Blocks); i++ {
			if g.Blocks[i].Start < g.Blocks[i-1].End {
				t.Errorf("G%d: block %d starts at %v before block %d ends at %v", g.ID, i, g.Blocks[i].Start, i-1, g.Blocks[i-1].End)
			}
		}
		// The kept blocks are the oldest and the newest: a gap between
		// them, and the last one near the end of the trace.
		if last := g.Blocks[len(g.Blocks)-1]; tr.Duration-last.End > tr.Duration/2 {
			t.Errorf("G%d: newest kept block ends at %v of %v", g.ID, last.End, tr.Duration)
		}
	}
	if checked == 0 {
		t.Fatal("no goroutine blocked often enough to test the bound")
	}
}

// Exited goroutines are kept up to a bound, the longest blockers first;
// the rest are counted as dropped, their waits still in the sites.
func TestReadTraceRetiredBound(t *testing.T) {
	const n = maxRetired + 500
	data := recordTrace(t, func() {
		release := make(chan struct{})
		var wg, started sync.WaitGroup
		started.Add(n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				started.Done()
				if i == 0 {
					// The longest block: it outlasts every receive
					// below, which ends once release closes.
					time.Sleep(time.Second)
					return
				}
				<-release
			}()
		}
		// Every goroutine must block on release before it is closed
		// (starting thousands takes a while under the race detector).
		started.Wait()
		time.Sleep(20 * time.Millisecond)
		close(release)
		wg.Wait()
	})
	tr, err := ReadTrace(bytes.NewReader(data), Source{File: "many.out"})
	if err != nil {
		t.Fatal(err)
	}
	exited, slept := 0, false
	for _, g := range tr.Goroutines {
		if !g.Exited {
			continue
		}
		exited++
		for _, b := range g.Blocks {
			slept = slept || (b.Reason == "sleep" && b.End-b.Start >= 900*time.Millisecond)
		}
	}
	if exited != maxRetired || tr.DroppedGoroutines < n-maxRetired {
		t.Errorf("kept %d exited goroutines and dropped %d, want %d kept and at least %d dropped", exited, tr.DroppedGoroutines, maxRetired, n-maxRetired)
	}
	if !slept {
		t.Error("the goroutine with the longest block was dropped")
	}
	waits := 0
	for _, s := range tr.Sites {
		if s.Reason == "chan receive" {
			waits += s.Waits
		}
	}
	if waits < n-1 {
		t.Errorf("sites count %d channel waits, want at least %d", waits, n-1)
	}
}

// Busy goroutines on one P keep a sleeper runnable long after its timer
// fired: the trace measures that scheduler latency.
func TestReadTraceSchedulerLatency(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	data := recordTrace(t, func() {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for x := 0; ; x++ {
					if x%1024 == 0 {
						select {
						case <-stop:
							return
						default:
						}
					}
				}
			}()
		}
		for range 10 {
			time.Sleep(time.Millisecond)
		}
		close(stop)
		wg.Wait()
	})
	tr, err := ReadTrace(bytes.NewReader(data), Source{File: "starved.out"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.SchedLatencyMax < 5*time.Millisecond || tr.MaxRunnable < 4 || tr.SchedCount == 0 {
		t.Errorf("scheduler latency max %v over %d runs with %d runnable at most; want starvation of 5ms+ with 4+ runnable",
			tr.SchedLatencyMax, tr.SchedCount, tr.MaxRunnable)
	}
	if tr.Procs != 1 {
		t.Errorf("Procs = %d, want 1", tr.Procs)
	}
}
