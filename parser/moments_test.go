package parser

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/internal/testrepo"
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

// momentsPairwise is the rule Moments implements, written the slow way:
// each snapshot joins the first moment whose first snapshot it matches.
func momentsPairwise(snaps []*Snapshot) [][]*Snapshot {
	var moments [][]*Snapshot
	for _, s := range snaps {
		placed := false
		for i, m := range moments {
			if sameMoment(m[0], s) {
				moments[i] = append(m, s)
				placed = true
				break
			}
		}
		if !placed {
			moments = append(moments, []*Snapshot{s})
		}
	}
	return moments
}

// TestMomentsIndexMatchesPairwise checks the indexed matching (the rule
// for folders of more than maxContentMatch untimed snapshots) against the
// pairwise rule on random mixes of timed and untimed snapshots, with and
// without goroutine IDs, so the linear-time version decides exactly as the
// rule reads.
func TestMomentsIndexMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	t0 := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	for round := range 300 {
		var snaps []*Snapshot
		for range 1 + rng.IntN(12) {
			formats := []Format{FormatGoroutineText, FormatGoroutineProto, FormatGoroutineDebug1, FormatPprofTraces}
			s := &Snapshot{Source: Source{Format: formats[rng.IntN(len(formats))]}}
			if rng.IntN(2) == 0 {
				s.Source.Time = t0.Add(time.Duration(rng.IntN(8000)) * time.Millisecond)
			}
			n := 1 + rng.IntN(3)
			withIDs := rng.IntN(2) == 0
			for j := range n {
				g := &Goroutine{Count: 1}
				if withIDs {
					g.ID = int64(1 + j + rng.IntN(2))
				}
				s.Goroutines = append(s.Goroutines, g)
			}
			snaps = append(snaps, s)
		}
		want := momentsPairwise(snaps)
		var got []*Snapshot
		for _, m := range indexedMomentGroups(snaps) {
			best := m[0]
			for _, s := range m[1:] {
				if richness(s) > richness(best) {
					best = s
				}
			}
			got = append(got, best)
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: %d moments, want %d", round, len(got), len(want))
		}
		for _, m := range want {
			best := m[0]
			for _, s := range m[1:] {
				if richness(s) > richness(best) {
					best = s
				}
			}
			if !slices.Contains(got, best) {
				t.Fatalf("round %d: moment led by %p kept another snapshot", round, m[0])
			}
		}
	}
}

// TestMomentsLinear: ten thousand one-goroutine dumps, untimed with
// distinct IDs, then timed three seconds apart, are ten thousand moments
// each, matched without comparing every pair (the pairwise version took
// 35 s on such a folder).
func TestMomentsLinear(t *testing.T) {
	const n = 10000
	t0 := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	for _, timed := range []bool{false, true} {
		snaps := make([]*Snapshot, n)
		for i := range snaps {
			snaps[i] = &Snapshot{Source: Source{Format: FormatGoroutineText}, Goroutines: []*Goroutine{{ID: int64(i + 1), Count: 1}}}
			if timed {
				snaps[i].Source.Time = t0.Add(time.Duration(i) * 3 * time.Second)
			}
		}
		c := &Capture{Snapshots: snaps}
		start := time.Now()
		ms := c.Moments()
		if len(ms) != n {
			t.Fatalf("timed=%v: %d moments, want %d", timed, len(ms), n)
		}
		// The pairwise rule compares ~n²/2 = 5e7 pairs, each sorting IDs;
		// the index does n lookups. A generous bound that only a quadratic
		// algorithm misses, even under the race detector on 2 busy cores.
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("timed=%v: Moments took %v for %d snapshots", timed, d, n)
		}
	}
}

// TestDateMoments: a dump saved without a time takes the time of another
// capture of the same moment (a proto profile's TimeNanos); other moments
// keep theirs.
func TestDateMoments(t *testing.T) {
	g := func(id int64, n int) *Goroutine { return &Goroutine{ID: id, Count: n} }
	t0 := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	text1 := &Snapshot{Source: Source{Format: FormatGoroutineText}, Goroutines: []*Goroutine{g(1, 1), g(2, 1)}}
	proto1 := &Snapshot{Source: Source{Format: FormatGoroutineProto, Time: t0}, Goroutines: []*Goroutine{g(0, 2)}}
	text2 := &Snapshot{Source: Source{Format: FormatGoroutineText}, Goroutines: []*Goroutine{g(1, 1), g(2, 1), g(3, 1)}}
	c := &Capture{Snapshots: []*Snapshot{text1, proto1, text2}}
	c.dateMoments()
	if !text1.Source.Time.Equal(t0) {
		t.Errorf("same-moment dump dated %v, want %v", text1.Source.Time, t0)
	}
	if !text2.Source.Time.IsZero() {
		t.Errorf("another moment's dump dated %v, want no time", text2.Source.Time)
	}
}

