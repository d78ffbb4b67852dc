package parser

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// The convoy trace is recorded once per test binary: recording takes about
// 200 ms and every test reads the same bytes.
var (
	convoyOnce  sync.Once
	convoyBytes []byte
)

func convoyTrace(t *testing.T) []byte {
	t.Helper()
	convoyOnce.Do(func() { convoyBytes = recordConvoy(t) })
	if len(convoyBytes) == 0 {
		t.Skip("no trace recorded")
	}
	return convoyBytes
}

func readConvoy(t *testing.T) *Trace {
	t.Helper()
	tr, err := ReadTrace(bytes.NewReader(convoyTrace(t)), Source{File: "convoy.trace"})
	if err != nil {
		t.Fatalf("ReadTrace: %v", err)
	}
	return tr
}

// hasFrame reports whether frames hold a function of this package named fn.
func hasFrame(frames []Frame, fn string) bool {
	for _, f := range frames {
		if f.Func == "github.com/ctxhole/ctxhole/parser."+fn {
			return true
		}
	}
	return false
}

// goroutinesIn returns the trace goroutines that blocked inside fn.
func goroutinesIn(tr *Trace, fn string) []*TraceGoroutine {
	var out []*TraceGoroutine
	for _, g := range tr.Goroutines {
		found := g.Stuck != nil && hasFrame(g.Stuck.Frames, fn)
		for _, b := range g.Blocks {
			found = found || hasFrame(b.Frames, fn)
		}
		if found {
			out = append(out, g)
		}
	}
	return out
}

// oneIn returns the single goroutine that blocked inside fn.
func oneIn(t *testing.T, tr *Trace, fn string) *TraceGoroutine {
	t.Helper()
	gs := goroutinesIn(tr, fn)
	if len(gs) != 1 {
		t.Fatalf("%d goroutines blocked in %s, want 1", len(gs), fn)
	}
	return gs[0]
}

// blockIn returns g's closed block inside fn with the given reason.
func blockIn(t *testing.T, g *TraceGoroutine, fn, reason string) BlockInterval {
	t.Helper()
	for _, b := range g.Blocks {
		if hasFrame(b.Frames, fn) && b.Reason == reason {
			return b
		}
	}
	t.Fatalf("G%d has no %q block in %s; blocks: %+v", g.ID, reason, fn, g.Blocks)
	return BlockInterval{}
}

func TestReadTraceHeader(t *testing.T) {
	tr := readConvoy(t)
	if tr.Truncated || len(tr.Warnings) > 0 {
		t.Fatalf("clean trace: truncated=%v warnings=%v", tr.Truncated, tr.Warnings)
	}
	if tr.Version != "go1.26" {
		t.Errorf("Version = %q, want go1.26 (the toolchain running the test)", tr.Version)
	}
	if tr.Generations < 1 || tr.Events < 100 || tr.Procs < 1 {
		t.Errorf("generations=%d events=%d procs=%d: too few", tr.Generations, tr.Events, tr.Procs)
	}
	if tr.Duration < holdFor || tr.Duration > 10*time.Second {
		t.Errorf("Duration = %v, want between %v and 10s", tr.Duration, holdFor)
	}
	if tr.Source.Format != FormatExecTrace || tr.Source.File != "convoy.trace" {
		t.Errorf("Source = %+v", tr.Source)
	}
	for i := 1; i < len(tr.Goroutines); i++ {
		if tr.Goroutines[i-1].ID >= tr.Goroutines[i].ID {
			t.Fatalf("goroutines not in ascending ID order at %d", i)
		}
	}
}

func TestReadTraceMutexHolderAndWaiters(t *testing.T) {
	tr := readConvoy(t)
	holder := oneIn(t, tr, "convoyHolder")
	read := blockIn(t, holder, "convoyHolder", "IO wait")
	if read.Waker.Kind != WakeNetpoll || read.Waker.Goroutine != 0 {
		t.Errorf("holder's read woken by %v G%d, want the network poller", read.Waker.Kind, read.Waker.Goroutine)
	}
	// The upper bound only guards against nonsense: a loaded machine
	// delays the peer's answer, never hurries it.
	if d := read.End - read.Start; d < holdFor*8/10 || d > holdFor+5*time.Second {
		t.Errorf("holder blocked %v on the network, want about %v", d, holdFor)
	}
	if holder.CreatedBy == nil || holder.CreatedBy.Parent == 0 || holder.BeforeStart {
		t.Errorf("holder creation not recorded: %+v beforeStart=%v", holder.CreatedBy, holder.BeforeStart)
	}

	waiters := goroutinesIn(tr, "convoyWaiter")
	if len(waiters) != nWaiters {
		t.Fatalf("%d waiters, want %d", len(waiters), nWaiters)
	}
	byHolder := 0
	for _, w := range waiters {
		b := blockIn(t, w, "convoyWaiter", "sync.Mutex.Lock")
		if b.Waker.Kind != WakeGoroutine {
			t.Errorf("waiter G%d woken by %v, want a goroutine", w.ID, b.Waker.Kind)
		}
		// The holder takes the lock, lets the waiters go and then reads:
		// a waiter may queue just before the read begins (always, under
		// the race detector), but it is blocked across the read's end.
		if b.Start > read.End || b.End < read.End {
			t.Errorf("waiter G%d blocked %v..%v, not across the end of the holder's read %v..%v", w.ID, b.Start, b.End, read.Start, read.End)
		}
		if b.Waker.Goroutine != holder.ID {
			continue
		}
		byHolder++
		// What the holder did before releasing the lock: the read.
		p := b.Waker.Prior
		if p == nil || p.Reason != "IO wait" || p.Start != read.Start || p.End != read.End {
			t.Errorf("waiter G%d: waker's prior block = %+v, want the holder's read %v..%v", w.ID, p, read.Start, read.End)
		}
		if !hasFrame(b.Waker.Frames, "convoyHolder") {
			t.Errorf("waiter G%d: waker stack has no convoyHolder frame: %v", w.ID, b.Waker.Frames)
		}
	}
	if byHolder != 1 {
		t.Errorf("%d waiters woken by the holder, want exactly 1 (Unlock hands off to one waiter)", byHolder)
	}

	// The five lock waits are one site, all ended by goroutines.
	var site *WaitSite
	for _, s := range tr.Sites {
		if hasFrame(s.Frames, "convoyWaiter") && s.Reason == "sync.Mutex.Lock" {
			site = s
		}
	}
	if site == nil || site.Waits != nWaiters || site.ByGoroutine != nWaiters || site.NeverWoken != 0 {
		t.Fatalf("lock site = %+v, want %d waits all ended by goroutines", site, nWaiters)
	}
	// And the edges from the lock site add up to the same waits.
	n := 0
	for _, e := range tr.Edges {
		if hasFrame(e.WaiterFrames, "convoyWaiter") {
			n += e.Count
			if e.Kind != WakeGoroutine || len(e.Waiters) == 0 || len(e.Wakers) == 0 {
				t.Errorf("lock edge %+v: want goroutine wakes with sample IDs", e)
			}
		}
	}
	if n != nWaiters {
		t.Errorf("lock edges count %d wakes, want %d", n, nWaiters)
	}
}

