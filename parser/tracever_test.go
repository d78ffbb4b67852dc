package parser

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// blocksIn returns the goroutines with a block (closed or open) inside fn,
// and those blocks.
func blocksIn(tr *Trace, fn string) map[*TraceGoroutine][]BlockInterval {
	in := func(frames []Frame) bool {
		for _, f := range frames {
			if f.Func == fn {
				return true
			}
		}
		return false
	}
	out := make(map[*TraceGoroutine][]BlockInterval)
	for _, g := range tr.Goroutines {
		for _, b := range g.Blocks {
			if in(b.Frames) {
				out[g] = append(out[g], b)
			}
		}
		if g.Stuck != nil && in(g.Stuck.Frames) {
			out[g] = append(out[g], *g.Stuck)
		}
	}
	return out
}

// The same scenario recorded by six Go releases (testdata/exectrace): the
// old trace format (1.19, 1.21, converted by golang.org/x/exp/trace) and the
// generational one (1.22 on) give the same blocks, wakers and reasons. Only
// the stacks of goroutines blocked before the trace began need Go 1.23.
func TestReadTraceGoVersions(t *testing.T) {
	for _, minor := range []int{19, 21, 22, 23, 25, 26} {
		name := fmt.Sprintf("go1.%d.trace", minor)
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "exectrace", name))
			if err != nil {
				t.Skip(err)
			}
			defer f.Close()
			tr, err := ReadTrace(f, Source{File: name})
			if err != nil {
				t.Fatal(err)
			}
			if tr.Version != fmt.Sprintf("go1.%d", minor) || tr.Truncated || len(tr.Warnings) > 0 {
				t.Fatalf("version %q truncated %v warnings %v", tr.Version, tr.Truncated, tr.Warnings)
			}
			one := func(fn string) (*TraceGoroutine, BlockInterval) {
				t.Helper()
				m := blocksIn(tr, fn)
				if len(m) != 1 {
					t.Fatalf("%d goroutines blocked in %s, want 1", len(m), fn)
				}
				for g, bs := range m {
					return g, bs[len(bs)-1]
				}
				panic("unreachable")
			}

			holder, read := one("main.holder")
			if read.Reason != "IO wait" || read.Waker.Kind != WakeNetpoll || read.Open() {
				t.Errorf("holder: %q woken by %v, want an IO wait ended by the poller", read.Reason, read.Waker.Kind)
			}
			if d := read.End - read.Start; d < 240*time.Millisecond || d > 2*time.Second {
				t.Errorf("holder blocked %v, want about 300ms", d)
			}

			waiters := blocksIn(tr, "main.waiter")
			byHolder := 0
			for g, bs := range waiters {
				b := bs[len(bs)-1]
				if b.Reason != "sync.Mutex.Lock" || b.Waker.Kind != WakeGoroutine {
					t.Errorf("waiter G%d: %q woken by %v", g.ID, b.Reason, b.Waker.Kind)
				}
				if b.Waker.Goroutine == holder.ID {
					byHolder++
					if p := b.Waker.Prior; p == nil || p.Reason != "IO wait" || p.End != read.End {
						t.Errorf("waiter G%d: holder's prior block %+v, want its read", g.ID, p)
					}
				}
			}
			if len(waiters) != 4 || byHolder != 1 {
				t.Errorf("%d waiters, %d woken by the holder; want 4 and 1", len(waiters), byHolder)
			}

			if _, b := one("main.deadline"); b.Waker.Kind != WakeDeadline {
				t.Errorf("deadline waiter woken by %v", b.Waker.Kind)
			}
			_, b := one("main.canceled")
			cancel := false
			for _, f := range b.Waker.Frames {
				cancel = cancel || strings.HasPrefix(f.Func, "context.WithCancel.func")
			}
			if b.Waker.Kind != WakeGoroutine || !cancel {
				t.Errorf("canceled waiter woken by %v from %v", b.Waker.Kind, b.Waker.Frames)
			}

			if minor < 23 {
				// Before Go 1.23 a trace states the status of goroutines
				// blocked when it began without their stack: they are
				// stuck since before the start, stack unknown.
				if len(blocksIn(tr, "main.preBlocked")) != 0 {
					t.Error("a stack for a goroutine blocked before the trace, which this format does not record")
				}
				n := 0
				for _, g := range tr.Goroutines {
					if g.Stuck != nil && g.Stuck.BeforeStart && len(g.Stuck.Frames) == 0 && g.BeforeStart {
						n++
					}
				}
				if n == 0 {
					t.Error("no goroutine stuck since before the trace")
				}
				return
			}
			pre, stuck := one("main.preBlocked")
			if !stuck.Open() || !stuck.BeforeStart || stuck.Reason != "IO wait" || !pre.BeforeStart {
				t.Errorf("preBlocked: %+v, want blocked in IO since before the trace", stuck)
			}
		})
	}
}
