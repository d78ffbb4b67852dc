package detectors

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

func TestAnalyzeEmptyInputs(t *testing.T) {
	if _, err := Analyze(nil, Options{}); err == nil {
		t.Error("Analyze(nil) returned no error")
	}
	for name, c := range map[string]*parser.Capture{
		"no snapshots":   {},
		"empty snapshot": {Snapshots: []*parser.Snapshot{{}}},
		"only profiles":  {Contention: []*parser.Contention{{Kind: "mutex"}}},
	} {
		r, err := Analyze(c, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Findings == nil || len(r.Findings) != 0 {
			t.Errorf("%s: findings %v, want an empty non-nil list", name, r.Findings)
		}
	}
}

// TestPickSeries checks that a bundle's snapshots of one moment in several
// formats do not mix: the richest format is analyzed, latest last.
func TestPickSeries(t *testing.T) {
	at := func(sec int) parser.Source {
		return parser.Source{Format: parser.FormatGoroutineText, Time: time.Unix(int64(sec), 0)}
	}
	d1 := &parser.Snapshot{Source: parser.Source{Format: parser.FormatGoroutineDebug1}}
	t2, t1 := &parser.Snapshot{Source: at(20)}, &parser.Snapshot{Source: at(10)}
	got := pickSeries([]*parser.Snapshot{d1, t2, t1})
	if len(got) != 2 || got[0] != t1 || got[1] != t2 {
		t.Errorf("series %v, want the two text snapshots in time order", got)
	}
}

// TestAnalyzeProgress: with a Progress callback, Analyze names every pass
// in order with the snapshot's goroutine count, and its diagnosis is the
// one it gives without.
func TestAnalyzeProgress(t *testing.T) {
	c, err := parser.Load([]string{"../fixtures/captures/mutex-convoy"}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Analyze(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	goroutines := 0
	got, err := Analyze(c, Options{Progress: func(p parser.Progress) {
		phases = append(phases, p.Phase)
		goroutines = max(goroutines, p.Goroutines)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the diagnosis differs with a Progress callback")
	}
	wantPhases := []string{PhaseGrouping}
	for _, p := range (&analysis{}).passes() {
		wantPhases = append(wantPhases, p.name)
	}
	if !slices.Equal(phases, wantPhases) {
		t.Errorf("phases %v, want %v", phases, wantPhases)
	}
	a := newAnalysis(c, Options{})
	if goroutines == 0 || goroutines != a.snap.Count() {
		t.Errorf("progress said %d goroutines, the analyzed snapshot holds %d", goroutines, a.snap.Count())
	}
}
