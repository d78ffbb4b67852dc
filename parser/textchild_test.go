package parser

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
)

// The tests in this file produce real dumps: the test binary re-runs
// itself as a child (TestTextChild, selected by childEnv) that parks
// goroutines in known ways and then dumps them — runtime.Stack, pprof
// debug=2, a panic, a deadlock, a SIGQUIT, a test timeout — under the
// GOTRACEBACK and GODEBUG settings a test asks for.

const childEnv = "CTXHOLE_TEXT_CHILD"

// zoo parks goroutines in one known way each and reports the addresses
// of the locks they wait on.
type zoo struct {
	mu      sync.Mutex
	rwHeld  sync.RWMutex
	wg      sync.WaitGroup
	cond    *sync.Cond
	condMu  sync.Mutex
	ch      chan int
	sendCh  chan int
	ready   sync.WaitGroup
	release chan struct{}
}

//go:noinline
func zooChanRecv(z *zoo) { z.ready.Done(); <-z.ch }

//go:noinline
func zooChanSend(z *zoo) { z.ready.Done(); z.sendCh <- 1 }

//go:noinline
func zooSelect(z *zoo) {
	z.ready.Done()
	select {
	case <-z.ch:
	case <-z.release:
	}
}

//go:noinline
func zooNilChan(z *zoo) {
	var c chan int
	z.ready.Done()
	<-c
}

//go:noinline
func zooMutex(z *zoo) { z.ready.Done(); z.mu.Lock() }

//go:noinline
func zooRLock(z *zoo) { z.ready.Done(); z.rwHeld.RLock() }

//go:noinline
func zooWaitGroup(z *zoo) { z.ready.Done(); z.wg.Wait() }

//go:noinline
func zooCond(z *zoo) {
	z.condMu.Lock()
	z.ready.Done()
	z.cond.Wait()
}

//go:noinline
func zooSleep(z *zoo) { z.ready.Done(); time.Sleep(time.Hour) }

//go:noinline
func zooLocked(z *zoo) {
	runtime.LockOSThread()
	z.ready.Done()
	<-z.release
}

//go:noinline
func zooDeep(z *zoo, n int) {
	if n > 0 {
		zooDeep(z, n-1)
		return
	}
	z.ready.Done()
	<-z.release
}

//go:noinline
func zooLabelled(z *zoo) {
	pprof.Do(context.Background(), pprof.Labels("request", "r-42", "job", "sync"), func(context.Context) {
		z.ready.Done()
		<-z.release
	})
}

//go:noinline
func zooNetRead(z *zoo, c net.Conn) {
	z.ready.Done()
	var b [1]byte
	_, _ = c.Read(b[:])
}

//go:noinline
func zooBubbleRecv(ch chan int) { <-ch }

//go:noinline
func zooBubbleCond(mu *sync.Mutex, cond *sync.Cond) {
	mu.Lock()
	cond.Wait()
	mu.Unlock()
}

// start parks the zoo's goroutines and prints the lock addresses as
// "ADDR name 0x..." lines on w.
func (z *zoo) start(w *os.File, withNet bool) {
	z.ch = make(chan int)
	z.sendCh = make(chan int)
	z.release = make(chan struct{})
	z.cond = sync.NewCond(&z.condMu)
	z.mu.Lock()
	z.rwHeld.Lock()
	z.wg.Add(1)
	spawn := func(n int, f func()) {
		z.ready.Add(n)
		for range n {
			go f()
		}
	}
	spawn(3, func() { zooChanRecv(z) })
	spawn(1, func() { zooChanSend(z) })
	spawn(1, func() { zooSelect(z) })
	spawn(1, func() { zooNilChan(z) })
	spawn(2, func() { zooMutex(z) })
	spawn(1, func() { zooRLock(z) })
	spawn(1, func() { zooWaitGroup(z) })
	spawn(1, func() { zooCond(z) })
	spawn(1, func() { zooSleep(z) })
	spawn(1, func() { zooLocked(z) })
	spawn(1, func() { zooDeep(z, 150) })
	spawn(1, func() { zooLabelled(z) })
	if withNet {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		go func() {
			c, err := ln.Accept()
			if err == nil {
				defer c.Close()
				<-z.release
			}
		}()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		spawn(1, func() { zooNetRead(z, c) })
	}
	z.ready.Wait()
	// Let the goroutines that signalled readiness reach their park point.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !zooParked(withNet) {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintf(w, "ADDR mutex %#x\n", uintptr(unsafe.Pointer(&z.mu)))
	fmt.Fprintf(w, "ADDR rwmutex %#x\n", uintptr(unsafe.Pointer(&z.rwHeld)))
}

