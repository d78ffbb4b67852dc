package detectors

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/internal/testnet"
	"github.com/ctxhole/ctxhole/parser"
)

// The tests in this file reproduce holes inside the test process with the
// real runtime, capture a real debug=2 dump and analyze it: the frames and
// argument words are exactly what the runtime prints today.

// captureLive dumps this process's goroutines as /debug/pprof/goroutine?debug=2
// would and parses the dump.
func captureLive(t *testing.T) *parser.Capture {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		t.Fatal(err)
	}
	snaps, err := parser.ReadText(&buf, "live-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	return &parser.Capture{Snapshots: snaps}
}

// waitParked waits until n goroutines are parked (not running or
// runnable: a goroutine still spinning in Mutex.lockSlow or just started is
// not yet what the test wants to capture) with a frame containing fn.
func waitParked(t *testing.T, fn string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 8<<20)
	for time.Now().Before(deadline) {
		parked := 0
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, fn) && !strings.Contains(header, "[running") && !strings.Contains(header, "[runnable") {
				parked++
			}
		}
		if parked >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%d goroutines never parked in %s", n, fn)
}

// findingWith returns the first finding of a category whose chain has a
// link in a function containing fn.
func findingWith(r *Diagnosis, cat Category, fn string) *Finding {
	for _, f := range r.Findings {
		if f.Category != cat {
			continue
		}
		for _, l := range f.Chain {
			if l.Group == nil {
				continue
			}
			for _, fr := range l.Group.Frames {
				if strings.Contains(fr.Func, fn) {
					return f
				}
			}
		}
	}
	return nil
}

// liveCache holds its lock across a read from a peer that never answers.
type liveCache struct {
	mu   sync.Mutex
	conn net.Conn
	val  int
}

func (c *liveCache) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	buf := make([]byte, 1)
	_, _ = c.conn.Read(buf) // blocks: the peer never writes
}

func (c *liveCache) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.val
}

func TestLiveMutexHeldAcrossRead(t *testing.T) {
	client, server := testnet.Pair(t)
	defer client.Close()
	defer server.Close()
	c := &liveCache{conn: client}
	go c.refresh()
	waitParked(t, "(*liveCache).refresh", 1)
	const waiters = 6
	for range waiters {
		go c.get()
	}
	waitParked(t, "(*liveCache).get", waiters)

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findingWith(r, CatMutexConvoy, "(*liveCache).get")
	if f == nil {
		t.Fatalf("no mutex-convoy finding for the cache waiters\n%s", describe(r, 8))
	}
	if !rootHasFunction(f, "github.com/ctxhole/ctxhole/detectors.(*liveCache).refresh") {
		t.Errorf("root is not the holder in refresh\n%s", describe(r, 8))
	}
	if got := chainWaiters(f, "github.com/ctxhole/ctxhole/detectors.(*liveCache).get"); got != waiters {
		t.Errorf("chain links %d waiters, want %d\n%s", got, waiters, describe(r, 8))
	}
	if f.Severity > SevMedium {
		t.Errorf("severity %s with no wait durations printed, want at most medium", f.Severity)
	}
	server.Close() // releases the holder
}

type liveAccount struct {
	mu  sync.Mutex
	bal int
	// stolen is set when the test breaks the deadlock by unlocking mu on
	// its holder's behalf (a Mutex may be unlocked by another goroutine);
	// the holder then must not unlock it again.
	stolen atomic.Bool
}

// liveTransfer locks from then to, the classic lock-order inversion when
// two transfers run in opposite directions.
func liveTransfer(from, to *liveAccount, ready, done *sync.WaitGroup, gate chan struct{}) {
	defer done.Done()
	from.mu.Lock()
	ready.Done()
	<-gate
	to.mu.Lock()
	defer to.mu.Unlock()
	if from.stolen.Load() {
		return // the test broke the deadlock and released from on our behalf
	}
	to.bal++
	from.bal--
	from.mu.Unlock()
}

