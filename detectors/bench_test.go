package detectors

import (
	"bytes"
	"runtime/pprof"
	"sync"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// benchGoroutines is the size of the dump the benchmark analyzes: a
// process with tens of thousands of goroutines, most of them stuck.
const benchGoroutines = 20000

// liveIncident starts a real convoy (a holder blocked on a channel while
// holding a lock, a quarter of the goroutines queued on it), stranded
// senders, and idle workers; stop releases everything.
func liveIncident(n int) (stop func()) {
	var mu sync.Mutex
	shared := 0
	hold := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		mu.Lock()
		close(hold)
		<-release
		mu.Unlock()
	}()
	<-hold
	results := make(chan int)
	for i := range n {
		wg.Add(1)
		switch i % 4 {
		case 0:
			go func() {
				defer wg.Done()
				mu.Lock()
				shared++
				mu.Unlock()
			}()
		case 1:
			go func() {
				defer wg.Done()
				select {
				case results <- i:
				case <-release:
				}
			}()
		default:
			go func() {
				defer wg.Done()
				<-release
			}()
		}
	}
	return func() {
		close(release)
		wg.Wait()
	}
}

// BenchmarkAnalyze measures the analysis of a real debug=2 dump of
// benchGoroutines goroutines side by side with parsing the same bytes, the
// baseline: the ratio of the two ns/op says what diagnosis costs on top of
// reading.
func BenchmarkAnalyze(b *testing.B) {
	stop := liveIncident(benchGoroutines)
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		b.Fatal(err)
	}
	stop()
	dump := buf.Bytes()

	b.Run("parse-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parser.ReadText(bytes.NewReader(dump), "bench.txt"); err != nil {
				b.Fatal(err)
			}
		}
	})
	snaps, err := parser.ReadText(bytes.NewReader(dump), "bench.txt")
	if err != nil {
		b.Fatal(err)
	}
	c := &parser.Capture{Snapshots: snaps}
	b.Run("analyze", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		b.ReportAllocs()
		for b.Loop() {
			r, err := Analyze(c, Options{})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Findings) == 0 || r.Findings[0].Category != CatMutexConvoy {
				b.Fatalf("principal finding %v, want the convoy", r.Findings)
			}
		}
	})
}
