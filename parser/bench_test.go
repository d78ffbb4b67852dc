package parser

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DataDog/gostackparse"
)

// benchGoroutines is how many goroutines the benchmark dump holds besides
// the test's own.
const benchGoroutines = 100_000

// herd is a crowd of goroutines parked in varied ways at varied stack
// depths, for a benchmark dump taken from the real runtime.
type herd struct {
	release  chan struct{}
	released atomic.Bool
	entered  atomic.Int64 // lock holders after release
	recv     chan int
	send     chan int
	mu       sync.Mutex
	rw       sync.RWMutex
	wg       sync.WaitGroup
	condMu   sync.Mutex
	cond     *sync.Cond
	conns    []net.Conn
	ready    sync.WaitGroup
	done     sync.WaitGroup
}

// herdBlockers park the calling goroutine in one way each.
var herdBlockers = []func(h *herd, i int){
	func(h *herd, _ int) { // chan receive
		select {
		case <-h.recv:
		case <-h.release:
		}
	},
	func(h *herd, _ int) { <-h.release }, // chan receive on a closed-later channel
	func(h *herd, _ int) { // chan send
		select {
		case h.send <- 1:
		case <-h.release:
		}
	},
	func(h *herd, _ int) { // sync.Mutex.Lock
		h.mu.Lock()
		h.entered.Add(1)
		h.mu.Unlock()
	},
	func(h *herd, _ int) { // sync.RWMutex.RLock
		h.rw.RLock()
		h.entered.Add(1)
		h.rw.RUnlock()
	},
	func(h *herd, _ int) { h.wg.Wait() }, // sync.WaitGroup.Wait
	func(h *herd, _ int) { // sync.Cond.Wait
		h.condMu.Lock()
		for !h.released.Load() {
			h.cond.Wait()
		}
		h.condMu.Unlock()
	},
	func(h *herd, _ int) { // sleep
		for !h.released.Load() {
			time.Sleep(2 * time.Second)
		}
	},
	func(h *herd, i int) { // IO wait, or the fd's read lock behind it
		var b [1]byte
		_, _ = h.conns[i%len(h.conns)].Read(b[:])
	},
}

// herdDepth recurses d frames deep, through a closure every third frame,
// then parks, every tenth goroutine with pprof labels.
//
//go:noinline
func herdDepth(h *herd, i, d int) {
	switch {
	case d == 0 && i%10 == 0:
		pprof.Do(context.Background(), pprof.Labels("shard", strconv.Itoa(i%7), "kind", "herd"), func(context.Context) {
			h.ready.Done()
			herdBlockers[i%len(herdBlockers)](h, i)
		})
	case d == 0:
		h.ready.Done()
		herdBlockers[i%len(herdBlockers)](h, i)
	case d%3 == 0:
		func() { herdDepth(h, i, d-1) }()
	default:
		herdDepth(h, i, d-1)
	}
}

// startHerd parks n goroutines and returns once they are parked.
func startHerd(tb testing.TB, n int) *herd {
	h := &herd{release: make(chan struct{}), recv: make(chan int), send: make(chan int)}
	h.cond = sync.NewCond(&h.condMu)
	h.mu.Lock()
	h.rw.Lock()
	h.wg.Add(1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	for range 32 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			tb.Fatal(err)
		}
		s, err := ln.Accept()
		if err != nil {
			tb.Fatal(err)
		}
		h.conns = append(h.conns, c, s)
	}
	h.ready.Add(n)
	h.done.Add(n)
	for i := range n {
		depth := i % 13
		if i%50 == 0 {
			depth = 110 // deeper than the 100 frames the runtime prints
		}
		go func() {
			defer h.done.Done()
			herdDepth(h, i, depth)
		}()
	}
	h.ready.Wait()
	time.Sleep(200 * time.Millisecond) // let the last ones reach their park point
	return h
}

// stop releases every goroutine of the herd and waits for them.
func (h *herd) stop() {
	h.released.Store(true)
	close(h.release)
	h.mu.Unlock()
	h.rw.Unlock()
	h.wg.Done()
	h.cond.Broadcast()
	for _, c := range h.conns {
		c.Close()
	}
	h.done.Wait()
}