// TestGoleakPreamble: a goleak report marks its snapshot, so the
// detectors know every goroutine listed outlived its test.
func TestGoleakPreamble(t *testing.T) {
	path := testrepo.RealWorld(t, "33-otel-contrib-43417-goleak-persistconn-fragment.txt")
	c, err := Load([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 1 || !c.Snapshots[0].Preamble.Goleak {
		t.Fatalf("goleak report not marked: %d snapshots", len(c.Snapshots))
	}
	path = testrepo.RealWorld(t, "29-aprilsh-server-normal-sigquit-annotated-healthy.txt")
	if c, err = Load([]string{path}, Options{}); err != nil {
		t.Fatal(err)
	}
	if c.Snapshots[0].Preamble.Goleak {
		t.Error("a SIGQUIT dump marked as a goleak report")
	}
}

// TestSameFormat: two moments are compared in the richest format both
// were captured in.
func TestSameFormat(t *testing.T) {
	snap := func(f Format) *Snapshot { return &Snapshot{Source: Source{Format: f}} }
	text, d1, pb := snap(FormatGoroutineText), snap(FormatGoroutineDebug1), snap(FormatGoroutineProto)
	text2, pb2 := snap(FormatGoroutineText), snap(FormatGoroutineProto)
	tests := []struct {
		name string
		a, b []*Snapshot
		x, y *Snapshot
	}{
		{"both have text", []*Snapshot{text, pb, d1}, []*Snapshot{text2, pb2}, text, text2},
		{"only proto in common", []*Snapshot{pb, d1}, []*Snapshot{text2, pb2}, pb, pb2},
		{"nothing in common", []*Snapshot{d1}, []*Snapshot{text2}, d1, text2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if x, y := SameFormat(tt.a, tt.b); x != tt.x || y != tt.y {
				t.Errorf("got %s, %s", x.Source.Format, y.Source.Format)
			}
		})
	}
}

// TestMomentsTimedIDsDiffer: captures taken within the same-moment window
// are one moment unless both list IDs and the program's goroutines differ.
// Two debug=2 dumps a second apart while a pile-up grows are two moments;
// a SIGQUIT dump, which also lists the runtime's own goroutines, is one
// moment with the debug=2 dump of the same instant, and so is a proto
// profile (no IDs) taken with them.
func TestMomentsTimedIDsDiffer(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	app := func(id int64) *Goroutine {
		return &Goroutine{ID: id, Count: 1, Frames: []Frame{{Func: "main.handle"}, {Func: "net/http.(*conn).serve"}}}
	}
	sys := &Goroutine{ID: 2, Count: 1, Frames: []Frame{{Func: "runtime.gopark"}, {Func: "runtime.forcegchelper"}}}
	snap := func(f Format, at time.Duration, gs ...*Goroutine) *Snapshot {
		return &Snapshot{Source: Source{Format: f, Time: t0.Add(at)}, Goroutines: gs}
	}
	first := snap(FormatGoroutineText, 0, app(10), app(11))
	sigquit := snap(FormatGoroutineText, 300*time.Millisecond, sys, app(10), app(11))
	proto := snap(FormatGoroutineProto, 100*time.Millisecond, &Goroutine{Count: 2, Frames: []Frame{{Func: "main.handle"}}})
	second := snap(FormatGoroutineText, time.Second, app(10), app(11), app(12), app(13))
	c := &Capture{Snapshots: []*Snapshot{first, proto, sigquit, second}}
	got := c.MomentCaptures()
	if len(got) != 2 {
		t.Fatalf("%d moments, want 2: %v", len(got), got)
	}
	if len(got[0]) != 3 || !slices.Contains(got[0], first) || !slices.Contains(got[0], sigquit) || !slices.Contains(got[0], proto) {
		t.Errorf("first moment %v, want the first dump, the SIGQUIT dump and the proto profile", got[0])
	}
	if len(got[1]) != 1 || got[1][0] != second {
		t.Errorf("second moment %v, want the dump a second later alone", got[1])
	}
}
