package parser

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/trace"
	"slices"
	"sync"
	"testing"
	"time"

	xtrace "golang.org/x/exp/trace"

	"github.com/ctxhole/ctxhole/internal/testnet"
)

// benchTraceBytes is the size of the trace BenchmarkTraceAnalysis records.
const benchTraceBytes = 100 << 20

// BenchmarkTraceAnalysis measures ReadTrace against the floor: a bare
// golang.org/x/exp/trace read loop over the same bytes, in the same run.
// The trace is recorded at benchmark time from this process running a
// service-shaped workload (serviceWorkload: a lock convoy, RWMutex readers
// behind writers, loopback TCP requests, context deadlines, fan-out and
// wait) until it holds at least 100 MB. Every side reads the trace from a
// file, so the heap it reports is its own.
//
// Sub-benchmarks: "bare" is the read loop; "transitions" the read loop
// plus Event.StateTransition on every state transition, what any analysis
// through the package's public API must pay to learn what each event is;
// "sequential" ReadTrace decoding and folding on one goroutine (what it
// does with one P); "ctxhole" ReadTrace as it runs here, decoding on one
// goroutine and folding on another; "ctxhole-half" the first half of the
// same trace (cut mid-generation: it ends with a truncation warning), to
// show what grows with trace length and what does not; "split" the CPU
// time of the analysis's two sides, decoding and folding, on one thread,
// against the bare loop's (decode-x-bare, fold-x-bare, and critical-x-bare,
// the larger of the two: what bounds the pipelined wall time on two free
// cores, see splitCPU); "paired" runs the bare loop and ReadTrace
// alternately and reports the median of their per-pair wall and CPU ratios
// (x-bare-wall, x-bare-cpu). On a machine shared with other work, the
// split's ratios move least: a process with two busy threads gets more of
// a loaded machine than one with one, which flatters the pipelined wall
// time.
//
// Metrics: MB/s; cpu-s/op, the process CPU time per read (the pipelined
// analysis runs on two goroutines, so its wall and CPU time differ);
// peak-live-MB, the largest live heap a garbage collection found during
// the reads, above the live heap before; for the analysis, retained-KB,
// the heap its result holds after the read.
func BenchmarkTraceAnalysis(b *testing.B) {
	if testing.Short() {
		b.Skip("records a 100 MB trace")
	}
	path := filepath.Join(b.TempDir(), "service.trace")
	size := recordWorkload(b, path, benchTraceBytes)
	half := filepath.Join(b.TempDir(), "half.trace")
	copyPrefix(b, path, half, size/2)

	b.Run("bare", func(b *testing.B) {
		b.SetBytes(size)
		measure(b, func() { bareRead(b, path) })
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
	b.Run("sequential", func(b *testing.B) {
		b.SetBytes(size)
		measure(b, func() { analyze(b, path, false) })
	})
	for _, tc := range []struct {
		name string
		path string
		size int64
	}{{"ctxhole", path, size}, {"ctxhole-half", half, size / 2}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(tc.size)
			var tr *Trace
			measure(b, func() { tr = analyze(b, tc.path, true) })
			runtime.GC()
			before := liveBytes()
			kept := analyze(b, tc.path, true)
			runtime.GC()
			b.ReportMetric(float64(int64(liveBytes())-int64(before))/1024, "retained-KB")
			runtime.KeepAlive(kept)
			b.ReportMetric(float64(len(tr.Goroutines)), "goroutines")
			b.ReportMetric(float64(tr.Events)/1e6, "Mevents")
		})
	}
	b.Run("split", func(b *testing.B) {
		if threadCPU() < 0 {
			b.Skip("no per-thread CPU clock here")
		}
		var bare, decode, fold time.Duration
		for b.Loop() {
			bt, dt, ft := splitCPU(b, path)
			bare, decode, fold = bare+bt, decode+dt, fold+ft
		}
		b.ReportMetric(decode.Seconds()/bare.Seconds(), "decode-x-bare")
		b.ReportMetric(fold.Seconds()/bare.Seconds(), "fold-x-bare")
		b.ReportMetric(max(decode, fold).Seconds()/bare.Seconds(), "critical-x-bare")
	})
	b.Run("paired", func(b *testing.B) {
		// No SetBytes: an iteration reads the trace twice, once each way.
		var wall, cpu []float64
		for i := 0; b.Loop(); i++ {
			bare := func() { bareRead(b, path) }
			ours := func() { analyze(b, path, true) }
			var bareWall, bareCPU, oursWall, oursCPU time.Duration
			if i%2 == 0 {
				bareWall, bareCPU = timed(bare)
				oursWall, oursCPU = timed(ours)
			} else {
				// Every other pair the other way round, so that a
				// drift in the machine's load favours neither.
				oursWall, oursCPU = timed(ours)
				bareWall, bareCPU = timed(bare)
			}
			wall = append(wall, oursWall.Seconds()/bareWall.Seconds())
			cpu = append(cpu, oursCPU.Seconds()/bareCPU.Seconds())
		}
		b.ReportMetric(median(wall), "x-bare-wall")
		if cpuTime() >= 0 {
			b.ReportMetric(median(cpu), "x-bare-cpu")
		}
	})
}

