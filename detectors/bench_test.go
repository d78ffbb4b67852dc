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

// liveManyLocks starts n pairs of goroutines, each pair a holder parked
// while holding its own mutex and a waiter queued on it: thousands of
// distinct locks, the worst case for holder searches.
func liveManyLocks(n int) (stop func()) {
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		var mu sync.Mutex
		var writes int // guarded by mu: each pair writes its own counter
		held := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			mu.Lock()
			close(held)
			<-release
			mu.Unlock()
		}()
		<-held
		go func() {
			defer wg.Done()
			mu.Lock()
			writes++ // a write under the lock: the queueing is the point
			mu.Unlock()
		}()
	}
	return func() {
		close(release)
		wg.Wait()
	}
}

// BenchmarkAnalyze measures the analysis of real debug=2 dumps side by
// side with parsing the same bytes, the baseline: the ratio of the two
// ns/op says what diagnosis costs on top of reading. "convoy" is a process
// of benchGoroutines goroutines, most of them stuck; "many-locks" has
// thousands of distinct contended mutexes.
func BenchmarkAnalyze(b *testing.B) {
	for _, sc := range []struct {
		name  string
		start func() func()
		want  Category
	}{
		{"convoy", func() func() { return liveIncident(benchGoroutines) }, CatMutexConvoy},
		{"many-locks", func() func() { return liveManyLocks(benchGoroutines / 4) }, CatMutexConvoy},
	} {
		stop := sc.start()
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
			b.Fatal(err)
		}
		stop()
		dump := buf.Bytes()
		b.Run(sc.name+"/parse-baseline", func(b *testing.B) {
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
		b.Run(sc.name+"/analyze", func(b *testing.B) {
			b.SetBytes(int64(len(dump)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := Analyze(c, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Findings) == 0 || r.Findings[0].Category != sc.want {
					b.Fatalf("principal finding %s, want %s\n%s", r.Findings[0].Category, sc.want, describe(r, 3))
				}
			}
		})
	}
}
