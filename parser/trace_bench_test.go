package parser

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/trace"
	"sync"
	"testing"
	"time"

	xtrace "golang.org/x/exp/trace"
)

// benchTraceBytes is the size of the trace BenchmarkTraceAnalysis records.
const benchTraceBytes = 100 << 20

// BenchmarkTraceAnalysis measures ReadTrace against the floor: a bare
// golang.org/x/exp/trace read loop over the same bytes, in the same run.
// The trace is recorded at benchmark time from this process running a
// contended workload (64 goroutines on one mutex and one channel) until it
// holds at least 100 MB. Both sides read the trace from a file, so the heap
// they report is their own. Metrics: MB/s; cpu-s/op, the process CPU time
// per read (the analysis decodes and folds on two goroutines, so its wall
// time and CPU time differ); peak-live-MB, the largest live heap a garbage
// collection found during the reads, above the live heap before; and for
// the analysis retained-KB, the heap its result holds after the read.
// "transitions" is the bare loop plus Event.StateTransition on every state
// transition: what any analysis through the package's public API must pay
// to learn what each event is, before doing anything with it.
// "ctxhole-half" reads the first half of the same trace (cut mid-generation:
// it ends with a truncation warning): next to the full trace it shows what
// grows with trace length and what does not.
func BenchmarkTraceAnalysis(b *testing.B) {
	if testing.Short() {
		b.Skip("records a 100 MB trace")
	}
	path := filepath.Join(b.TempDir(), "contended.trace")
	size := recordContended(b, path, benchTraceBytes)
	half := filepath.Join(b.TempDir(), "half.trace")
	copyPrefix(b, path, half, size/2)

	b.Run("bare", func(b *testing.B) {
		b.SetBytes(size)
		measure(b, func() {
			f := openBench(b, path)
			defer f.Close()
			r, err := xtrace.NewReader(bufio.NewReader(f))
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := r.ReadEvent(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("transitions", func(b *testing.B) {
		b.SetBytes(size)
		measure(b, func() {
			f := openBench(b, path)
			defer f.Close()
			r, err := xtrace.NewReader(bufio.NewReader(f))
			if err != nil {
				b.Fatal(err)
			}
			goroutines := 0
			for {
				ev, err := r.ReadEvent()
				if err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				if ev.Kind() == xtrace.EventStateTransition && ev.StateTransition().Resource.Kind == xtrace.ResourceGoroutine {
					goroutines++
				}
			}
			if goroutines == 0 {
				b.Fatal("no goroutine transitions")
			}
		})
	})
	for _, tc := range []struct {
		name string
		path string
		size int64
	}{{"ctxhole", path, size}, {"ctxhole-half", half, size / 2}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(tc.size)
			var tr *Trace
			measure(b, func() {
				f := openBench(b, tc.path)
				defer f.Close()
				var err error
				if tr, err = ReadTrace(f, Source{File: tc.path}); err != nil {
					b.Fatal(err)
				}
			})
			runtime.GC()
			before := liveBytes()
			f := openBench(b, tc.path)
			kept, err := ReadTrace(f, Source{File: tc.path})
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			b.ReportMetric(float64(int64(liveBytes())-int64(before))/1024, "retained-KB")
			runtime.KeepAlive(kept)
			b.ReportMetric(float64(len(tr.Goroutines)), "goroutines")
			b.ReportMetric(float64(tr.Events)/1e6, "Mevents")
		})
	}
}

// measure runs op b.N times and reports the CPU time per op and the
// largest live heap a collection found meanwhile, above the one before.
func measure(b *testing.B, op func()) {
	runtime.GC()
	base := liveBytes()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				peak = max(peak, liveBytes())
			}
		}
	}()
	cpu0 := cpuTime()
	for b.Loop() {
		op()
	}
	cpu := cpuTime() - cpu0
	close(stop)
	wg.Wait()
	if cpu0 >= 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
	b.ReportMetric(float64(max(peak, base)-base)/(1<<20), "peak-live-MB")
}

// liveBytes is the heap the last garbage collection found live.
func liveBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// recordContended traces this process running a contended workload until
// the trace file holds at least want bytes, and returns its size.
func recordContended(b *testing.B, path string, want int64) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		b.Skipf("cannot trace: %v", err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ch := make(chan int)
	shared := 0
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			contend(&mu, &shared, ch, i, stop)
		}()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if st, err := f.Stat(); err == nil && st.Size() >= want {
			break
		}
	}
	close(stop)
	wg.Wait()
	trace.Stop()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	if st.Size() < want {
		b.Fatalf("trace holds %d bytes after 2 minutes, want %d", st.Size(), want)
	}
	return st.Size()
}

// contend takes the shared lock, yields inside it, and trades values on an
// unbuffered channel, until stop closes: every step blocks or wakes.
func contend(mu *sync.Mutex, shared *int, ch chan int, v int, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		mu.Lock()
		*shared += v
		runtime.Gosched()
		mu.Unlock()
		select {
		case ch <- v:
		case v = <-ch:
		case <-stop:
			return
		}
	}
}

func openBench(b *testing.B, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// copyPrefix writes the first n bytes of src to dst.
func copyPrefix(b *testing.B, src, dst string, n int64) {
	in := openBench(b, src)
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(out, in, n); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
