package detectors

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// shard is a struct with its lock inside, as services hold them: the lock
// address is a field of the object the goroutines work on, so holders are
// found by the address words of their frames.
type shard struct {
	name  string
	calls int
	mu    sync.Mutex
	rw    sync.RWMutex
	data  map[string]int
}

// hold takes s.mu and parks on release while holding it: the root of its
// shard's queue.
//
//go:noinline
func (s *shard) hold(held chan<- struct{}, release <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	held <- struct{}{}
	<-release
}

// get queues on s.mu behind hold.
//
//go:noinline
func (s *shard) get(k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.data[k]
}

// write takes s.rw for writing and parks while holding it.
//
//go:noinline
func (s *shard) write(held chan<- struct{}, release <-chan struct{}) {
	s.rw.Lock()
	defer s.rw.Unlock()
	held <- struct{}{}
	<-release
}

// read queues on s.rw's read lock behind write.
//
//go:noinline
func (s *shard) read(k string) int {
	s.rw.RLock()
	defer s.rw.RUnlock()
	return s.data[k]
}

// liveService starts about n goroutines shaped like a wedged service with
// many shards: per shard a goroutine holding the shard's mutex and two
// queued on it, a writer holding its RWMutex and a reader queued behind it,
// a stranded sender and an idle worker; every shard's goroutines are
// started by one spawner goroutine (created by ... in goroutine N) and
// carry pprof labels. Thousands of distinct locks, each with its own
// holder, are the worst case for lock linking. stop releases everything.
func liveService(n int) (stop func()) {
	const perShard = 8
	release := make(chan struct{})
	results := make(chan int)
	var wg sync.WaitGroup
	shards := max(1, n/perShard)
	held := make(chan struct{}, 2)
	spawners := max(1, shards/64)
	var spawn sync.WaitGroup
	for p := range spawners {
		spawn.Add(1)
		go func() {
			defer spawn.Done()
			labels := pprof.Labels("tenant", "t"+strconv.Itoa(p%7), "handler", "shard")
			pprof.Do(context.Background(), labels, func(context.Context) {
				for i := p; i < shards; i += spawners {
					s := &shard{name: "s" + strconv.Itoa(i), data: map[string]int{}}
					wg.Add(perShard)
					go func() { defer wg.Done(); s.hold(held, release) }()
					go func() { defer wg.Done(); s.write(held, release) }()
					<-held
					<-held
					for range 2 {
						go func() { defer wg.Done(); s.get("k") }()
					}
					go func() { defer wg.Done(); s.read("k") }()
					go func() {
						defer wg.Done()
						select {
						case results <- i:
						case <-release:
						}
					}()
					for range 2 {
						go func() { defer wg.Done(); <-release }()
					}
				}
			})
		}()
	}
	spawn.Wait()
	return func() {
		close(release)
		wg.Wait()
	}
}

// serviceDumps caches the debug=2 dumps per goroutine count, built once
// per benchmark run from the real runtime.
var serviceDumps sync.Map

func serviceDump(tb testing.TB, n int) []byte {
	tb.Helper()
	if d, ok := serviceDumps.Load(n); ok {
		return d.([]byte)
	}
	stop := liveService(n)
	var buf bytes.Buffer
	err := pprof.Lookup("goroutine").WriteTo(&buf, 2)
	stop()
	if err != nil {
		tb.Fatal(err)
	}
	serviceDumps.Store(n, buf.Bytes())
	return buf.Bytes()
}