// splitCPU measures, on one locked thread, the CPU time of the bare loop
// and, for the analysis, of its two sides: decoding (the bare loop plus
// storing events in batches) and folding, batch by batch as the
// sequential path runs them. With two free cores the pipelined analysis
// runs them side by side, so its wall time is bounded by the larger, the
// critical path: a figure other load on the machine moves far less than
// wall time. Background garbage collection, on other threads, is in
// neither side nor the bare loop.
func splitCPU(b *testing.B, path string) (bare, decode, fold time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	bareRead(b, path)
	bare = threadCPU() - t0

	f := openBench(b, path)
	defer f.Close()
	rd, err := newTraceReader(bufio.NewReaderSize(&countingReader{r: f}, 64<<10))
	if err != nil {
		b.Fatal(err)
	}
	tb := newTraceBuilder()
	batch := newEventBatch()
	for {
		t0 := threadCPU()
		decodeInto(rd, batch)
		t1 := threadCPU()
		if err := foldBatch(tb, batch.events); err != nil {
			b.Fatal(err)
		}
		t2 := threadCPU()
		decode, fold = decode+t1-t0, fold+t2-t1
		if batch.err == io.EOF {
			break
		} else if batch.err != nil {
			b.Fatal(batch.err)
		}
		batch.events = batch.events[:0]
	}
	t0 = threadCPU()
	tb.finish(&Trace{})
	fold += threadCPU() - t0
	return bare, decode, fold
}

// bareRead is the floor: every event read and dropped.
func bareRead(b *testing.B, path string) {
	f := openBench(b, path)
	defer f.Close()
	r, err := xtrace.NewReader(bufio.NewReader(f))
	if err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := r.ReadEvent(); err == io.EOF {
			return
		} else if err != nil {
			b.Fatal(err)
		}
	}
}

// analyze runs the trace analysis on the file at path.
func analyze(b *testing.B, path string, pipelined bool) *Trace {
	f := openBench(b, path)
	defer f.Close()
	tr, err := readTrace(f, Source{File: path}, pipelined)
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// timed returns the wall and process CPU time op takes.
func timed(op func()) (wall, cpu time.Duration) {
	cpu0, t0 := cpuTime(), time.Now()
	op()
	return time.Since(t0), cpuTime() - cpu0
}

// median returns the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
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

// recordWorkload traces this process running serviceWorkload until the
// trace file holds at least want bytes, and returns its size.
func recordWorkload(b *testing.B, path string, want int64) int64 {
	b.Helper()
	conns := make([][2]net.Conn, ioPairs)
	for i := range conns {
		conns[i][0], conns[i][1] = testnet.Pair(b)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		b.Skipf("cannot trace: %v", err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		serviceWorkload(stop, conns)
		close(done)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if st, err := f.Stat(); err == nil && st.Size() >= want {
			break
		}
	}
	close(stop)
	<-done
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
