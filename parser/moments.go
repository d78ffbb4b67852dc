package parser

import (
	"slices"
	"time"
)

// sameMomentWindow is how close two capture times must be for the
// snapshots to show one moment of the process: a bundle fetches debug=2,
// debug=1 and the proto profile back to back, milliseconds apart.
const sameMomentWindow = 2 * time.Second

// Moments returns the snapshots that show distinct moments of the process,
// in capture order. Several captures of one moment — the debug=2 dump, the
// debug=1 text and the proto profile fetched together, or a SIGQUIT dump
// and the same dump as kubectl printed it — would otherwise count every
// goroutine several times and look like growth. Of each moment the richest
// capture is kept: goroutine IDs and wait durations (text dumps) beat
// labels (proto), which beat aggregated counts (debug=1, pprof -traces).
//
// Two snapshots are one moment when both capture times are known and lie
// within two seconds of each other. When a time is unknown, they are one
// moment when they hold the same number of goroutines and, if both list
// goroutine IDs, the same IDs.
func (c *Capture) Moments() []*Snapshot {
	var moments [][]*Snapshot
	for _, s := range c.Snapshots {
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
	out := make([]*Snapshot, 0, len(moments))
	for _, m := range moments {
		best := m[0]
		for _, s := range m[1:] {
			if richness(s) > richness(best) {
				best = s
			}
		}
		out = append(out, best)
	}
	slices.SortStableFunc(out, func(a, b *Snapshot) int {
		if a.Source.Time.IsZero() || b.Source.Time.IsZero() {
			return 0
		}
		return a.Source.Time.Compare(b.Source.Time)
	})
	return out
}

func sameMoment(a, b *Snapshot) bool {
	if !a.Source.Time.IsZero() && !b.Source.Time.IsZero() {
		d := a.Source.Time.Sub(b.Source.Time)
		return d <= sameMomentWindow && d >= -sameMomentWindow
	}
	if a.Count() != b.Count() {
		return false
	}
	ia, ib := goroutineIDs(a), goroutineIDs(b)
	if len(ia) == 0 || len(ib) == 0 {
		return true
	}
	return slices.Equal(ia, ib)
}

func goroutineIDs(s *Snapshot) []int64 {
	var ids []int64
	for _, g := range s.Goroutines {
		if g.ID != 0 {
			ids = append(ids, g.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// richness ranks what a snapshot's format tells: IDs and waits first, and
// among captures of one format a complete one before a truncated one.
func richness(s *Snapshot) int {
	var r int
	switch s.Source.Format {
	case FormatGoroutineText:
		r = 4
	case FormatGoroutineProto:
		r = 3
	case FormatGoroutineDebug1:
		r = 2
	case FormatPprofTraces:
		r = 1
	}
	r *= 2
	if !s.Truncated {
		r++
	}
	return r
}
