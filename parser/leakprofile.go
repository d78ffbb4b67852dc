package parser

import (
	"cmp"
	"slices"
)

// Go 1.26's goroutineleak profile (GOEXPERIMENT=goroutineleakprofile,
// /debug/pprof/goroutineleak) runs a garbage collection that finds the
// goroutines blocked on concurrency primitives nothing reachable can ever
// touch again, and lists only those. Served as proto or debug=1 it is
// aggregated by stack: it says how many goroutines of each stack are
// leaked, not which ones. The proof is permanent (nothing can wake such a
// goroutine later), so it holds for every capture taken with or after the
// profile: markLeaked sets StatusLeaked on that many goroutines of each
// stack in those captures.

// takeLeakProfiles moves the leak profiles among c.Snapshots to
// c.LeakProfiles, so that no moment is made of one, unless they are all
// there is. Load calls it once all inputs are read.
func (c *Capture) takeLeakProfiles() {
	var leaks, rest []*Snapshot
	for _, s := range c.Snapshots {
		if s.LeakProfile {
			leaks = append(leaks, s)
		} else {
			rest = append(rest, s)
		}
	}
	if len(leaks) == 0 || len(rest) == 0 {
		return
	}
	c.Snapshots = rest
	c.LeakProfiles = append(c.LeakProfiles, leaks...)
}

// markLeakProfiles marks, in every snapshot each leak profile's proof
// covers, the goroutines it proves leaked. Load calls it once the
// snapshots are dated (dateMoments).
func (c *Capture) markLeakProfiles() {
	for _, l := range c.LeakProfiles {
		proven := leakedByStack(l)
		for _, s := range c.Snapshots {
			if leakProofCovers(l, s) {
				markLeaked(s, proven)
			}
		}
	}
}

// leakProofCovers reports whether leak profile l speaks for snapshot s: s
// was captured with l (within sameMomentWindow) or after it. When either
// time is unknown the order is unknown, and the proof is applied: a
// goroutine of the stack still blocked is as stuck as those proven.
func leakProofCovers(l, s *Snapshot) bool {
	if l.Source.Time.IsZero() || s.Source.Time.IsZero() {
		return true
	}
	return !s.Source.Time.Before(l.Source.Time.Add(-sameMomentWindow))
}

// leakedByStack counts a leak profile's goroutines by stack identity
// (StackKey: the frames every format prints).
func leakedByStack(l *Snapshot) map[string]int {
	n := make(map[string]int)
	for _, g := range l.Goroutines {
		if len(g.Frames) > 0 {
			n[StackKey(g.Frames)] += g.Count
		}
	}
	return n
}

// markLeaked marks, for each stack, up to proven[stack] of s's blocked
// goroutines with that stack as StatusLeaked, counting those the runtime
// already printed "(leaked)". Which goroutines of a stack are the leaked
// ones an aggregated profile cannot say; the longest-waiting, then the
// oldest (lowest ID), are taken, since a leaked goroutine has been blocked
// since before the proof. An aggregated record standing for more
// goroutines than remain to mark is split in two.
func markLeaked(s *Snapshot, proven map[string]int) {
	byStack := make(map[string][]*Goroutine)
	for _, g := range s.Goroutines {
		if !g.Blocked() || len(g.Frames) == 0 {
			continue
		}
		if k := StackKey(g.Frames); proven[k] > 0 {
			byStack[k] = append(byStack[k], g)
		}
	}
	split := make(map[*Goroutine]*Goroutine)
	for k, gs := range byStack {
		need := proven[k]
		for _, g := range gs {
			if g.Status == StatusLeaked {
				need -= g.Count
			}
		}
		slices.SortStableFunc(gs, func(a, b *Goroutine) int {
			if c := cmp.Compare(b.Wait, a.Wait); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		for _, g := range gs {
			if need <= 0 {
				break
			}
			if g.Status == StatusLeaked {
				continue
			}
			if g.Count > need {
				part := *g
				part.Count, part.Status = need, StatusLeaked
				g.Count -= need
				split[g] = &part
				need = 0
				break
			}
			g.Status = StatusLeaked
			need -= g.Count
		}
	}
	if len(split) == 0 {
		return
	}
	out := make([]*Goroutine, 0, len(s.Goroutines)+len(split))
	for _, g := range s.Goroutines {
		out = append(out, g)
		if p := split[g]; p != nil {
			out = append(out, p)
		}
	}
	s.Goroutines = out
}
