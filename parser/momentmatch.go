package parser

import (
	"cmp"
	"slices"
	"time"
)

// maxContentMatch is how many untimed snapshots contentMomentGroups
// matches by content; past it the linear rule decides.
const maxContentMatch = 256

// minMomentSimilarity is the share of goroutines two captures must hold in
// common, stack by stack, to show one moment. Captures of one instant in
// several formats, fetched milliseconds apart, share nearly all; two
// moments seconds apart of a service that grows or churns share less,
// and one capture per format per moment keeps apart two moments of a
// service that did not change.
const minMomentSimilarity = 0.9

// momentProfile is what matching by content needs of a snapshot, computed
// once.
type momentProfile struct {
	s      *Snapshot
	order  int // input position
	total  int
	stacks map[uint64]int // goroutines by stackHash: the multiset of group counts
	ids    string         // sorted IDs, encoded; "" if none listed
	waits  time.Duration  // the sum of the printed waits
}

func newMomentProfile(s *Snapshot, order int) *momentProfile {
	p := &momentProfile{s: s, order: order, total: s.Count(), stacks: make(map[uint64]int), ids: newMomentKey(s).ids}
	for _, g := range s.Goroutines {
		p.stacks[stackHash(g.Frames)] += g.Count
		p.waits += g.Wait * time.Duration(g.Count)
	}
	return p
}

// stackHash is a 64-bit FNV-1a hash of what StackKey names (function,
// file and line of each frame every format prints), computed without
// building the key: a folder of large dumps hashes every goroutine.
func stackHash(frames []Frame) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * prime
		}
		h = (h ^ 0xff) * prime // separator
	}
	for _, f := range frames {
		if tracebackHidden(f) {
			continue
		}
		add(f.Func)
		add(f.File)
		h = (h ^ uint64(f.Line)) * prime
	}
	return h
}

// similarity is the share of goroutines of the larger capture that the
// other holds too, stack by stack: 1 for the same goroutines in any
// format.
func (p *momentProfile) similarity(q *momentProfile) float64 {
	if p.total == 0 || q.total == 0 {
		if p.total == q.total {
			return 1
		}
		return 0
	}
	a, b := p.stacks, q.stacks
	if len(b) < len(a) {
		a, b = b, a
	}
	common := 0
	for k, n := range a {
		common += min(n, b[k])
	}
	return float64(common) / float64(max(p.total, q.total))
}

// sameDump reports whether two captures of one format are the same dump
// twice (a SIGQUIT dump and its copy in the pod's log): the same
// goroutines, by ID where listed, with the same waits, and files written
// together when their times say anything (informative). Two moments of a
// service that did not change differ in their waits or their file times.
func (p *momentProfile) sameDump(q *momentProfile, informative bool) bool {
	if p.total != q.total || p.ids != q.ids || p.waits != q.waits || p.similarity(q) != 1 {
		return false
	}
	mp, mq := p.s.Source.ModTime, q.s.Source.ModTime
	return !informative || mp.IsZero() || mq.IsZero() || mp.Sub(mq).Abs() <= sameMomentWindow
}

// momentPair is a candidate match between two snapshots.
type momentPair struct {
	a, b  *momentProfile
	score float64
	// apart is how far apart the files' modification times are, when
	// both are known and the folder's times say anything; -1 otherwise.
	apart time.Duration
}

