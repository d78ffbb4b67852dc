package parser

import (
	"bytes"
	"context"
	"github.com/ctxhole/ctxhole/internal/testnet"
	"io"
	"net"
	"runtime"
	"runtime/trace"
	"sync"
	"testing"
	"time"
)

// Real traces for the tests, recorded in the test process with
// runtime/trace: every test asserts against what the runtime really wrote.

// scenario timings. The holder's read is answered after holdFor; the
// deadline waiter's context expires after deadlineAfter.
const (
	holdFor       = 150 * time.Millisecond
	deadlineAfter = 40 * time.Millisecond
	cancelAfter   = 60 * time.Millisecond
	nWaiters      = 5
)

// recordTrace runs fn under runtime/trace and returns the trace bytes.
func recordTrace(t testing.TB, fn func()) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("cannot trace: %v", err)
	}
	fn()
	trace.Stop()
	return buf.Bytes()
}

// convoyHolder takes mu and holds it across a read the peer answers late.
func convoyHolder(mu *sync.Mutex, c net.Conn, locked chan<- struct{}, done chan<- struct{}) {
	mu.Lock()
	close(locked)
	buf := make([]byte, 1)
	_, _ = io.ReadFull(c, buf)
	mu.Unlock()
	close(done)
}

// convoyWaiter queues on mu to count itself in.
func convoyWaiter(mu *sync.Mutex, wg *sync.WaitGroup, served *int) {
	defer wg.Done()
	mu.Lock()
	*served++
	mu.Unlock()
}

// deadlineWaiter waits for its context's deadline.
func deadlineWaiter(ctx context.Context, done chan<- struct{}) {
	<-ctx.Done()
	close(done)
}

// cancelWaiter waits for an explicit cancel.
func cancelWaiter(ctx context.Context, done chan<- struct{}) {
	<-ctx.Done()
	close(done)
}

// strandedReceiver waits on a channel nobody sends on while tracing.
func strandedReceiver(ch <-chan struct{}) {
	<-ch
}

// preBlockedReader is blocked on a loopback read before tracing starts and
// stays blocked until after it stops.
func preBlockedReader(c net.Conn, done chan<- struct{}) {
	buf := make([]byte, 1)
	_, _ = io.ReadFull(c, buf)
	close(done)
}

// recordConvoy records the reference scenario: a mutex holder blocked on a
// loopback read, waiters queued on the mutex and released by it, a context
// deadline firing, an explicit cancel, a receiver stranded for the whole
// trace and a reader blocked since before the trace began.
func recordConvoy(t testing.TB) []byte {
	t.Helper()
	holderConn, peerConn := testnet.Pair(t)
	preConn, prePeer := testnet.Pair(t)

	preDone := make(chan struct{})
	go preBlockedReader(preConn, preDone)
	stranded := make(chan struct{})
	go strandedReceiver(stranded)
	// Let both park before tracing starts.
	waitParked(t, "preBlockedReader", "strandedReceiver")

	data := recordTrace(t, func() {
		var mu sync.Mutex
		locked, held := make(chan struct{}), make(chan struct{})
		go convoyHolder(&mu, holderConn, locked, held)
		<-locked
		var wg sync.WaitGroup
		served := 0
		for range nWaiters {
			wg.Add(1)
			go convoyWaiter(&mu, &wg, &served)
		}
		dctx, dcancel := context.WithTimeout(context.Background(), deadlineAfter)
		defer dcancel()
		ddone := make(chan struct{})
		go deadlineWaiter(dctx, ddone)
		cctx, ccancel := context.WithCancel(context.Background())
		cdone := make(chan struct{})
		go cancelWaiter(cctx, cdone)

		time.Sleep(cancelAfter)
		ccancel()
		time.Sleep(holdFor - cancelAfter)
		if _, err := peerConn.Write([]byte{1}); err != nil {
			t.Errorf("peer write: %v", err)
		}
		<-held
		wg.Wait()
		if served != nWaiters {
			t.Errorf("%d waiters served, want %d", served, nWaiters)
		}
		<-ddone
		<-cdone
		time.Sleep(10 * time.Millisecond)
	})
	close(stranded)
	if _, err := prePeer.Write([]byte{1}); err != nil {
		t.Errorf("peer write: %v", err)
	}
	<-preDone
	return data
}

// waitParked waits until goroutines running the named functions of this
// package show up parked in a goroutine dump.
func waitParked(t testing.TB, fns ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		all := true
		for _, fn := range fns {
			if !bytes.Contains(buf, []byte("parser."+fn+"(")) {
				all = false
			}
		}
		if all {
			time.Sleep(5 * time.Millisecond)
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("goroutines %v never parked", fns)
}

// pingPong bounces a token between two goroutines every tick until stop
// closes: steady channel traffic across several trace generations.
func pingPong(stop <-chan struct{}, tick time.Duration) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	t := time.NewTicker(tick)
	defer t.Stop()
	for v := 0; ; {
		select {
		case <-stop:
			close(ping)
			for range pong {
			}
			return
		case <-t.C:
			ping <- v
			v = <-pong
		}
	}
}

// recordGenerations records a trace of at least gens generations (the
// runtime starts one about every second) of ping-pong traffic.
func recordGenerations(t testing.TB, gens int) []byte {
	t.Helper()
	return recordTrace(t, func() {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { pingPong(stop, time.Millisecond); close(done) }()
		time.Sleep(time.Duration(gens)*time.Second + 200*time.Millisecond)
		close(stop)
		<-done
	})
}
