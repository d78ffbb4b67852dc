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
// says its holder is unknown or not proven (the leak proves the waiter
// stuck, not who holds the lock: leakMutex's lock has no owner, and the
// WaitGroup allocated next to it, which leakChan holds, is no proof).
func TestLeakedStatusIsProof(t *testing.T) {
	path := filepath.Join(repoRoot(t), "fixtures", "variants", "captures", "go1.26.8", "leak-debug2.txt")
	d := analyzeLoaded(t, path)
	proven := 0
	for _, f := range d.Findings {
		if f.Root.Group == nil || f.Root.Group.Status != parser.StatusLeaked {
			continue
		}
		if strings.Contains(f.Title, "holder unknown") || strings.Contains(f.Title, "holder not proven") {
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
	// leakMutex's lock is a local Mutex allocated right after the
	// WaitGroup it was passed; leakChan goroutines hold that WaitGroup. A
	// word a little below the lock in another function is a lead only.
	for _, f := range d.Findings {
		for _, l := range f.Chain {
			if l.Function == "main.leakMutex" && l.Relation == RelWaitsOn && l.Grade == GradeProven {
				t.Errorf("%q: leakMutex linked to its lock's holder as proven", f.Title)
			}
		}
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

// A goroutine dump taken before any leak detection ran, analysed with the
// goroutineleak profile the process served next: the profile proves the
// goroutines it lists (the loader marks them in the dump), so the findings
// about them are proven by the leak detection and name the profile, as
// when the dump carries the runtime's own "(leaked)" marks; without the
// profile the same dump proves nothing of the kind.
func TestLeakProfileIsProofForDump(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "fixtures", "variants", "captures", "go1.26.8")
	dump, leak := filepath.Join(dir, "leak-goroutine-debug2.txt"), filepath.Join(dir, "leak.pb.gz")
	cites := func(d *Diagnosis) (proven, naming int) {
		for _, f := range d.Findings {
			if f.Root.Grade == GradeProven && strings.Contains(f.Root.Basis, "leak detection") {
				proven++
				if strings.Contains(f.Root.Basis, "leak.pb.gz") {
					naming++
				}
			}
		}
		return proven, naming
	}
	if p, _ := cites(analyzeLoaded(t, dump)); p != 0 {
		t.Errorf("the dump alone: %d findings proven by leak detection, want 0", p)
	}
	d := analyzeLoaded(t, dump, leak)
	p, naming := cites(d)
	if p < 3 || naming != p {
		t.Errorf("dump and profile: %d findings proven by leak detection, %d naming the profile; want at least 3, all naming it\n%s", p, naming, describe(d, 8))
	}
	leakedChan := false
	for _, f := range d.Findings {
		if g := f.Root.Group; g != nil && g.Status == parser.StatusLeaked && g.Count == 3 && f.Chain[0].Function == "main.leakChan" {
			leakedChan = true
		}
	}
	if !leakedChan {
		t.Errorf("the 3 leakChan goroutines are not a root marked leaked\n%s", describe(d, 8))
	}
}
