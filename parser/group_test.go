package parser

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
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
	withFrames := func(g *Goroutine, arg uint64) *Goroutine {
		g.SetStack([]Frame{{Func: "main.worker", File: "main.go", Line: 10}}, [][]Arg{{{Value: arg}}})
		return g
	}
	gs := []*Goroutine{
		withFrames(&Goroutine{ID: 7, Count: 1, Status: StatusWaiting, Reason: "chan send", CreatedBy: &CreatedBy{Func: "main.start", File: "main.go", Line: 3, Parent: 1}, WaitKnown: true, Wait: 3 * 60e9}, 1),
		withFrames(&Goroutine{ID: 5, Count: 1, Status: StatusWaiting, Reason: "chan send", CreatedBy: &CreatedBy{Func: "main.start", File: "main.go", Line: 3, Parent: 9}}, 2),
		withFrames(&Goroutine{ID: 6, Count: 1, Status: StatusWaiting, Reason: "chan receive"}, 1),
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

// TestGroupParallelSame: grouping on several goroutines gives the groups,
// members, IDs, counts, waits and order of grouping on one.
func TestGroupParallelSame(t *testing.T) {
	const n = 5 * minParallelGroup
	rng := rand.New(rand.NewPCG(1, 2))
	gs := make([]*Goroutine, n)
	for i := range gs {
		stack := rng.IntN(300)
		g := &Goroutine{ID: int64(n - i), Count: 1, Status: StatusWaiting, Reason: "chan receive", LockedToThread: rng.IntN(50) == 0}
		if rng.IntN(3) > 0 {
			g.Wait, g.WaitKnown = time.Duration(rng.IntN(90))*time.Minute, true
		}
		var frames []Frame
		var args [][]Arg
		for d := range 1 + stack%7 {
			frames = append(frames, Frame{Func: fmt.Sprintf("main.f%d", stack/7+d), File: "/src/main.go", Line: 10 + d})
			args = append(args, []Arg{{Value: uint64(i)}})
		}
		g.SetStack(frames, args)
		gs[i] = g
	}
	want := GroupGoroutines(gs)
	for _, workers := range []int{2, 3, 8} {
		if got := groupParallel(gs, workers); !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: %d groups, want %d (or members, waits or order differ)", workers, len(got), len(want))
		}
	}
	s := &Snapshot{Goroutines: gs, groups: new(groupCache)}
	if first, again := s.Groups(), s.Groups(); &first[0] != &again[0] || !reflect.DeepEqual(first, want) {
		t.Error("Snapshot.Groups is not computed once, or differs from GroupGoroutines")
	}
}