// contentMomentGroups groups snapshots into moments when some carry no
// capture time. Timed snapshots are grouped by time first
// (indexedMomentGroups). Then every untimed snapshot is set against every
// other snapshot holding about as many goroutines: the pairs whose
// goroutines agree stack by stack (minMomentSimilarity; the same IDs when
// both list them) are joined best first — by similarity, then by the
// closeness of their files' modification times — as long as a moment
// keeps one capture per format (or the same dump twice) and its capture
// times stay within sameMomentWindow. The result does not depend on the
// order the files came in, except to break exact ties.
func contentMomentGroups(snaps []*Snapshot) [][]*Snapshot {
	profiles := make([]*momentProfile, len(snaps))
	var timed []*Snapshot
	for i, s := range snaps {
		profiles[i] = newMomentProfile(s, i)
		if !s.Source.Time.IsZero() {
			timed = append(timed, s)
		}
	}
	// Union-find over snapshots, seeded with the timed moments.
	parent := make([]int, len(snaps))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	pos := make(map[*Snapshot]int, len(snaps))
	for i, s := range snaps {
		pos[s] = i
	}
	members := make(map[int][]*momentProfile, len(snaps))
	for i, p := range profiles {
		members[i] = []*momentProfile{p}
	}
	union := func(i, j int) {
		ri, rj := find(i), find(j)
		if ri == rj {
			return
		}
		if rj < ri {
			ri, rj = rj, ri
		}
		parent[rj] = ri
		members[ri] = append(members[ri], members[rj]...)
		delete(members, rj)
	}
	for _, m := range indexedMomentGroups(timed) {
		for _, s := range m[1:] {
			union(pos[m[0]], pos[s])
		}
	}

	informative := modTimesInformative(snaps)
	byTotal := slices.Clone(profiles)
	slices.SortFunc(byTotal, func(x, y *momentProfile) int { return cmp.Compare(x.total, y.total) })
	var pairs []momentPair
	for _, p := range profiles {
		if !p.s.Source.Time.IsZero() {
			continue
		}
		// Only captures within the similarity bound's range of totals
		// can match.
		lo := int(float64(p.total) * minMomentSimilarity)
		i, _ := slices.BinarySearchFunc(byTotal, lo, func(x *momentProfile, v int) int { return cmp.Compare(x.total, v) })
		for ; i < len(byTotal) && float64(byTotal[i].total)*minMomentSimilarity <= float64(p.total); i++ {
			q := byTotal[i]
			if q == p || (q.s.Source.Time.IsZero() && q.order < p.order) {
				continue // each untimed pair once
			}
			if p.ids != "" && q.ids != "" && p.ids != q.ids {
				continue
			}
			sc := p.similarity(q)
			if sc < minMomentSimilarity {
				continue
			}
			pr := momentPair{a: p, b: q, score: sc, apart: -1}
			if informative && !p.s.Source.ModTime.IsZero() && !q.s.Source.ModTime.IsZero() {
				pr.apart = p.s.Source.ModTime.Sub(q.s.Source.ModTime).Abs()
			}
			pairs = append(pairs, pr)
		}
	}
	slices.SortStableFunc(pairs, func(x, y momentPair) int {
		if c := cmp.Compare(y.score, x.score); c != 0 {
			return c
		}
		if x.apart != y.apart && x.apart >= 0 && y.apart >= 0 {
			return cmp.Compare(x.apart, y.apart)
		}
		if c := cmp.Compare(min(x.a.order, x.b.order), min(y.a.order, y.b.order)); c != 0 {
			return c
		}
		return cmp.Compare(max(x.a.order, x.b.order), max(y.a.order, y.b.order))
	})
	for _, pr := range pairs {
		ri, rj := find(pr.a.order), find(pr.b.order)
		if ri != rj && canJoin(members[ri], members[rj], informative) {
			union(ri, rj)
		}
	}

	roots := make([]int, 0, len(members))
	for r := range members {
		roots = append(roots, r)
	}
	slices.Sort(roots) // a root is its moment's first snapshot in input order
	out := make([][]*Snapshot, 0, len(roots))
	for _, r := range roots {
		ms := members[r]
		slices.SortFunc(ms, func(x, y *momentProfile) int { return cmp.Compare(x.order, y.order) })
		m := make([]*Snapshot, len(ms))
		for i, p := range ms {
			m[i] = p.s
		}
		out = append(out, m)
	}
	return out
}

// canJoin reports whether two moments' captures may be one moment: no
// format twice unless it is the same dump twice, and capture times, where
// known, within sameMomentWindow of each other.
func canJoin(x, y []*momentProfile, informative bool) bool {
	for _, p := range x {
		for _, q := range y {
			tp, tq := p.s.Source.Time, q.s.Source.Time
			if !tp.IsZero() && !tq.IsZero() && tp.Sub(tq).Abs() > sameMomentWindow {
				return false
			}
			if p.s.Source.Format == q.s.Source.Format && !p.sameDump(q, informative) {
				return false
			}
		}
	}
	return true
}

// modTimesInformative reports whether the files' modification times can
// tell captures apart: at least two differ by more than sameMomentWindow.
// Files copied or unpacked together often share one time, which says
// nothing.
func modTimesInformative(snaps []*Snapshot) bool {
	var lo, hi time.Time
	for _, s := range snaps {
		t := s.Source.ModTime
		if t.IsZero() {
			continue
		}
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	return !lo.IsZero() && hi.Sub(lo) > sameMomentWindow
}