func TestReadTraceDeadlineAndCancel(t *testing.T) {
	tr := readConvoy(t)
	dl := oneIn(t, tr, "deadlineWaiter")
	b := blockIn(t, dl, "deadlineWaiter", "chan receive")
	if b.Waker.Kind != WakeDeadline {
		t.Errorf("deadline waiter woken by %v, want deadline", b.Waker.Kind)
	}
	if d := b.End - b.Start; d < deadlineAfter*8/10 || d > deadlineAfter+5*time.Second {
		t.Errorf("deadline waiter blocked %v, want about %v", d, deadlineAfter)
	}

	cw := oneIn(t, tr, "cancelWaiter")
	b = blockIn(t, cw, "cancelWaiter", "chan receive")
	if b.Waker.Kind != WakeGoroutine || b.Waker.Goroutine == 0 {
		t.Errorf("cancel waiter woken by %v G%d, want the cancelling goroutine", b.Waker.Kind, b.Waker.Goroutine)
	}
	cancelled := false
	for _, f := range b.Waker.Frames {
		cancelled = cancelled || strings.HasPrefix(f.Func, "context.WithCancel.func")
	}
	if !cancelled {
		t.Errorf("canceller's stack has no cancel function: %v", b.Waker.Frames)
	}

	var deadlineSite, cancelSite *WaitSite
	for _, s := range tr.Sites {
		// A GC assist inside the waiter (it allocates the Done channel)
		// is a site of its own; only the receive is of interest.
		switch {
		case s.Reason != "chan receive":
		case hasFrame(s.Frames, "deadlineWaiter"):
			deadlineSite = s
		case hasFrame(s.Frames, "cancelWaiter"):
			cancelSite = s
		}
	}
	if deadlineSite == nil || deadlineSite.ByTimer != 1 || deadlineSite.ByDeadline != 1 {
		t.Errorf("deadline site = %+v, want one wait ended by its deadline", deadlineSite)
	}
	if cancelSite == nil || cancelSite.ByGoroutine != 1 || cancelSite.ByTimer != 0 {
		t.Errorf("cancel site = %+v, want one wait ended by a goroutine", cancelSite)
	}
}

func TestReadTraceStuckSinceBeforeStart(t *testing.T) {
	tr := readConvoy(t)
	for _, tc := range []struct {
		fn, reason string
	}{
		{"strandedReceiver", "chan receive"},
		{"preBlockedReader", "IO wait"},
	} {
		g := oneIn(t, tr, tc.fn)
		if g.Stuck == nil {
			t.Errorf("%s: not stuck", tc.fn)
			continue
		}
		s := g.Stuck
		if !s.BeforeStart || s.Start != 0 || !s.Open() || s.Reason != tc.reason || !g.BeforeStart {
			t.Errorf("%s: stuck = %+v, want open since before the start with reason %q", tc.fn, s, tc.reason)
		}
		if s.Frames[0].Func != "runtime.gopark" {
			t.Errorf("%s: status stack starts at %s, want runtime.gopark", tc.fn, s.Frames[0].Func)
		}
		if g.EndStatus != StatusWaiting {
			t.Errorf("%s: end status %v, want waiting", tc.fn, g.EndStatus)
		}
		if len(g.Blocks) != 0 {
			t.Errorf("%s: %d closed blocks, want none (the status is restated each generation)", tc.fn, len(g.Blocks))
		}
	}
}

func TestReadTraceRejectsNonTraces(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"goroutine dump", "goroutine 1 [running]:\nmain.main()\n"},
		{"header only", "go 1.26 trace\x00\x00\x00"},
		{"unknown version", "go 1.99 trace\x00\x00\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ReadTrace(strings.NewReader(tc.data), Source{File: "bad.out"})
			var perr *Error
			if err == nil || !errors.As(err, &perr) || perr.File != "bad.out" {
				t.Fatalf("ReadTrace = %v, %v; want a *parser.Error naming the file", tr, err)
			}
		})
	}
}
