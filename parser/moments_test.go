package parser

import (
	"testing"
	"time"
)

func TestMomentsOnARealBundle(t *testing.T) {
	dir := "../fixtures/captures/db-driver-no-ctx"
	c, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Skipf("fixture not readable: %v", err)
	}
	if len(c.Snapshots) < 3 {
		t.Fatalf("want debug=2, debug=1 and proto snapshots in %s, got %d", dir, len(c.Snapshots))
	}
	ms := c.Moments()
	// The harness fetches debug=2, debug=1 and proto milliseconds apart,
	// then SIGQUITs the service seconds later (sigquit.txt and its
	// kubectl-prefixed copy): two moments, each kept as a text dump.
	if len(ms) != 2 {
		for _, s := range c.Snapshots {
			t.Logf("%s %s %v", s.Source, s.Source.Format, s.Source.Time)
		}
		t.Fatalf("Moments() = %d snapshots, want 2", len(ms))
	}
	for _, s := range ms {
		if s.Source.Format != FormatGoroutineText {
			t.Errorf("moment kept %s (%s), want the text dump", s.Source, s.Source.Format)
		}
	}
	if !ms[0].Source.Time.Before(ms[1].Source.Time) {
		t.Errorf("moments out of capture order: %v, %v", ms[0].Source.Time, ms[1].Source.Time)
	}
}

func TestMomentsWithoutTimes(t *testing.T) {
	g := func(id int64, n int) *Goroutine { return &Goroutine{ID: id, Count: n} }
	snap := func(f Format, gs ...*Goroutine) *Snapshot {
		return &Snapshot{Source: Source{Format: f}, Goroutines: gs}
	}
	t0 := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	timed := func(s *Snapshot, at time.Time) *Snapshot { s.Source.Time = at; return s }

	tests := []struct {
		name string
		in   []*Snapshot
		want []int // indexes into in
	}{
		{"text and debug1 of one moment", []*Snapshot{snap(FormatGoroutineDebug1, g(0, 3)), snap(FormatGoroutineText, g(1, 1), g(2, 1), g(3, 1))}, []int{1}},
		{"growth is two moments", []*Snapshot{snap(FormatGoroutineText, g(1, 1), g(2, 1)), snap(FormatGoroutineText, g(1, 1), g(2, 1), g(3, 1))}, []int{0, 1}},
		{"same count, other IDs", []*Snapshot{snap(FormatGoroutineText, g(1, 1), g(2, 1)), snap(FormatGoroutineText, g(1, 1), g(3, 1))}, []int{0, 1}},
		{"proto beats debug1", []*Snapshot{snap(FormatGoroutineDebug1, g(0, 2)), snap(FormatGoroutineProto, g(0, 2))}, []int{1}},
		{"times decide", []*Snapshot{
			timed(snap(FormatGoroutineText, g(1, 1)), t0),
			timed(snap(FormatGoroutineText, g(1, 1)), t0.Add(20*time.Second)),
			timed(snap(FormatGoroutineProto, g(0, 1)), t0.Add(20*time.Second+time.Millisecond)),
		}, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Capture{Snapshots: tt.in}).Moments()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d moments, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				if got[i] != tt.in[w] {
					t.Errorf("moment %d is snapshot %v, want %d", i, got[i].Source, w)
				}
			}
		})
	}
}