// BenchmarkAnalyzeScale analyzes real dumps of 10k and 100k goroutines
// of a wedged service with thousands of distinct locks, and reports the
// cost per goroutine of the whole analysis ("analyze") and of the linking
// passes alone ("link": lock, pool, held-by and spawn links, one holder per
// lock). Flat ns/goroutine from 10k to 100k means linking and edge
// building are linear in goroutines; cpu-ns/goroutine is the CPU time the
// process spent (garbage collection included), which a loaded machine
// disturbs less than wall time.
func BenchmarkAnalyzeScale(b *testing.B) {
	linking := map[string]bool{"locks": true, "recursive-locks": true, "pools": true, "held-by": true, "spawned": true, "one-lock-dump": true}
	for _, n := range []int{10_000, 100_000} {
		dump := serviceDump(b, n)
		snaps, err := parser.ReadText(bytes.NewReader(dump), "bench.txt")
		if err != nil {
			b.Fatal(err)
		}
		c := &parser.Capture{Snapshots: snaps}
		gs := float64(len(snaps[len(snaps)-1].Goroutines))
		b.Run(fmt.Sprintf("analyze/goroutines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := Analyze(c, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/gs, "ns/goroutine")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/gs, "cpu-ns/goroutine")
		})
		b.Run(fmt.Sprintf("link/goroutines=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var cpu time.Duration
			for range b.N {
				b.StopTimer()
				a := newAnalysis(c, Options{})
				for _, p := range a.passes() {
					if p.name == "cycles" {
						break
					}
					var cpu0 time.Duration
					if linking[p.name] {
						cpu0 = cpuTime()
						b.StartTimer()
					}
					if err := p.run(a); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if linking[p.name] {
						cpu += cpuTime() - cpu0
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/gs, "ns/goroutine")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/gs, "cpu-ns/goroutine")
		})
	}
}

// TestAnalyzeSameOnEveryCore: the argument-word scan of lock and pool
// linking is split across the cores (wordHits) on large snapshots; on a
// wedged service's dump big enough to be split, the diagnosis is the same
// with one core and with four.
func TestAnalyzeSameOnEveryCore(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("starts 40,000 goroutines (the race detector allows 8,128)")
	}
	snaps, err := parser.ReadText(bytes.NewReader(serviceDump(t, 40000)), "service.txt")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("%d snapshots: %v", len(snaps), err)
	}
	c := &parser.Capture{Snapshots: snaps}
	a := newAnalysis(c, Options{})
	if parts := splitNodes(a.nodes, 4, a.splitFrames); len(parts) < 2 {
		t.Fatalf("the dump is not split (%d nodes in one run): make it bigger", len(a.nodes))
	}
	prev := runtime.GOMAXPROCS(1)
	one, err := Analyze(c, Options{})
	runtime.GOMAXPROCS(4)
	four, err4 := Analyze(c, Options{})
	runtime.GOMAXPROCS(prev)
	if err != nil || err4 != nil {
		t.Fatal(err, err4)
	}
	if len(one.Findings) == 0 || !reflect.DeepEqual(one, four) {
		t.Errorf("one core: %d findings; four: %d; the diagnoses differ", len(one.Findings), len(four.Findings))
	}
}

// TestWordHitsSplitSame: the argument-word scan split across goroutines
// returns, in order, the hits one pass gives. Eight locks, each with its
// waiters and a holder whose frame carries the lock's address, between
// filler groups: the hits fall in several runs, so their order is tested,
// and the snapshot is small enough for the race detector.
func TestWordHitsSplitSame(t *testing.T) {
	var gs []*parser.Goroutine
	id := int64(1)
	add := func(n int, reason string, frames []parser.Frame, args ...[]parser.Arg) {
		for range n {
			g := &parser.Goroutine{ID: id, Count: 1, Status: parser.StatusWaiting, Reason: reason, State: reason}
			g.SetStack(slices.Clone(frames), args)
			gs = append(gs, g)
			id++
		}
	}
	for k := range 8 {
		lock := uint64(0xc000100000 + k*0x1000)
		add(3, rMutex, []parser.Frame{
			{Func: "sync.runtime_SemacquireMutex"}, {Func: "internal/sync.(*Mutex).lockSlow"},
			{Func: "sync.(*Mutex).Lock"}, {Func: fmt.Sprintf("main.waiter%d", k)}}, nil, word(lock), word(lock), word(lock))
		add(1, rIOWait, []parser.Frame{
			{Func: "internal/poll.runtime_pollWait"}, {Func: "net.(*conn).Read"}, {Func: fmt.Sprintf("main.holder%d", k)}}, nil, nil, word(lock))
		add(20, rChanRecv, []parser.Frame{{Func: "runtime.gopark"}, {Func: fmt.Sprintf("main.filler%d", k)}}, nil, word(0xc000900000))
	}
	a := newAnalysis(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: gs}}}, Options{})
	if err := a.classify(); err != nil {
		t.Fatal(err)
	}
	var idx addrIndex
	for _, n := range a.nodes {
		if isLockWaiter(n) {
			for w, lw := range lockWords(n) {
				idx.add(w, n, w == n.object, lw.near)
			}
		}
	}
	idx.sort()
	flat := func(hs wordHits) (out []wordHit) {
		hs.each(func(h *wordHit) { out = append(out, *h) })
		return out
	}
	one := a.wordHits(&idx, maxArgOffset)
	prev := runtime.GOMAXPROCS(8)
	defer runtime.GOMAXPROCS(prev)
	a.splitFrames = 1
	split := a.wordHits(&idx, maxArgOffset)
	withHits := 0
	for _, run := range split {
		if len(run) > 0 {
			withHits++
		}
	}
	if len(one) != 1 || withHits < 2 {
		t.Fatalf("runs: %d unsplit, %d split of which %d with hits; want 1 and several", len(one), len(split), withHits)
	}
	if want, got := flat(one), flat(split); len(want) < 8 || !slices.Equal(want, got) {
		t.Errorf("%d hits in one pass, %d split, or they differ", len(want), len(got))
	}
}
