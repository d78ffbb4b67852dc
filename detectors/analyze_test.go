package detectors

import (
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
