package detectors

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// Go 1.26's goroutine leak detection marks goroutines the garbage collector
// proved can never wake "(leaked)": a root made of them stands proven on
// that, whatever its own stack shows, while a lock queue among them still
// says its holder is unknown (the leak proves the waiter stuck, not who
// holds the lock).
func TestLeakedStatusIsProof(t *testing.T) {
	path := filepath.Join(repoRoot(t), "fixtures", "variants", "captures", "go1.26.8", "leak-debug2.txt")
	d := analyzeLoaded(t, path)
	proven := 0
	for _, f := range d.Findings {
		if f.Root.Group == nil || f.Root.Group.Status != parser.StatusLeaked {
			continue
		}
		if strings.Contains(f.Title, "holder unknown") {
			if f.Root.Grade == GradeProven {
				t.Errorf("%q: a leaked lock waiter with no holder found is graded proven", f.Title)
			}
			continue
		}
		if f.Root.Grade != GradeProven {
			t.Errorf("%q: root of leaked goroutines graded %s (%s), want proven", f.Title, f.Root.Grade, f.Root.Basis)
		}
		if strings.Contains(f.Root.Basis, "leak detection") {
			proven++
		}
	}
	if proven < 3 {
		t.Errorf("%d findings rooted in leaked goroutines proven by the leak detection, want the nil-channel send and receive and the empty select (3)", proven)
	}
}

// A goroutineleak profile lists only goroutines the runtime proved leaked
// and prints no waits: every one of them is in a finding, none excused as
// idle, and a finding of leaked goroutines nothing else explains is a
// proven goroutine-leak.
func TestLeakProfileNothingDropped(t *testing.T) {
	path := filepath.Join(repoRoot(t), "fixtures", "variants", "captures", "go1.26.8", "leak-debug1.txt")
	d := analyzeLoaded(t, path)
	covered, leaks := 0, 0
	for _, f := range d.Findings {
		covered += f.Goroutines
		if f.Category == CatGoroutineLeak {
			leaks++
			if f.Root.Grade != GradeProven || !strings.Contains(f.Title, "leak detection proved") {
				t.Errorf("%q: graded %s, want a proven leak", f.Title, f.Root.Grade)
			}
		}
	}
	if covered != 8 || leaks < 4 {
		t.Errorf("findings cover %d of the profile's 8 leaked goroutines with %d goroutine-leak findings, want all 8 and at least 4", covered, leaks)
	}
}
