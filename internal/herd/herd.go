// Package herd parks crowds of goroutines the ways a stuck service parks
// them and dumps them with the real runtime: the inputs of ctxhole's
// benchmarks, taken at benchmark time rather than stored. A herd holds
// channel receives and sends, sync.Mutex and sync.RWMutex queues behind a
// held lock, WaitGroup and Cond waits, sleeps and network reads, at stack
// depths from 1 to past the runtime's 100 printed frames, every tenth
// goroutine under pprof labels, each created by a goroutine the dump names
// ("created by ... in goroutine N").
package herd

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Herd is a crowd of parked goroutines; Stop releases them.
type Herd struct {
	n        int
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

// blockers park the calling goroutine in one way each.
var blockers = [...]func(h *Herd, i int){
	func(h *Herd, _ int) { // chan receive
		select {
		case <-h.recv:
		case <-h.release:
		}
	},
	func(h *Herd, _ int) { <-h.release }, // chan receive on a channel closed later
	func(h *Herd, _ int) { // chan send
		select {
		case h.send <- 1:
		case <-h.release:
		}
	},
	func(h *Herd, _ int) { // sync.Mutex.Lock behind the held lock
		h.mu.Lock()
		h.entered.Add(1)
		h.mu.Unlock()
	},
	func(h *Herd, _ int) { // sync.RWMutex.RLock behind the held write lock
		h.rw.RLock()
		h.entered.Add(1)
		h.rw.RUnlock()
	},
	func(h *Herd, _ int) { h.wg.Wait() }, // sync.WaitGroup.Wait
	func(h *Herd, _ int) { // sync.Cond.Wait
		h.condMu.Lock()
		for !h.released.Load() {
			h.cond.Wait()
		}
		h.condMu.Unlock()
	},
	func(h *Herd, _ int) { // sleep
		for !h.released.Load() {
			time.Sleep(2 * time.Second)
		}
	},
	func(h *Herd, i int) { // IO wait, or the fd's read lock behind it
		var b [1]byte
		_, _ = h.conns[i%len(h.conns)].Read(b[:])
	},
}

// depth recurses d frames deep, through a closure every third frame, then
// parks; every tenth goroutine parks under pprof labels.
//
//go:noinline
func depth(h *Herd, i, d int) {
	switch {
	case d == 0 && i%10 == 0:
		pprof.Do(context.Background(), pprof.Labels("shard", strconv.Itoa(i%7), "kind", "herd"), func(context.Context) {
			h.ready.Done()
			blockers[i%len(blockers)](h, i)
		})
	case d == 0:
		h.ready.Done()
		blockers[i%len(blockers)](h, i)
	case d%3 == 0:
		func() { depth(h, i, d-1) }()
	default:
		depth(h, i, d-1)
	}
}

// spawnersPer is how many goroutines each spawner starts: the herd's
// goroutines are created by a few hundred spawners, so that their
// "created by ... in goroutine N" lines name different parents.
const spawnersPer = 1000

// Start parks n goroutines and returns once they are parked.
func Start(n int) (*Herd, error) {
	h := &Herd{n: n, release: make(chan struct{}), recv: make(chan int), send: make(chan int)}
	h.cond = sync.NewCond(&h.condMu)
	h.mu.Lock()
	h.rw.Lock()
	h.wg.Add(1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	for range 32 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			h.closeConns()
			return nil, err
		}
		s, err := ln.Accept()
		if err != nil {
			c.Close()
			h.closeConns()
			return nil, err
		}
		h.conns = append(h.conns, c, s)
	}
	h.ready.Add(n)
	h.done.Add(n)
	var spawned sync.WaitGroup
	for from := 0; from < n; from += spawnersPer {
		spawned.Go(func() {
			for i := from; i < min(from+spawnersPer, n); i++ {
				d := i % 13
				if i%50 == 0 {
					d = 110 // deeper than the 100 frames the runtime prints
				}
				go func() {
					defer h.done.Done()
					depth(h, i, d)
				}()
			}
		})
	}
	spawned.Wait()
	h.ready.Wait()
	time.Sleep(200 * time.Millisecond) // let the last ones reach their park point
	return h, nil
}

func (h *Herd) closeConns() {
	for _, c := range h.conns {
		c.Close()
	}
}

// Stop releases every goroutine of the herd and waits for them.
func (h *Herd) Stop() {
	h.released.Store(true)
	close(h.release)
	h.mu.Unlock()
	h.rw.Unlock()
	h.wg.Done()
	h.cond.Broadcast()
	h.closeConns()
	h.done.Wait()
}

// Stacks returns runtime.Stack(buf, true), the text of
// /debug/pprof/goroutine?debug=2, without pprof's 64 MiB cap. sizeHint is
// the expected size (0 if unknown): a dump of a million goroutines is
// gigabytes, and guessing low costs a whole second dump.
func Stacks(sizeHint int) []byte {
	buf := make([]byte, max(sizeHint, 64<<20))
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n:n]
		}
		buf = make([]byte, len(buf)+len(buf)/2)
	}
}

// Dump returns the herd's dump as /debug/pprof/goroutine?debug=2 prints
// it, with the goroutines' labels (GODEBUG=tracebacklabels=1, which the
// runtime rereads when GODEBUG changes) when labels is set. It changes the
// process's GODEBUG for the time of the dump: no other code of the process
// may read or set it meanwhile.
func (h *Herd) Dump(labels bool) []byte {
	hint := h.n * 2600
	if !labels {
		return Stacks(hint)
	}
	old, had := os.LookupEnv("GODEBUG")
	os.Setenv("GODEBUG", "tracebacklabels=1")
	defer func() {
		if had {
			os.Setenv("GODEBUG", old)
		} else {
			os.Unsetenv("GODEBUG")
		}
	}()
	return Stacks(hint)
}

// Dump starts a herd of n goroutines, dumps it (see Herd.Dump) and
// releases it.
func Dump(n int, labels bool) ([]byte, error) {
	h, err := Start(n)
	if err != nil {
		return nil, fmt.Errorf("herd of %d: %w", n, err)
	}
	defer h.Stop()
	return h.Dump(labels), nil
}
