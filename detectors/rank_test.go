package detectors

import (
	"slices"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// handlerStack is a request-scoped stack blocked in an outbound HTTP call.
func handlerStack() []parser.Frame {
	return []parser.Frame{
		{Func: "net/http.(*persistConn).roundTrip", File: "net/http/transport.go", Line: 2911},
		{Func: "net/http.(*Client).Do", File: "net/http/client.go", Line: 592},
		{Func: "main.(*api).quote", File: "main.go", Line: 40},
		{Func: "net/http.HandlerFunc.ServeHTTP", File: "net/http/server.go", Line: 2286},
		{Func: "net/http.(*conn).serve", File: "net/http/server.go", Line: 2067},
	}
}

// goroutinesOf makes n goroutines with the given stack, state and wait.
// args, when given, are the argument words of frames, frame by frame.
func goroutinesOf(first int64, n int, reason string, wait time.Duration, frames []parser.Frame, args ...[]parser.Arg) []*parser.Goroutine {
	out := make([]*parser.Goroutine, n)
	for i := range out {
		out[i] = &parser.Goroutine{ID: first + int64(i), Count: 1, Status: parser.StatusWaiting, State: reason, Reason: reason,
			Wait: wait, WaitKnown: wait > 0, Frames: frames}
		if len(args) > 0 {
			out[i].SetStack(slices.Clone(frames), args)
		}
	}
	return out
}

// word is one argument word, v.
func word(v uint64) []parser.Arg { return []parser.Arg{{Value: v}} }

// wordAt is the argument words of a stack whose frame i alone prints
// one, v.
func wordAt(i int, v uint64) [][]parser.Arg {
	args := make([][]parser.Arg, i+1)
	args[i] = word(v)
	return args
}

// TestSeverityRules checks the grading: waits, waiters, request scope and a
// runtime-declared deadlock raise it; the absence of any wait caps it.
func TestSeverityRules(t *testing.T) {
	lockWaiter := []parser.Frame{
		{Func: "sync.(*Mutex).Lock", File: "sync/mutex.go", Line: 46},
		{Func: "main.(*cache).get", File: "main.go", Line: 20},
	}
	holder := []parser.Frame{
		{Func: "net/http.(*persistConn).roundTrip", File: "net/http/transport.go", Line: 2911},
		{Func: "main.(*cache).get", File: "main.go", Line: 24},
	}
	sleeper := []parser.Frame{
		{Func: "time.Sleep", File: "runtime/time.go", Line: 300},
		{Func: "main.(*api).poll", File: "main.go", Line: 60},
		{Func: "net/http.(*conn).serve", File: "net/http/server.go", Line: 2067},
	}
	tests := []struct {
		name     string
		gs       []*parser.Goroutine
		preamble parser.Preamble
		want     Severity
	}{
		{"request-scoped calls stuck for minutes", goroutinesOf(10, 3, "select", 5*time.Minute, handlerStack()), parser.Preamble{}, SevHigh},
		{"a few calls with no wait printed", goroutinesOf(10, 3, "select", 0, handlerStack()), parser.Preamble{}, SevLow},
		{"convoy of 20 behind a stuck holder", append(goroutinesOf(1, 1, "select", 4*time.Minute, holder),
			goroutinesOf(10, 20, "sync.Mutex.Lock", 3*time.Minute, lockWaiter)...), parser.Preamble{}, SevCritical},
		{"polling with sleep", goroutinesOf(10, 9, "sleep", 3*time.Minute, sleeper), parser.Preamble{}, SevLow},
		{"runtime-declared deadlock", goroutinesOf(10, 1, "sync.Mutex.Lock", 0, lockWaiter),
			parser.Preamble{Fatal: "all goroutines are asleep - deadlock!"}, SevCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: tt.gs, Preamble: tt.preamble}}}
			r, err := Analyze(c, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Findings) == 0 {
				t.Fatal("no finding")
			}
			if got := r.Findings[0].Severity; got != tt.want {
				t.Errorf("severity %s, want %s\n%s", got, tt.want, describe(r, 3))
			}
		})
	}
}

// TestRankPrincipalFirst checks that the root of the larger chain comes
// first, whatever the input order.
func TestRankPrincipalFirst(t *testing.T) {
	lockWaiter := []parser.Frame{
		{Func: "sync.(*Mutex).Lock", File: "sync/mutex.go", Line: 46},
		{Func: "main.(*cache).get", File: "main.go", Line: 20},
	}
	holder := []parser.Frame{
		{Func: "net/http.(*persistConn).roundTrip", File: "net/http/transport.go", Line: 2911},
		{Func: "main.(*cache).get", File: "main.go", Line: 24},
	}
	other := goroutinesOf(100, 4, "select", 5*time.Minute, handlerStack())
	convoy := append(goroutinesOf(1, 1, "select", 5*time.Minute, holder), goroutinesOf(10, 30, "sync.Mutex.Lock", 4*time.Minute, lockWaiter)...)
	for name, gs := range map[string][]*parser.Goroutine{
		"convoy last":  append(append([]*parser.Goroutine(nil), other...), convoy...),
		"convoy first": append(append([]*parser.Goroutine(nil), convoy...), other...),
	} {
		r, err := Analyze(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: gs}}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Findings) < 2 || r.Findings[0].Category != CatMutexConvoy || r.Findings[0].Root.GoroutineID != 1 {
			t.Errorf("%s: principal finding is not the convoy rooted at goroutine 1\n%s", name, describe(r, 3))
		}
		for i := 1; i < len(r.Findings); i++ {
			if r.Findings[i].Score > r.Findings[i-1].Score {
				t.Errorf("%s: findings not in score order", name)
			}
		}
	}
}
