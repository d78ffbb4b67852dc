// Command exectrace records the execution traces in this directory, one per
// Go release, so that the trace reader is tested on every trace format
// golang.org/x/exp/trace reads (Go 1.11–1.21 in the old format, 1.22 on in
// the generational one). Each trace holds the same scenario:
//
//   - G "preBlocked" has been blocked on a loopback read since before the
//     trace began, and stays blocked;
//   - "holder" takes a mutex and holds it across a loopback read the peer
//     answers after 300 ms;
//   - four "waiter" goroutines queue on that mutex meanwhile;
//   - "deadline" waits for a context whose 100 ms deadline fires;
//   - "canceled" waits for a context main cancels after 50 ms.
//
// Regenerate with ./regen.sh (it fetches the toolchains through the go
// command).
package main

import (
	"context"
	"io"
	"log"
	"net"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: exectrace OUT.trace")
	}
	holderConn, holderPeer := pair()
	preConn, prePeer := pair()
	go preBlocked(preConn)
	time.Sleep(50 * time.Millisecond)

	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	locked := make(chan struct{})
	held := make(chan struct{})
	go holder(&mu, holderConn, locked, held)
	<-locked
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go waiter(&mu, &wg)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer dcancel()
	done := make(chan struct{}, 2)
	go deadline(dctx, done)
	cctx, ccancel := context.WithCancel(context.Background())
	go canceled(cctx, done)
	time.Sleep(50 * time.Millisecond)
	ccancel()
	time.Sleep(250 * time.Millisecond)
	if _, err := holderPeer.Write([]byte{1}); err != nil {
		log.Fatal(err)
	}
	<-held
	wg.Wait()
	<-done
	<-done
	time.Sleep(20 * time.Millisecond)
	trace.Stop()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	prePeer.Close()
}

func pair() (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	return c, <-accepted
}

func preBlocked(c net.Conn) {
	buf := make([]byte, 1)
	_, _ = io.ReadFull(c, buf)
}

func holder(mu *sync.Mutex, c net.Conn, locked, held chan<- struct{}) {
	mu.Lock()
	close(locked)
	buf := make([]byte, 1)
	_, _ = io.ReadFull(c, buf)
	mu.Unlock()
	close(held)
}

var served int

func waiter(mu *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	mu.Lock()
	served++
	mu.Unlock()
}

func deadline(ctx context.Context, done chan<- struct{}) {
	<-ctx.Done()
	done <- struct{}{}
}

func canceled(ctx context.Context, done chan<- struct{}) {
	<-ctx.Done()
	done <- struct{}{}
}
