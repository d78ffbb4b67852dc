package detectors

import (
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// dumpWith builds a debug=2-like snapshot: n runnable goroutines in
// main.crunch started by main.start, a ticker loop waiting on its channel,
// and the goroutine running the dump.
func dumpWith(n int, firedDeadline bool) *parser.Capture {
	var gs []*parser.Goroutine
	for i := range n {
		gs = append(gs, &parser.Goroutine{ID: int64(100 + i), Count: 1, Status: parser.StatusRunnable, State: "runnable",
			Frames: []parser.Frame{
				{Func: "crypto/sha256.block", File: "sha256block.go", Line: 10},
				{Func: "main.crunch", File: "main.go", Line: 40},
				{Func: "main.start.gowrap1", File: "main.go", Line: 30},
			},
			CreatedBy: &parser.CreatedBy{Func: "main.start", Parent: 1}})
	}
	gs = append(gs,
		&parser.Goroutine{ID: 1, Count: 1, Status: parser.StatusWaiting, State: rIOWait, Reason: rIOWait,
			Frames: []parser.Frame{{Func: "internal/poll.runtime_pollWait"}, {Func: "net.(*TCPListener).Accept"}, {Func: "net/http.(*Server).Serve"}, {Func: "main.main"}}},
		&parser.Goroutine{ID: 7, Count: 1, Status: parser.StatusWaiting, State: rChanRecv, Reason: rChanRecv,
			Frames:    []parser.Frame{{Func: "runtime.gopark"}, {Func: "runtime.chanrecv1"}, {Func: "main.(*server).flushMetrics", File: "main.go", Line: 90}},
			CreatedBy: &parser.CreatedBy{Func: "main.serve", Parent: 1}},
	)
	if firedDeadline {
		gs = append(gs, &parser.Goroutine{ID: 300, Count: 1, Status: parser.StatusRunnable, State: "runnable",
			Frames: []parser.Frame{{Func: "context.WithDeadlineCause.func2", File: "context.go", Line: 700}, {Func: "time.goFunc"}}})
	}
	return &parser.Capture{Snapshots: []*parser.Snapshot{{Source: parser.Source{Format: parser.FormatGoroutineText}, Goroutines: gs}}}
}

// From a dump alone, starvation is a guess and says so; a ticker loop
// waiting for its next tick is never a finding.
func TestDumpStarvationIsAGuess(t *testing.T) {
	r, err := Analyze(dumpWith(24, true), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || r.Findings[0].Category != CatSchedStarvation {
		t.Fatalf("want a sched-starvation finding first\n%s", describe(r, 4))
	}
	f := r.Findings[0]
	if f.Confidence > 0.65 || f.Severity > SevMedium || !strings.HasPrefix(f.Title, "Likely") {
		t.Errorf("a dump-only starvation must be a stated guess: %s conf %.2f %q", f.Severity, f.Confidence, f.Title)
	}
	if f.Goroutines != 24 || f.Chain[0].Function != "main.crunch" {
		t.Errorf("root %s with %d goroutines, want main.crunch with 24", f.Chain[0].Function, f.Goroutines)
	}
	for _, f := range r.Findings {
		if rootHasFunction(f, "main.(*server).flushMetrics") {
			t.Errorf("the ticker loop is a finding: %s", f.Title)
		}
	}
}

// A handful of runnable goroutines is a busy moment, not starvation.
func TestDumpStarvationNeedsAPile(t *testing.T) {
	r, err := Analyze(dumpWith(4, false), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Category == CatSchedStarvation {
			t.Errorf("4 runnable goroutines reported as starvation: %s", f.Title)
		}
	}
}