// zooParked reports whether every zoo goroutine is parked at its blocking
// call, judged from a runtime.Stack of all goroutines: none runnable, both
// mutex waiters in the semaphore, and the network reader (withNet) in the
// netpoller rather than still on its way there.
func zooParked(withNet bool) bool {
	buf := make([]byte, 1<<20)
	s := string(buf[:runtime.Stack(buf, true)])
	if strings.Contains(s, "[runnable]") || strings.Count(s, "parser.zooMutex") != 2 || !strings.Contains(s, "sync.runtime_Semacquire") {
		return false
	}
	if !withNet {
		return true
	}
	for _, block := range strings.Split(s, "\n\n") {
		if strings.Contains(block, "parser.zooNetRead") {
			return strings.Contains(block, "[IO wait")
		}
	}
	return false
}

// TestTextChild is the child process body; it only runs when childEnv
// names a mode.
func TestTextChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("child process mode only")
	}
	var z zoo
	switch mode {
	case "stack":
		z.start(os.Stdout, true)
		buf := make([]byte, 8<<20)
		os.Stdout.Write(buf[:runtime.Stack(buf, true)])
	case "stack2":
		// Two dumps of one process in one stream, a log line between.
		z.start(os.Stdout, false)
		buf := make([]byte, 8<<20)
		os.Stdout.Write(buf[:runtime.Stack(buf, true)])
		fmt.Fprintf(os.Stdout, "2026/11/23 11:04:05 dumping again\n")
		os.Stdout.Write(buf[:runtime.Stack(buf, true)])
	case "pprof":
		z.start(os.Stdout, true)
		_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
	case "panic":
		z.start(os.Stdout, false)
		panic("boom")
	case "repanic":
		z.start(os.Stdout, false)
		defer func() {
			r := recover()
			panic(fmt.Sprint(r, " again"))
		}()
		panic("first")
	case "sigquit":
		z.start(os.Stdout, true)
		fmt.Fprintln(os.Stdout, "READY")
		<-z.release
	case "deadlock":
		z.ch = make(chan int)
		go func() { <-z.ch }()
		select {}
	case "synctest":
		synctest.Test(t, func(t *testing.T) {
			ch := make(chan int)
			var mu sync.Mutex
			cond := sync.NewCond(&mu)
			go zooBubbleRecv(ch)
			go zooBubbleCond(&mu, cond)
			synctest.Wait()
			buf := make([]byte, 1<<20)
			os.Stdout.Write(buf[:runtime.Stack(buf, true)])
			close(ch)
			mu.Lock()
			cond.Broadcast()
			mu.Unlock()
		})
	case "hang":
		z.start(os.Stdout, false)
		<-z.release
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
}

// childDump is the output of one child run.
type childDump struct {
	stdout, stderr []byte
	addrs          map[string]uint64
}

// runChild runs the test binary as a child in mode with extra environment
// and returns its output. sigquit sends SIGQUIT once the child prints
// READY. The child is expected to fail for panics, deadlocks and signals.
func runChild(t *testing.T, mode string, sigquit bool, args []string, env ...string) childDump {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a child process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if args == nil {
		args = []string{"-test.run=^TestTextChild$", "-test.timeout=0"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "GOTRACEBACK=all")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stderr = &stderr
	if !sigquit {
		cmd.Stdout = &stdout
		_ = cmd.Run()
	} else {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout = pw
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		buf := make([]byte, 4096)
		for !bytes.Contains(stdout.Bytes(), []byte("READY\n")) {
			n, err := pr.Read(buf)
			stdout.Write(buf[:n])
			if err != nil {
				t.Fatalf("child ended before READY: %v\n%s", err, stderr.String())
			}
		}
		if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		pr.Close()
	}
	d := childDump{stdout: stdout.Bytes(), stderr: stderr.Bytes(), addrs: map[string]uint64{}}
	for _, m := range regexp.MustCompile(`(?m)^ADDR (\S+) 0x([0-9a-f]+)$`).FindAllSubmatch(d.stdout, -1) {
		var v uint64
		fmt.Sscanf(string(m[2]), "%x", &v)
		d.addrs[string(m[1])] = v
	}
	return d
}

// headerLine matches goroutine headers as the runtime prints them.
var headerLine = regexp.MustCompile(`(?m)^goroutine \d+ .*\]:\r?$`)

// countHeaders counts goroutine headers in raw dump text.
func countHeaders(b []byte) int { return len(headerLine.FindAllIndex(b, -1)) }