// allStacks returns runtime.Stack(buf, true), the text of
// /debug/pprof/goroutine?debug=2, without pprof's 64 MiB cap.
func allStacks() []byte {
	buf := make([]byte, 64<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// benchDumps are the benchmark's dumps of one herd: as
// /debug/pprof/goroutine?debug=2 prints it by default, and with labels
// (GODEBUG=tracebacklabels=1, which the runtime rereads when GODEBUG
// changes), as Go 1.26 prints them when asked.
var benchDumps = sync.OnceValue(func() []benchDump {
	h := startHerd(benchTB{}, benchGoroutines)
	defer h.stop()
	plain := allStacks()
	old, had := os.LookupEnv("GODEBUG")
	os.Setenv("GODEBUG", "tracebacklabels=1")
	labelled := allStacks()
	if had {
		os.Setenv("GODEBUG", old)
	} else {
		os.Unsetenv("GODEBUG")
	}
	return []benchDump{
		{"debug2", plain, countHeaders(plain)},
		{"debug2-labels", labelled, countHeaders(labelled)},
	}
})

type benchDump struct {
	name    string
	text    []byte
	headers int
}

// cpuClock measures the process CPU time of a benchmark loop: on a shared
// machine wall time swings with other load, CPU time much less.
type cpuClock struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuClock {
	t, ok := processCPU()
	return cpuClock{t, ok}
}

// report adds the CPU time per operation as "cpu-ns/op".
func (c cpuClock) report(b *testing.B) {
	t, ok := processCPU()
	if c.ok && ok && b.N > 0 {
		b.ReportMetric(float64(t-c.start)/float64(b.N), "cpu-ns/op")
	}
}

// heapObjects reads the bytes of live and not yet swept heap objects.
func heapObjects(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// peakHeap runs parse once and returns the peak and the retained heap
// growth it caused, sampling the heap every millisecond.
func peakHeap(parse func() any) (peak, retained uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtime.GC()
	base := heapObjects(s)
	var stop atomic.Bool
	var maxSeen atomic.Uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for !stop.Load() {
			if v := heapObjects(s); v > maxSeen.Load() {
				maxSeen.Store(v)
			}
			time.Sleep(time.Millisecond)
		}
	})
	model := parse()
	stop.Store(true)
	wg.Wait()
	if v := heapObjects(s); v > maxSeen.Load() {
		maxSeen.Store(v)
	}
	runtime.GC()
	retained = heapObjects(s) - min(base, heapObjects(s))
	runtime.KeepAlive(model)
	return maxSeen.Load() - min(base, maxSeen.Load()), retained
}

// BenchmarkReadText parses debug=2 dumps of 100,000 goroutines taken from
// this process, with ctxhole and with gostackparse on the same bytes.
func BenchmarkReadText(b *testing.B) {
	for _, d := range benchDumps() {
		b.Run(d.name, func(b *testing.B) { benchmarkReadText(b, d.text, d.headers) })
	}
}

func benchmarkReadText(b *testing.B, dump []byte, headers int) {
	b.Logf("dump: %d bytes, %d goroutine headers", len(dump), headers)
	b.Run("ctxhole", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		b.ReportAllocs()
		var n int
		cpu := startCPU()
		for b.Loop() {
			snaps, err := ReadText(bytes.NewReader(dump), "bench")
			if err != nil {
				b.Fatal(err)
			}
			n = 0
			for _, s := range snaps {
				n += len(s.Goroutines)
			}
		}
		cpu.report(b)
		b.ReportMetric(float64(n), "goroutines")
		b.ReportMetric(float64(headers-n), "lost")
		peak, retained := peakHeap(func() any {
			snaps, _ := ReadText(bytes.NewReader(dump), "bench")
			return snaps
		})
		b.ReportMetric(float64(peak)/float64(len(dump)), "peakheap/input")
		b.ReportMetric(float64(retained)/float64(len(dump)), "model/input")
	})
	b.Run("gostackparse", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		b.ReportAllocs()
		var n int
		cpu := startCPU()
		for b.Loop() {
			gs, _ := gostackparse.Parse(bytes.NewReader(dump))
			n = len(gs)
		}
		cpu.report(b)
		b.ReportMetric(float64(n), "goroutines")
		b.ReportMetric(float64(headers-n), "lost")
		peak, retained := peakHeap(func() any {
			gs, _ := gostackparse.Parse(bytes.NewReader(dump))
			return gs
		})
		b.ReportMetric(float64(peak)/float64(len(dump)), "peakheap/input")
		b.ReportMetric(float64(retained)/float64(len(dump)), "model/input")
	})
}

// benchTB reports setup failures of the shared benchmark dump by panicking:
// the dump is built once, outside any one benchmark.
type benchTB struct{ testing.TB }

func (benchTB) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

// TestGostackparseDrops measures what gostackparse loses on current
// formats, on real dumps of the zoo: a SIGQUIT dump under
// GOTRACEBACK=system (gp= headers on every goroutine) and a debug=2 dump
// under GODEBUG=tracebacklabels=1 (labels), both with a stack deep enough
// for "...N frames elided...". ctxhole must lose nothing.
func TestGostackparseDrops(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		sigquit bool
		env     []string
	}{
		{"SIGQUIT system", "sigquit", true, []string{"GOTRACEBACK=system", "GODEBUG=tracebacklabels=1"}},
		{"debug=2 labels", "pprof", false, []string{"GODEBUG=tracebacklabels=1"}},
		{"debug=2", "pprof", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := runChild(t, tt.mode, tt.sigquit, nil, tt.env...)
			raw := d.stdout
			if tt.sigquit {
				raw = d.stderr
			}
			headers := countHeaders(raw)
			s := readOne(t, raw)
			theirs, errs := gostackparse.Parse(bytes.NewReader(raw))
			got := map[int64]bool{}
			for _, g := range theirs {
				got[int64(g.ID)] = true
			}
			var gp, labels, elided, other int
			for _, g := range s.Goroutines {
				if got[g.ID] {
					continue
				}
				switch {
				case g.GP != 0:
					gp++
				case len(g.Labels) > 0:
					labels++
				case g.Elided > 0:
					elided++
				default:
					other++ // e.g. the last goroutine, followed by "PASS" without a blank line
				}
			}
			t.Logf("%d headers: ctxhole %d goroutines, gostackparse %d (%d errors); gostackparse lost %d with gp= headers, %d with labels, %d with elided frames, %d followed by other text",
				headers, len(s.Goroutines), len(theirs), len(errs), gp, labels, elided, other)
			if len(s.Goroutines) != headers {
				t.Errorf("ctxhole parsed %d of %d goroutines", len(s.Goroutines), headers)
			}
		})
	}
}