// breakCycle ends a deadlock between the holder of a and the holder of b
// by unlocking a on its holder's behalf, and waits for every goroutine of
// the test to finish, so no deadlocked goroutine outlives the test.
func breakCycle(a *liveAccount, done *sync.WaitGroup) {
	a.stolen.Store(true)
	a.mu.Unlock()
	done.Wait()
}

func TestLiveLockCycle(t *testing.T) {
	a, b := &liveAccount{}, &liveAccount{}
	var ready, done sync.WaitGroup
	ready.Add(2)
	done.Add(2)
	gate := make(chan struct{})
	go liveTransfer(a, b, &ready, &done, gate)
	go liveTransfer(b, a, &ready, &done, gate)
	ready.Wait()
	close(gate)
	waitParked(t, "liveTransfer", 2)
	defer breakCycle(a, &done)
	time.Sleep(20 * time.Millisecond)

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findingWith(r, CatLockCycle, "liveTransfer")
	if f == nil {
		t.Fatalf("no lock-cycle finding\n%s", describe(r, 8))
	}
	if f.Severity != SevCritical {
		t.Errorf("lock cycle severity %s, want critical", f.Severity)
	}
	if last := f.Chain[len(f.Chain)-1]; last.Relation != RelCycle {
		t.Errorf("chain does not close the cycle: last relation %s", last.Relation)
	}
}

// liveWorkers waits for workers that block on a receive nobody satisfies.
func liveWorkers(block chan struct{}) {
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-block
		}()
	}
	wg.Wait()
}

func TestLiveWaitGroupLinksWorkers(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	go liveWorkers(block)
	waitParked(t, "liveWorkers.func1", 3)
	waitParked(t, "detectors.liveWorkers(", 1)

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The workers' own wait names the incident; the Wait is its victim.
	f := findingWith(r, CatChanRecvBlocked, "liveWorkers")
	if f == nil {
		t.Fatalf("no chan-recv-blocked finding rooted at the workers\n%s", describe(r, 10))
	}
	if !rootHasFunction(f, "github.com/ctxhole/ctxhole/detectors.liveWorkers.func1") {
		t.Errorf("root is not the workers\n%s", describe(r, 10))
	}
	if got := chainWaiters(f, "sync.(*WaitGroup).Wait"); got != 1 {
		t.Errorf("chain links %d WaitGroup waiters, want 1\n%s", got, describe(r, 10))
	}
}

// TestLiveNilChannelAndCond runs its holes in a child process: a goroutine
// blocked on a nil channel can never be released, so it must not outlive
// the test inside this process.
func TestLiveNilChannelAndCond(t *testing.T) {
	if os.Getenv("CTXHOLE_NILCHAN_CHILD") == "1" {
		nilChannelChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveNilChannelAndCond$")
	cmd.Env = append(os.Environ(), "CTXHOLE_NILCHAN_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	snaps, err := parser.ReadText(bytes.NewReader(out), "child-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(&parser.Capture{Snapshots: snaps}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if findingWith(r, CatNilChannel, "nilChannelChild") == nil {
		t.Errorf("no nil-channel finding\n%s", describe(r, 10))
	}
	if findingWith(r, CatCondWait, "nilChannelChild") == nil {
		t.Errorf("no cond-wait finding\n%s", describe(r, 10))
	}
}

// nilChannelChild blocks one goroutine on a nil channel and one in
// sync.Cond.Wait, writes a debug=2 dump to stdout and exits.
func nilChannelChild() {
	var nilCh chan int
	go func() { nilCh <- 1 }()
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	go func() {
		mu.Lock()
		cond.Wait()
		mu.Unlock()
	}()
	for i := 0; i < 500; i++ {
		buf := make([]byte, 1<<20)
		s := string(buf[:runtime.Stack(buf, true)])
		if strings.Contains(s, "chan send (nil chan)") && strings.Contains(s, "sync.Cond.Wait") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
	os.Exit(0)
}

// TestLiveIdleLoopsAreBackground checks that loops waiting for work, the
// accept loop of a listener and a ticker loop in select, are no finding.
func TestLiveIdleLoopsAreBackground(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tk := time.NewTicker(time.Hour)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
			case <-stop:
				return
			}
		}
	}()
	waitParked(t, "TestLiveIdleLoopsAreBackground.func2", 1)
	waitParked(t, "(*TCPListener).Accept", 1)

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		for _, l := range f.Chain {
			if l.Group == nil {
				continue
			}
			for _, fr := range l.Group.Frames {
				if strings.Contains(fr.Func, "TestLiveIdleLoopsAreBackground") {
					t.Errorf("idle loop reported as %s: %s", f.Category, f.Title)
				}
			}
		}
	}
}

