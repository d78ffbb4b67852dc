package parser

import (
	"bytes"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/DataDog/gostackparse"

	"github.com/ctxhole/ctxhole/internal/herd"
)

// benchGoroutines is how many goroutines the benchmark dump holds besides
// the test's own.
const benchGoroutines = 100_000

// benchDumps are the benchmark's dumps of one herd: as
// /debug/pprof/goroutine?debug=2 prints it by default, and with labels
// (GODEBUG=tracebacklabels=1, which the runtime rereads when GODEBUG
// changes), as Go 1.26 prints them when asked.
var benchDumps = sync.OnceValue(func() []benchDump {
	h, err := herd.Start(benchGoroutines)
	if err != nil {
		panic(err) // built once, outside any one benchmark
	}
	defer h.Stop()
	plain := h.Dump(false)
	labelled := h.Dump(true)
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
