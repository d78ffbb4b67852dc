package parser

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Group is a set of identical goroutines of one snapshot: same status, wait
// reason, frames (function, file and line) and creator function. Argument
// words, IDs, wait durations and the creating goroutine differ between
// members and are not part of the identity. Groups are the unit every later
// view works in.
type Group struct {
	Status Status
	State  string // raw state of the first member
	Reason string
	// Frames and CreatedBy are those of the first member (its argument
	// words and parent ID included).
	Frames    []Frame
	Elided    int
	CreatedBy *CreatedBy
	// Count is the number of goroutines in the group, counting each
	// goroutine of aggregated records.
	Count int
	// IDs are the members' goroutine IDs in ascending order (empty for
	// aggregated formats).
	IDs []int64
	// WaitMin and WaitMax span the known wait durations; WaitKnown counts
	// the goroutines whose duration was printed.
	WaitMin, WaitMax time.Duration
	WaitKnown        int
	LockedToThread   int // members locked to their thread
	Members          []*Goroutine
}

// First returns the group's first member.
func (g *Group) First() *Goroutine { return g.Members[0] }

// GroupGoroutines folds identical goroutines together. Groups come out
// largest first, then by longest known wait, then by first appearance, so
// the order is deterministic for a given input.
func GroupGoroutines(gs []*Goroutine) []*Group {
	seed := maphash.MakeSeed()
	byKey := make(map[uint64][]*Group)
	var groups []*Group
	for _, g := range gs {
		k := groupHash(seed, g)
		var grp *Group
		for _, cand := range byKey[k] {
			if sameIdentity(cand.First(), g) {
				grp = cand
				break
			}
		}
		if grp == nil {
			grp = &Group{
				Status:    g.Status,
				State:     g.State,
				Reason:    g.Reason,
				Frames:    g.Frames,
				Elided:    g.Elided,
				CreatedBy: g.CreatedBy,
			}
			byKey[k] = append(byKey[k], grp)
			groups = append(groups, grp)
		}
		grp.add(g)
	}
	for _, grp := range groups {
		slices.Sort(grp.IDs)
	}
	order := make(map[*Group]int, len(groups))
	for i, grp := range groups {
		order[grp] = i
	}
	slices.SortStableFunc(groups, func(a, b *Group) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(b.WaitMax, a.WaitMax); c != 0 {
			return c
		}
		return cmp.Compare(order[a], order[b])
	})
	return groups
}

func (grp *Group) add(g *Goroutine) {
	grp.Members = append(grp.Members, g)
	grp.Count += g.Count
	if g.ID != 0 {
		grp.IDs = append(grp.IDs, g.ID)
	}
	if g.LockedToThread {
		grp.LockedToThread += g.Count
	}
	if g.WaitKnown {
		if grp.WaitKnown == 0 || g.Wait < grp.WaitMin {
			grp.WaitMin = g.Wait
		}
		if g.Wait > grp.WaitMax {
			grp.WaitMax = g.Wait
		}
		grp.WaitKnown += g.Count
	}
}

func groupHash(seed maphash.Seed, g *Goroutine) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteByte(byte(g.Status))
	h.WriteString(g.Reason)
	for _, f := range g.Frames {
		h.WriteString(f.Func)
		h.WriteString(f.File)
		maphash.WriteComparable(&h, f.Line)
	}
	if g.CreatedBy != nil {
		h.WriteString(g.CreatedBy.Func)
		h.WriteString(g.CreatedBy.File)
		maphash.WriteComparable(&h, g.CreatedBy.Line)
	}
	return h.Sum64()
}

func sameIdentity(a, b *Goroutine) bool {
	if a.Status != b.Status || a.Reason != b.Reason || len(a.Frames) != len(b.Frames) || a.Elided != b.Elided {
		return false
	}
	for i := range a.Frames {
		fa, fb := &a.Frames[i], &b.Frames[i]
		if fa.Func != fb.Func || fa.File != fb.File || fa.Line != fb.Line {
			return false
		}
	}
	ca, cb := a.CreatedBy, b.CreatedBy
	if (ca == nil) != (cb == nil) {
		return false
	}
	return ca == nil || (ca.Func == cb.Func && ca.File == cb.File && ca.Line == cb.Line)
}

// Key returns a deterministic identity string for the group, equal for
// groups of identical goroutines in different snapshots of one process (or
// of different processes running the same build): status, wait reason,
// frames (function, file, line) and creator. Frames that only some
// captures print (see tracebackHidden) are left out, so a debug=2 dump and
// a SIGQUIT dump of one process match.
// It is what snapshot diffs and leak growth match groups by.
func (g *Group) Key() string {
	var b strings.Builder
	b.WriteString(g.Status.String())
	b.WriteByte('|')
	b.WriteString(g.Reason)
	b.WriteString(StackKey(g.Frames))
	if g.CreatedBy != nil {
		b.WriteString("|created-by ")
		b.WriteString(g.CreatedBy.Func)
		b.WriteByte('@')
		b.WriteString(g.CreatedBy.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(g.CreatedBy.Line))
	}
	return b.String()
}