// liveLedger looks accounts up by ID, so the stacks carry no account
// pointers: holders must be found by call site.
type liveLedger struct {
	accounts map[string]*liveAccount
}

func (l *liveLedger) transfer(from, to string, ready, done *sync.WaitGroup, gate chan struct{}) {
	defer done.Done()
	a, b := l.accounts[from], l.accounts[to]
	a.mu.Lock()
	ready.Done()
	<-gate
	b.mu.Lock()
	defer b.mu.Unlock()
	if a.stolen.Load() {
		return // the test broke the deadlock and released a on our behalf
	}
	b.bal++
	a.bal--
	a.mu.Unlock()
}

func (l *liveLedger) balance(id string, done *sync.WaitGroup) int {
	defer done.Done()
	acc := l.accounts[id]
	acc.mu.Lock()
	defer acc.mu.Unlock()
	return acc.bal
}

func TestLiveLockCycleByID(t *testing.T) {
	l := &liveLedger{accounts: map[string]*liveAccount{"A": {}, "B": {}}}
	var ready, done sync.WaitGroup
	ready.Add(2)
	done.Add(6)
	gate := make(chan struct{})
	go l.transfer("A", "B", &ready, &done, gate)
	go l.transfer("B", "A", &ready, &done, gate)
	ready.Wait()
	close(gate)
	waitParked(t, "(*liveLedger).transfer", 2)
	defer breakCycle(l.accounts["A"], &done)
	for _, id := range []string{"A", "A", "B", "B"} {
		go l.balance(id, &done)
	}
	waitParked(t, "(*liveLedger).balance", 4)
	time.Sleep(20 * time.Millisecond)

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findingWith(r, CatLockCycle, "(*liveLedger).transfer")
	if f == nil {
		t.Fatalf("no lock-cycle finding for the ledger\n%s", describe(r, 8))
	}
	if got := chainWaiters(f, "github.com/ctxhole/ctxhole/detectors.(*liveLedger).balance"); got != 4 {
		t.Errorf("cycle finding holds %d balance waiters, want 4\n%s", got, describe(r, 8))
	}
	if f.Confidence > 0.9 {
		t.Errorf("confidence %.2f for a cycle found by call site, want it lowered", f.Confidence)
	}
}

// liveIdleWorker waits for work that never comes.
func liveIdleWorker(jobs chan int, done *sync.WaitGroup) {
	defer done.Done()
	for range jobs {
	}
}

// TestLiveLeakByCount starts far more identical idle workers than anything
// else in the process: one snapshot is enough to call that a leak.
func TestLiveLeakByCount(t *testing.T) {
	jobs := make(chan int)
	var done sync.WaitGroup
	const n = 1500
	done.Add(n)
	for range n {
		go liveIdleWorker(jobs, &done)
	}
	defer func() {
		close(jobs)
		done.Wait()
	}()
	waitParked(t, "detectors.liveIdleWorker(", n)

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findingWith(r, CatGoroutineLeak, "liveIdleWorker")
	if f == nil {
		t.Fatalf("no goroutine-leak finding for %d idle workers\n%s", n, describe(r, 6))
	}
	if f.Goroutines < n {
		t.Errorf("leak finding covers %d goroutines, want ≥ %d", f.Goroutines, n)
	}
	// Fewer than the threshold are idle workers, not a leak.
	r, err = Analyze(captureLive(t), Options{LeakMinCount: 10 * n})
	if err != nil {
		t.Fatal(err)
	}
	if findingWith(r, CatGoroutineLeak, "liveIdleWorker") != nil {
		t.Errorf("%d workers reported as a leak with LeakMinCount %d", n, 10*n)
	}
}

