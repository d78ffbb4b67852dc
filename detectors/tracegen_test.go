package detectors

import (
	"bytes"
	"io"
	"net"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/internal/testnet"
	"github.com/ctxhole/ctxhole/parser"
)

// refreshLoop takes mu and holds it across a read from c, again and again:
// a cache refresher whose upstream answers a few times, then never again.
func refreshLoop(mu *sync.Mutex, c net.Conn, done <-chan struct{}) {
	buf := make([]byte, 1)
	for {
		mu.Lock()
		_, err := io.ReadFull(c, buf)
		mu.Unlock()
		if err != nil {
			return
		}
		select {
		case <-done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// readLoop reads the cache under mu, again and again.
func readLoop(mu *sync.Mutex, reads *int, done <-chan struct{}) {
	for {
		mu.Lock()
		*reads++
		mu.Unlock()
		select {
		case <-done:
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

const nReaders = 8

// recordStuckRefresh records, in this process, readers queued on a lock
// whose refresher released them several times and then blocked inside the
// lock on a read nobody answers. Plain functions, no shared receiver type,
// no argument words: only the trace can link the readers to the refresher.
func recordStuckRefresh(t *testing.T) *parser.Trace {
	t.Helper()
	client, peer := testnet.Pair(t)

	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("cannot trace: %v", err)
	}
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	reads := 0
	wg.Add(1 + nReaders)
	go func() { defer wg.Done(); refreshLoop(&mu, client, done) }()
	for range nReaders {
		go func() { defer wg.Done(); readLoop(&mu, &reads, done) }()
	}
	// The upstream answers four refreshes, each after 10 ms, then goes
	// silent with the refresher inside the lock.
	for range 4 {
		time.Sleep(10 * time.Millisecond)
		if _, err := peer.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(800 * time.Millisecond)
	trace.Stop()
	close(done)
	client.Close() // the refresher's read fails: everyone goes home
	wg.Wait()

	tr, err := parser.ReadTrace(&buf, parser.Source{File: "stuck-refresh.trace"})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// The readers' lock waits were released by the refresher before it got
// stuck: the trace links them to it (woken-by), with the refresher blocked
// before the first reader queued for good.
func TestTraceLinksByWakeHistory(t *testing.T) {
	tr := recordStuckRefresh(t)
	r, err := Analyze(&parser.Capture{Traces: []*parser.Trace{tr}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 {
		t.Fatal("no finding")
	}
	f := r.Findings[0]
	if !rootHas(f, "github.com/ctxhole/ctxhole/detectors.refreshLoop") {
		t.Fatalf("root is %s, want the refresher; chain %+v", rootApp(f), f.Chain)
	}
	var readers *Link
	for i := range f.Chain {
		if f.Chain[i].Relation == RelWokenBy {
			readers = &f.Chain[i]
		}
	}
	if readers == nil || readers.Goroutines != nReaders || readers.Depth != 1 {
		t.Fatalf("no woken-by link of %d readers under the refresher: %+v", nReaders, f.Chain)
	}
	// The readers queued for good after the refresher had released them
	// (sync.Mutex hands over in FIFO order once a waiter starves, so no
	// reader waits through all of those wakes). Their start is not
	// compared with the refresher's: a reader can queue between the
	// refresher's Lock and its read blocking, which on a loaded machine
	// is a visible time.
	if !readers.Timed || len(readers.Wakes) == 0 {
		t.Fatalf("readers link: timed=%v wakes=%d", readers.Timed, len(readers.Wakes))
	}
	firstWake := readers.Wakes[0].First
	for _, w := range readers.Wakes {
		firstWake = min(firstWake, w.First)
	}
	if readers.Start < firstWake {
		t.Errorf("readers link: start=%v, before the refresher's first wake of them at %v", readers.Start, firstWake)
	}
	woke := false
	for _, e := range f.Evidence {
		woke = woke || (e.Kind == "trace" && strings.Contains(e.Text, "woke") && e.GoroutineID == f.Root.GoroutineID)
	}
	if !woke {
		t.Errorf("no evidence that the refresher released the readers before: %+v", f.Evidence)
	}
}

// refreshOnce holds mu across one read from c.
func refreshOnce(mu *sync.Mutex, c net.Conn) {
	mu.Lock()
	buf := make([]byte, 1)
	_, _ = io.ReadFull(c, buf)
	mu.Unlock()
}

// A refresher blocked 1.2 s on the network inside the lock, readers queued
// behind it, then everything moved again: nothing is stuck when the trace
// ends, but the trace saw the chain form and resolve.
func TestTraceResolvedChain(t *testing.T) {
	client, peer := testnet.Pair(t)
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("cannot trace: %v", err)
	}
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	reads := 0
	wg.Add(1 + nReaders)
	go func() { defer wg.Done(); refreshOnce(&mu, client) }()
	time.Sleep(20 * time.Millisecond)
	for range nReaders {
		go func() { defer wg.Done(); readLoop(&mu, &reads, done) }()
	}
	time.Sleep(1200 * time.Millisecond)
	if _, err := peer.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	close(done)
	wg.Wait()
	trace.Stop()
	tr, err := parser.ReadTrace(&buf, parser.Source{File: "resolved.trace"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(&parser.Capture{Traces: []*parser.Trace{tr}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var f *Finding
	for _, x := range r.Findings {
		if x.Severity >= SevHigh {
			t.Errorf("nothing was stuck at the end, yet %s %s", x.Severity, x.Title)
		}
		if rootHas(x, "github.com/ctxhole/ctxhole/detectors.refreshOnce") {
			f = x
		}
	}
	if f == nil {
		t.Fatalf("no finding rooted at the refresher: %+v", r.Findings)
	}
	if !strings.HasPrefix(f.Title, "Resolved during the trace") || len(f.Chain) != 2 {
		t.Fatalf("finding %q with %d links", f.Title, len(f.Chain))
	}
	root, readers := f.Chain[0], f.Chain[1]
	if !root.Timed || root.End-root.Start < time.Second || !f.Root.Timed || f.Root.Since != root.Start {
		t.Errorf("root link %v..%v (root since %v), want the refresher's 1.2 s read", root.Start, root.End, f.Root.Since)
	}
	if readers.Relation != RelWokenBy || readers.Goroutines < nReaders || readers.Start < root.Start || readers.End < root.End {
		t.Errorf("readers link %s x%d %v..%v, want %d+ waits released after the read ended at %v",
			readers.Relation, readers.Goroutines, readers.Start, readers.End, nReaders, root.End)
	}
}
