package parser

import (
	"context"
	"io"
	"net"
	"runtime"
	"sync"
	"time"
)

// The benchmark's trace is recorded from a service-shaped workload: every
// kind of wait a stuck service shows, many goroutines at each, all of them
// blocking and waking all the time so that the trace is dense.
const (
	convoyWorkers   = 64 // on one mutex, then trading on one channel
	rwReaders       = 16 // on one RWMutex with rwWriters writers
	rwWriters       = 2
	ioPairs         = 8  // loopback TCP request/response pairs
	deadlineWaiters = 8  // waiting on contexts that time out
	fanOutWidth     = 16 // goroutines a coordinator starts and waits for per round
)

// serviceWorkload runs the workload until stop closes and returns once
// every goroutine it started has ended. conns are connected loopback TCP
// pairs (client, server), at least ioPairs of them.
func serviceWorkload(stop <-chan struct{}, conns [][2]net.Conn) {
	var wg sync.WaitGroup
	spawn := func(n int, fn func(i int)) {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(i)
			}()
		}
	}
	var mu sync.Mutex
	ch := make(chan int)
	shared := 0
	spawn(convoyWorkers, func(i int) { contend(&mu, &shared, ch, i, stop) })
	var rw sync.RWMutex
	spawn(rwReaders, func(int) { rwReader(&rw, &shared, stop) })
	spawn(rwWriters, func(int) { rwWriter(&rw, &shared, stop) })
	for _, c := range conns[:ioPairs] {
		spawn(1, func(int) { echo(c[1]) })
		spawn(1, func(int) { request(c[0], stop) })
	}
	spawn(deadlineWaiters, func(int) { awaitDeadlines(stop) })
	spawn(1, func(int) { fanOut(stop) })
	wg.Wait()
}

// contend takes the shared lock, yields inside it, and trades values on an
// unbuffered channel, until stop closes: every step blocks or wakes.
func contend(mu *sync.Mutex, shared *int, ch chan int, v int, stop <-chan struct{}) {
	for !stopped(stop) {
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

// rwReader holds a read lock across a yield.
func rwReader(rw *sync.RWMutex, shared *int, stop <-chan struct{}) {
	for !stopped(stop) {
		rw.RLock()
		_ = *shared
		runtime.Gosched()
		rw.RUnlock()
	}
}

// rwWriter takes the write lock now and then, queueing the readers
// behind it.
func rwWriter(rw *sync.RWMutex, shared *int, stop <-chan struct{}) {
	for !stopped(stop) {
		time.Sleep(50 * time.Microsecond)
		rw.Lock()
		*shared++
		rw.Unlock()
	}
}

// request sends one byte and waits for the answer, until stop closes; it
// then closes its end, which ends echo.
func request(c net.Conn, stop <-chan struct{}) {
	defer c.Close()
	buf := []byte{0}
	for !stopped(stop) {
		if _, err := c.Write(buf); err != nil {
			return
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
	}
}

// echo answers each byte until the connection closes.
func echo(c net.Conn) {
	defer c.Close()
	buf := []byte{0}
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// awaitDeadlines waits, again and again, on a context that times out
// before anything else can happen: the deadline's timer wakes it.
func awaitDeadlines(stop <-chan struct{}) {
	for !stopped(stop) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Microsecond)
		select {
		case <-ctx.Done():
		case <-stop:
		}
		cancel()
	}
}

// fanOut starts fanOutWidth goroutines per round and waits for them all.
func fanOut(stop <-chan struct{}) {
	for !stopped(stop) {
		var wg sync.WaitGroup
		results := make(chan int, fanOutWidth)
		for i := range fanOutWidth {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- i * i
			}()
		}
		wg.Wait()
		close(results)
		for range results {
		}
	}
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}