// liveStranded sends a result nobody will receive: its caller gave up.
func liveStranded(out chan int, release chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	select {
	case out <- 1:
	case <-release:
	}
}

// TestLiveLeakAcrossSnapshots takes two real dumps a known time apart while
// goroutines accumulate and expects the growth with its rate.
func TestLiveLeakAcrossSnapshots(t *testing.T) {
	release := make(chan struct{})
	var done sync.WaitGroup
	spawn := func(k int) {
		done.Add(k)
		for range k {
			go liveStranded(make(chan int), release, &done)
		}
	}
	defer func() {
		close(release)
		done.Wait()
	}()
	spawn(10)
	waitParked(t, "detectors.liveStranded(", 10)
	first := captureLive(t).Snapshots[0]
	spawn(30)
	waitParked(t, "detectors.liveStranded(", 40)
	second := captureLive(t).Snapshots[0]
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	first.Source.Time, second.Source.Time = t0, t0.Add(30*time.Second)

	r, err := Analyze(&parser.Capture{Snapshots: []*parser.Snapshot{second, first}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findingWith(r, CatGoroutineLeak, "liveStranded")
	if f == nil || f.Growth == nil {
		t.Fatalf("no growth finding\n%s", describe(r, 6))
	}
	if f.Growth.From != 10 || f.Growth.To != 40 || !f.Growth.RateKnown || f.Growth.PerMinute != 60 {
		t.Errorf("growth %+v, want 10 → 40 at 60 per minute", *f.Growth)
	}
}

// TestLiveManyLocks has each waiter queued on its own mutex, every mutex
// held by a sibling closure parked on a channel: the waiters, split by lock
// address, must come back together as one link behind their holders.
func TestLiveManyLocks(t *testing.T) {
	const n = 200
	stop := liveManyLocks(n)
	defer stop()
	waitParked(t, "liveManyLocks.func2", n)

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := findingWith(r, CatMutexConvoy, "liveManyLocks.func2")
	if f == nil {
		t.Fatalf("no convoy finding\n%s", describe(r, 5))
	}
	if !rootHasFunction(f, "github.com/ctxhole/ctxhole/detectors.liveManyLocks.func1") {
		t.Errorf("root is not the holders\n%s", describe(r, 5))
	}
	if len(f.Chain) != 2 || f.Chain[1].Goroutines != n {
		t.Errorf("want the root and one link of %d waiters, got %d links\n%s", n, len(f.Chain), describe(r, 5))
	}
}

// TestLivePoolStartedBySetupGoroutine: workers launched together by a
// goroutine that has returned are a pool waiting for work, not stranded
// receivers.
func TestLivePoolStartedBySetupGoroutine(t *testing.T) {
	jobs := make(chan int)
	var done sync.WaitGroup
	done.Add(4)
	started := make(chan struct{})
	go func() {
		for range 4 {
			go liveIdleWorker(jobs, &done)
		}
		close(started)
	}()
	<-started
	defer func() {
		close(jobs)
		done.Wait()
	}()
	waitParked(t, "detectors.liveIdleWorker(", 4)
	time.Sleep(10 * time.Millisecond) // the setup goroutine has returned

	r, err := Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		for _, l := range f.Chain {
			if l.Group != nil && hasFrame(l.Group.Frames, "github.com/ctxhole/ctxhole/detectors.liveIdleWorker") {
				t.Errorf("idle pool reported as %s: %s", f.Category, f.Title)
			}
		}
	}
}
