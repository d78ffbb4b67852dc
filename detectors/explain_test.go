package detectors

import (
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
	"github.com/ctxhole/ctxhole/parser"
)

// TestLockCycleTitle checks the lock-cycle fixture's title counts the
// goroutines in the cycle (two transfers, each holding one account) apart
// from the balance readers queued behind them.
func TestLockCycleTitle(t *testing.T) {
	path := testrepo.Path(t, "fixtures", "captures", "lock-cycle", "goroutine-debug2.txt")
	c, err := parser.Load([]string{path}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(c, Options{})
	if err != nil || len(r.Findings) == 0 {
		t.Fatalf("Analyze: %v", err)
	}
	f := r.Findings[0]
	want := "Lock-order deadlock: 2 goroutines each hold a lock the other wants; 10 more queue behind them"
	if f.Category != CatLockCycle || !strings.HasPrefix(f.Title, want) {
		t.Errorf("first finding %s %q, want lock-cycle %q", f.Category, f.Title, want)
	}
}
