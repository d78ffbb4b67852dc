package parser

import (
	"os"
	"strings"
	"testing"
)

// TestGroupKeyAcrossTracebackLevels checks that one leak seen through
// /debug/pprof/goroutine?debug=2 and through the same process's SIGQUIT
// dump (which prints runtime frames and go-statement wrappers) is one
// group.
func TestGroupKeyAcrossTracebackLevels(t *testing.T) {
	dir := "../fixtures/captures/goroutine-leak/"
	keyOf := func(file string) (string, int) {
		f, err := os.Open(dir + file)
		if err != nil {
			t.Skipf("fixture absent: %v", err)
		}
		defer f.Close()
		snaps, err := ReadText(f, file)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range GroupGoroutines(snaps[len(snaps)-1].Goroutines) {
			for _, fr := range g.Frames {
				if strings.HasSuffix(fr.Func, "notifyOnShip") {
					return g.Key(), g.Count
				}
			}
		}
		t.Fatalf("%s: no notifyOnShip group", file)
		return "", 0
	}
	k2, n2 := keyOf("goroutine-debug2.3.txt")
	kq, nq := keyOf("sigquit.txt")
	if k2 != kq {
		t.Errorf("keys differ:\n debug=2: %s\n SIGQUIT: %s", k2, kq)
	}
	if strings.Contains(k2, "runtime.") || strings.Contains(kq, "gowrap") {
		t.Errorf("key keeps frames some tracebacks hide: %s", kq)
	}
	if nq < n2 {
		t.Errorf("SIGQUIT (later) has %d leaked goroutines, debug=2 has %d: the leak only grows", nq, n2)
	}
}

func TestGroupGoroutinesIgnoresParentAndArgs(t *testing.T) {
	frames := func(arg uint64) []Frame {
		return []Frame{{Func: "main.worker", File: "main.go", Line: 10, Args: []Arg{{Value: arg}}}}
	}
	gs := []*Goroutine{
		{ID: 7, Count: 1, Status: StatusWaiting, Reason: "chan send", Frames: frames(1), CreatedBy: &CreatedBy{Func: "main.start", File: "main.go", Line: 3, Parent: 1}, WaitKnown: true, Wait: 3 * 60e9},
		{ID: 5, Count: 1, Status: StatusWaiting, Reason: "chan send", Frames: frames(2), CreatedBy: &CreatedBy{Func: "main.start", File: "main.go", Line: 3, Parent: 9}},
		{ID: 6, Count: 1, Status: StatusWaiting, Reason: "chan receive", Frames: frames(1)},
	}
	groups := GroupGoroutines(gs)
	if len(groups) != 2 {
		t.Fatalf("got %d groups, want 2", len(groups))
	}
	g := groups[0]
	if g.Count != 2 || g.IDs[0] != 5 || g.IDs[1] != 7 || g.WaitKnown != 1 || g.WaitMax != 3*60e9 {
		t.Errorf("group = count %d ids %v known %d max %v", g.Count, g.IDs, g.WaitKnown, g.WaitMax)
	}
}
