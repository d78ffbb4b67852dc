package parser

import (
	"cmp"
	"hash/maphash"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// Frames and CreatedBy are those of the first member (its parent ID
	// included; its argument words are First().Args).
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
	gr := newGrouper(maphash.MakeSeed())
	for _, g := range gs {
		gr.add(g)
	}
	return gr.done()
}

// minParallelGroup is the smallest number of goroutines grouped on more
// than one goroutine: below it, starting them costs more than it saves.
const minParallelGroup = 1 << 12

// groupParallel is GroupGoroutines on up to workers goroutines: each folds
// a contiguous part of gs, and the parts are merged in order, which gives
// the groups, members and order GroupGoroutines gives.
func groupParallel(gs []*Goroutine, workers int) []*Group {
	workers = min(workers, len(gs)/minParallelGroup)
	if workers < 2 {
		return GroupGoroutines(gs)
	}
	seed := maphash.MakeSeed()
	parts := make([]*grouper, workers)
	var wg sync.WaitGroup
	for i := range parts {
		lo, hi := i*len(gs)/workers, (i+1)*len(gs)/workers
		parts[i] = newGrouper(seed)
		wg.Go(func() {
			for _, g := range gs[lo:hi] {
				parts[i].add(g)
			}
		})
	}
	wg.Wait()
	for _, part := range parts[1:] {
		parts[0].merge(part)
	}
	return parts[0].done()
}

// grouper folds goroutines into groups, in the order they come.
type grouper struct {
	seed   maphash.Seed
	byKey  map[uint64][]*grouped
	groups []*grouped // in order of first appearance
	// stacks memoizes the hash of frames that goroutines share (see
	// frameShare): a dump's goroutines run few different stacks, and each
	// is hashed once. Bounded by maxSharedStacks.
	stacks map[stackID]uint64
}

// stackID is a frame slice's identity: where it starts and its length.
type stackID struct {
	first *Frame
	n     int
}

// grouped is a group being folded, with its identity hash.
type grouped struct {
	*Group
	hash uint64
}

func newGrouper(seed maphash.Seed) *grouper {
	return &grouper{seed: seed, byKey: make(map[uint64][]*grouped)}
}

// find returns the group of goroutines identical to g, nil if none.
func (gr *grouper) find(hash uint64, g *Goroutine) *grouped {
	for _, cand := range gr.byKey[hash] {
		if sameIdentity(cand.First(), g) {
			return cand
		}
	}
	return nil
}

// open starts a group whose first member will be g.
func (gr *grouper) open(hash uint64, g *Goroutine) *grouped {
	grp := &grouped{hash: hash, Group: &Group{
		Status:    g.Status,
		State:     g.State,
		Reason:    g.Reason,
		Frames:    g.Frames,
		Elided:    g.Elided,
		CreatedBy: g.CreatedBy,
	}}
	gr.byKey[hash] = append(gr.byKey[hash], grp)
	gr.groups = append(gr.groups, grp)
	return grp
}

// add folds g into its group.
func (gr *grouper) add(g *Goroutine) {
	h := groupHash(gr.seed, g, gr.framesHash(g.Frames))
	grp := gr.find(h, g)
	if grp == nil {
		grp = gr.open(h, g)
	}
	grp.add(g)
}

// merge folds the groups of other, which saw the goroutines after those
// gr saw, into gr. Both must use the same seed.
func (gr *grouper) merge(other *grouper) {
	for _, o := range other.groups {
		grp := gr.find(o.hash, o.First())
		if grp == nil {
			gr.byKey[o.hash] = append(gr.byKey[o.hash], o)
			gr.groups = append(gr.groups, o)
			continue
		}
		grp.Members = append(grp.Members, o.Members...)
		grp.IDs = append(grp.IDs, o.IDs...)
		grp.Count += o.Count
		grp.LockedToThread += o.LockedToThread
		if o.WaitKnown > 0 {
			if grp.WaitKnown == 0 || o.WaitMin < grp.WaitMin {
				grp.WaitMin = o.WaitMin
			}
			grp.WaitMax = max(grp.WaitMax, o.WaitMax)
			grp.WaitKnown += o.WaitKnown
		}
	}
}

// done returns the groups in their order (see GroupGoroutines).
func (gr *grouper) done() []*Group {
	groups := make([]*Group, len(gr.groups))
	order := make(map[*Group]int, len(gr.groups))
	for i, grp := range gr.groups {
		slices.Sort(grp.IDs)
		groups[i] = grp.Group
		order[grp.Group] = i
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

// Groups returns the snapshot's goroutines grouped (see GroupGoroutines),
// computed on every core at the first call and kept: the analysis, the
// report and the TUI all work on these groups. The goroutines of a
// snapshot a reader made must not change after the first call; a snapshot
// made otherwise (a literal) is grouped again at each call.
func (s *Snapshot) Groups() []*Group {
	if s.groups == nil {
		return groupParallel(s.Goroutines, runtime.GOMAXPROCS(0))
	}
	c := s.groups
	c.once.Do(func() { c.groups = groupParallel(s.Goroutines, runtime.GOMAXPROCS(0)) })
	return c.groups
}

// groupCache holds the groups of a snapshot once computed.
type groupCache struct {
	once   sync.Once
	groups []*Group
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

// framesHash returns the hash of the functions, files and lines of
// frames, computed once per shared frame slice.
func (gr *grouper) framesHash(frames []Frame) uint64 {
	if len(frames) == 0 {
		return 0
	}
	id := stackID{&frames[0], len(frames)}
	if h, ok := gr.stacks[id]; ok {
		return h
	}
	var h maphash.Hash
	h.SetSeed(gr.seed)
	for i := range frames {
		f := &frames[i]
		h.WriteString(f.Func)
		h.WriteString(f.File)
		maphash.WriteComparable(&h, f.Line)
	}
	sum := h.Sum64()
	if gr.stacks == nil {
		gr.stacks = make(map[stackID]uint64)
	}
	if len(gr.stacks) < maxSharedStacks {
		gr.stacks[id] = sum
	}
	return sum
}

// groupHash hashes what makes g's group (see sameIdentity); framesHash
// is that of its frames.
func groupHash(seed maphash.Seed, g *Goroutine, framesHash uint64) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteByte(byte(g.Status))
	h.WriteString(g.Reason)
	maphash.WriteComparable(&h, framesHash)
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
	if len(a.Frames) > 0 && &a.Frames[0] != &b.Frames[0] { // else the same frames
		for i := range a.Frames {
			fa, fb := &a.Frames[i], &b.Frames[i]
			if fa.Func != fb.Func || fa.File != fb.File || fa.Line != fb.Line {
				return false
			}
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
