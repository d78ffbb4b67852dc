package parser

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// This file parks goroutines at known places so that the profiles the
// running runtime writes about them (debug=1, protobuf, mutex, block) have
// records whose counts, labels, functions and lines are known exactly.

const fxPkg = "github.com/ctxhole/ctxhole/parser."

// fxPark is a set of goroutines parked at known lines.
type fxPark struct {
	ch    chan int
	done  chan struct{}
	mu    sync.Mutex
	wg    sync.WaitGroup
	lines map[string]int // blocking line by function
	linem sync.Mutex
}

func (p *fxPark) setLine(fn string, line int) {
	p.linem.Lock()
	p.lines[fn] = line
	p.linem.Unlock()
}

// The blocking statement of each function is two lines below its
// runtime.Caller call.

func fxRecv(p *fxPark) {
	_, _, l, _ := runtime.Caller(0)
	p.setLine("fxRecv", l+2)
	<-p.ch
}

func fxLock(p *fxPark) {
	_, _, l, _ := runtime.Caller(0)
	p.setLine("fxLock", l+2)
	p.mu.Lock()
	//lint:ignore SA2001 only the wait matters; unlocking lets the next waiter go at cleanup
	p.mu.Unlock()
}

func fxSelect(p *fxPark) {
	_, _, l, _ := runtime.Caller(0)
	p.setLine("fxSelect", l+2)
	select {
	case <-p.ch:
	case <-p.done:
	}
}

func fxWait(p *fxPark) {
	_, _, l, _ := runtime.Caller(0)
	p.setLine("fxWait", l+2)
	p.wg.Wait()
}

// fxStart parks 3 labelled goroutines in fxRecv, 2 in fxLock, 1 in fxSelect
// and 1 in fxWait, and releases them when the test ends.
func fxStart(t testing.TB) *fxPark {
	p := &fxPark{ch: make(chan int), done: make(chan struct{}), lines: map[string]int{}}
	p.mu.Lock()
	p.wg.Add(1)
	labels := pprof.Labels("fx", "recv", "tenant", "a b")
	for range 3 {
		go pprof.Do(context.Background(), labels, func(context.Context) { fxRecv(p) })
	}
	for range 2 {
		go fxLock(p)
	}
	go fxSelect(p)
	go fxWait(p)
	t.Cleanup(func() {
		close(p.done)
		close(p.ch)
		p.mu.Unlock()
		p.wg.Done()
	})
	fxWaitParked(t, map[string]int{"fxRecv": 3, "fxLock": 2, "fxSelect": 1, "fxWait": 1})
	return p
}

// fxWaitParked waits until the named functions have the given numbers of
// parked goroutines, judged from runtime.Stack's dump.
func fxWaitParked(t testing.TB, want map[string]int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); ; {
		n := runtime.Stack(buf, true)
		got := map[string]int{}
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "[running]") || strings.Contains(g, "[runnable]") {
				continue
			}
			for fn := range want {
				if strings.Contains(g, fxPkg+fn+"(") {
					got[fn]++
				}
			}
		}
		ok := true
		for fn, n := range want {
			ok = ok && got[fn] == n
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines did not park: got %v, want %v", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func (p *fxPark) line(fn string) int {
	p.linem.Lock()
	defer p.linem.Unlock()
	return p.lines[fn]
}

// fxProfile writes the named runtime profile at the debug level.
func fxProfile(t testing.TB, name string, debug int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pprof.Lookup(name).WriteTo(&b, debug); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fxFind returns the goroutine records having fn (unqualified, in this
// package) among their frames.
func fxFind(gs []*Goroutine, fn string) []*Goroutine {
	var out []*Goroutine
	for _, g := range gs {
		if fxFrame(g.Frames, fn) >= 0 {
			out = append(out, g)
		}
	}
	return out
}

// fxFrame returns the index of the frame of fn in frames, or -1.
func fxFrame(frames []Frame, fn string) int {
	for i, f := range frames {
		if f.Func == fxPkg+fn {
			return i
		}
	}
	return -1
}

// fxWrite writes data to a file in dir and returns its path.
func fxWrite(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fxRepoRoot finds the repository root by walking up to go.mod.
func fxRepoRoot(t testing.TB) string {
	t.Helper()
	return testrepo.MustRoot(t)
}

// fxRealworld returns the path of a shared real-world capture, skipping the
// test when it is absent.
func fxRealworld(t testing.TB, name string) string {
	t.Helper()
	return testrepo.RealWorld(t, name)
}
