package parser

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// leakedIDs returns the IDs of the goroutines marked leaked, sorted.
func leakedIDs(s *Snapshot) []int64 {
	var ids []int64
	for _, g := range s.Goroutines {
		if g.Status == StatusLeaked {
			ids = append(ids, g.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// A goroutine dump taken before any leak detection ran, read with the
// goroutineleak profile the same process served right after it (proto or
// debug=1): the profile is not another moment, and the goroutines it
// proves leaked are marked in the dump, exactly those the runtime itself
// marked "(leaked)" in its debug=2 form.
func TestLeakProfileMarksSnapshot(t *testing.T) {
	want := leakedIDs(vtText(t, filepath.Join("go"+vtLatest, "leak-debug2.txt")))
	if len(want) < 7 {
		t.Fatalf("the runtime marked %d goroutines leaked, want at least 7", len(want))
	}
	for _, leak := range []string{"leak.pb.gz", "leak-debug1.txt"} {
		t.Run(leak, func(t *testing.T) {
			dir := filepath.Join(vtDir(t), "go"+vtLatest)
			c, err := Load([]string{filepath.Join(dir, "leak-goroutine-debug2.txt"), filepath.Join(dir, leak)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Snapshots) != 1 || len(c.LeakProfiles) != 1 || len(c.Moments()) != 1 {
				t.Fatalf("%d snapshots, %d leak profiles, %d moments; want 1, 1, 1", len(c.Snapshots), len(c.LeakProfiles), len(c.Moments()))
			}
			if got := leakedIDs(c.Snapshots[0]); !slices.Equal(got, want) {
				t.Errorf("marked leaked %v, want the runtime's own marks %v", got, want)
			}
		})
	}
}

// Alone, a leak profile is all there is to analyse: it stays a snapshot.
func TestLeakProfileAlone(t *testing.T) {
	c, err := Load([]string{filepath.Join(vtDir(t), "go"+vtLatest, "leak.pb.gz")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 1 || len(c.LeakProfiles) != 0 || !c.Snapshots[0].LeakProfile {
		t.Fatalf("%d snapshots, %d leak profiles", len(c.Snapshots), len(c.LeakProfiles))
	}
	if n := c.Snapshots[0].Count(); n < 7 {
		t.Errorf("%d goroutines, want at least 7", n)
	}
}

// markLeaked marks as many goroutines of a stack as the profile proves,
// longest waits first, counts the runtime's own marks, leaves other stacks
// and running goroutines alone, and splits an aggregated record; a
// snapshot taken before the profile is not covered.
func TestMarkLeaked(t *testing.T) {
	stack := func(fn string) []Frame { return []Frame{{Func: "runtime.gopark"}, {Func: fn, File: "/a.go", Line: 3}} }
	g := func(id int64, fn string, st Status, wait time.Duration) *Goroutine {
		return &Goroutine{ID: id, Count: 1, Status: st, Frames: stack(fn), Wait: wait}
	}
	snap := &Snapshot{Goroutines: []*Goroutine{
		g(1, "main.f", StatusWaiting, 0), g(2, "main.f", StatusWaiting, 5*time.Minute), g(3, "main.f", StatusWaiting, time.Minute),
		g(4, "main.g", StatusLeaked, 0), g(5, "main.g", StatusWaiting, 0),
		g(6, "main.h", StatusRunning, 0), g(7, "main.other", StatusWaiting, 0),
	}}
	agg := &Snapshot{Goroutines: []*Goroutine{{Count: 10, Status: StatusWaiting, Frames: stack("main.f")}}}
	leak := &Snapshot{LeakProfile: true, Source: Source{Time: time.Unix(100, 0)}, Goroutines: []*Goroutine{
		{Count: 2, Status: StatusLeaked, Frames: stack("main.f")[1:]},
		{Count: 1, Status: StatusLeaked, Frames: stack("main.g")[1:]},
		{Count: 1, Status: StatusLeaked, Frames: stack("main.h")[1:]},
	}}
	before := &Snapshot{Source: Source{Time: time.Unix(10, 0)}, Goroutines: []*Goroutine{g(1, "main.f", StatusWaiting, 0)}}
	c := &Capture{Snapshots: []*Snapshot{before, snap, leak, agg}}
	c.takeLeakProfiles()
	c.markLeakProfiles()
	if got := leakedIDs(snap); !slices.Equal(got, []int64{2, 3, 4}) {
		t.Errorf("marked %v, want [2 3 4]", got)
	}
	counts := map[Status]int{}
	for _, r := range agg.Goroutines {
		counts[r.Status] += r.Count
	}
	if want := map[Status]int{StatusLeaked: 2, StatusWaiting: 8}; !maps.Equal(counts, want) || len(agg.Goroutines) != 2 {
		t.Errorf("aggregated record split into %v (%d records), want %v", counts, len(agg.Goroutines), want)
	}
	if len(leakedIDs(before)) != 0 {
		t.Errorf("a snapshot taken before the profile was marked")
	}
}
