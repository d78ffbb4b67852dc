package parser

import (
	"encoding/binary"
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
// within two seconds of each other, unless both list goroutine IDs and the
// IDs of the program's goroutines differ (two dumps taken a second apart
// while goroutines come and go are two moments). When a time is unknown,
// their content
// decides (contentMomentGroups): the goroutines they hold stack by stack
// (a multiset of group counts, which every format carries), their IDs when
// both list them, one capture per format in a moment, and the files'
// modification times to break ties; not the order the files were named
// or listed in.
//
// Beyond maxContentMatch untimed snapshots, the rule is the linear one of
// indexedMomentGroups: a folder of thousands of dumps from a hostile or
// simply busy source must not cost a pairwise comparison.
func (c *Capture) Moments() []*Snapshot {
	groups := c.MomentCaptures()
	out := make([]*Snapshot, len(groups))
	for i, m := range groups {
		out[i] = m[0]
	}
	return out
}

// MomentCaptures returns every capture of each moment, moments in the
// order Moments gives them and each moment's captures richest first (the
// first is the one Moments returns). It lets a comparison of two moments
// use the richest format both were captured in.
func (c *Capture) MomentCaptures() [][]*Snapshot {
	groups := c.momentGroups()
	for _, m := range groups {
		slices.SortStableFunc(m, func(a, b *Snapshot) int { return richness(b) - richness(a) })
	}
	slices.SortStableFunc(groups, func(a, b []*Snapshot) int {
		if a[0].Source.Time.IsZero() || b[0].Source.Time.IsZero() {
			return 0
		}
		return a[0].Source.Time.Compare(b[0].Source.Time)
	})
	return groups
}

// SameFormat returns, of two moments' captures (MomentCaptures), one of
// each in the richest format both have, so a comparison is like with like;
// when they share no format, each moment's richest.
func SameFormat(a, b []*Snapshot) (x, y *Snapshot) {
	for _, s := range a {
		for _, t := range b {
			if s.Source.Format == t.Source.Format {
				return s, t
			}
		}
	}
	return a[0], b[0]
}

// momentGroups groups the snapshots by moment, in input order.
func (c *Capture) momentGroups() [][]*Snapshot {
	if len(c.Snapshots) == 1 {
		// One capture is one moment: nothing to match (matching keys
		// or sorts every goroutine, seconds on a dump of a million).
		return [][]*Snapshot{{c.Snapshots[0]}}
	}
	untimed := 0
	for _, s := range c.Snapshots {
		if s.Source.Time.IsZero() {
			untimed++
		}
	}
	if untimed == 0 || untimed > maxContentMatch {
		return indexedMomentGroups(c.Snapshots)
	}
	return contentMomentGroups(c.Snapshots)
}

// indexedMomentGroups groups snapshots by the linear rule: capture times
// within sameMomentWindow when both are known, otherwise the same count
// and, when both list IDs, the same IDs; each snapshot joins the first
// earlier moment whose first capture it matches. It is linear in the
// number of snapshots (plus sorting each one's IDs once).
func indexedMomentGroups(snaps []*Snapshot) [][]*Snapshot {
	var (
		moments [][]*Snapshot
		idx     momentIndex
	)
	for _, s := range snaps {
		k := newMomentKey(s)
		if i := idx.find(k); i >= 0 {
			moments[i] = append(moments[i], s)
			continue
		}
		idx.add(k, len(moments))
		moments = append(moments, []*Snapshot{s})
	}
	return moments
}

// dateMoments gives a snapshot with no capture time the time of another
// capture of the same moment: a folder of dumps saved without a manifest
// has times only in its proto profiles (TimeNanos), yet the debug=2 dump
// of each moment is the one analysed, and growth per minute needs its
// time. Load calls it once all inputs are read.
func (c *Capture) dateMoments() {
	for _, m := range c.momentGroups() {
		var t time.Time
		for _, s := range m {
			if !s.Source.Time.IsZero() && (t.IsZero() || s.Source.Time.Before(t)) {
				t = s.Source.Time
			}
		}
		if t.IsZero() {
			continue
		}
		for _, s := range m {
			if s.Source.Time.IsZero() {
				s.Source.Time = t
			}
		}
	}
}

// sameMoment reports whether two snapshots show one moment of the process
// by the linear rule (indexedMomentGroups), which momentIndex answers for
// many snapshots at once.
func sameMoment(a, b *Snapshot) bool {
	return newMomentKey(a).matches(newMomentKey(b))
}

// momentKey is what deciding "same moment" needs of a snapshot, computed
// once.
type momentKey struct {
	time  time.Time
	count int
	// ids are the sorted IDs of the program's goroutines, encoded; "" if
	// none are listed. The runtime's own goroutines are left out: a
	// SIGQUIT dump lists them and a debug=2 dump of the same moment does
	// not.
	ids string
}

func newMomentKey(s *Snapshot) momentKey {
	k := momentKey{time: s.Source.Time, count: s.Count()}
	if ids := goroutineIDs(s); len(ids) > 0 {
		b := make([]byte, 0, 8*len(ids))
		for _, id := range ids {
			b = binary.AppendVarint(b, id)
		}
		k.ids = string(b)
	}
	return k
}

// matches is the pairwise rule: when both capture times are known, within
// sameMomentWindow; otherwise the same count. In both cases, when both list
// IDs, the same IDs.
func (a momentKey) matches(b momentKey) bool {
	if !a.time.IsZero() && !b.time.IsZero() {
		d := a.time.Sub(b.time)
		if d > sameMomentWindow || d < -sameMomentWindow {
			return false
		}
	} else if a.count != b.count {
		return false
	}
	return a.ids == "" || b.ids == "" || a.ids == b.ids
}

// momentIndex finds, among the moments so far, the first one whose leading
// snapshot matches a key, without comparing against every moment. Timed
// leaders are bucketed by sameMomentWindow: two timed leaders are always
// more than the window apart unless their IDs differ (the later would have
// joined the earlier), so a bucket and its neighbours hold a handful. Every leader is also indexed
// by count, and by count and IDs, for the comparisons where a time is
// missing.
type momentIndex struct {
	leaders []momentKey
	timed   map[int64][]int // time bucket -> timed leaders
	// By count: the first leader, the first without IDs, and the first
	// with each ID set. all* hold every leader, untimed* the untimed ones.
	allByCount, allNoIDs, untimedByCount, untimedNoIDs map[int]int
	allByIDs, untimedByIDs                             map[momentKey]int
}

func (x *momentIndex) bucket(t time.Time) int64 {
	return t.UnixNano() / int64(sameMomentWindow)
}

// find returns the index of the first moment k belongs to, or -1.
func (x *momentIndex) find(k momentKey) int {
	best := -1
	consider := func(i int, ok bool) {
		if ok && (best < 0 || i < best) && x.leaders[i].matches(k) {
			best = i
		}
	}
	byCount, noIDs, byIDs := x.allByCount, x.allNoIDs, x.allByIDs
	if !k.time.IsZero() {
		b := x.bucket(k.time)
		for _, bb := range []int64{b - 1, b, b + 1} {
			for _, i := range x.timed[bb] {
				consider(i, true)
			}
		}
		// Against an untimed leader only the count and IDs speak.
		byCount, noIDs, byIDs = x.untimedByCount, x.untimedNoIDs, x.untimedByIDs
	}
	if k.ids == "" {
		i, ok := byCount[k.count]
		consider(i, ok)
	} else {
		i, ok := noIDs[k.count]
		consider(i, ok)
		i, ok = byIDs[momentKey{count: k.count, ids: k.ids}]
		consider(i, ok)
	}
	return best
}

// add records k as the leader of moment i (moments are added in order, so
// the first leader of each kind is the one kept).
func (x *momentIndex) add(k momentKey, i int) {
	if x.timed == nil {
		x.timed = map[int64][]int{}
		x.allByCount, x.allNoIDs, x.untimedByCount, x.untimedNoIDs = map[int]int{}, map[int]int{}, map[int]int{}, map[int]int{}
		x.allByIDs, x.untimedByIDs = map[momentKey]int{}, map[momentKey]int{}
	}
	x.leaders = append(x.leaders, k)
	firstInt := func(m map[int]int, key int) {
		if _, ok := m[key]; !ok {
			m[key] = i
		}
	}
	idKey := momentKey{count: k.count, ids: k.ids}
	firstIDs := func(m map[momentKey]int) {
		if _, ok := m[idKey]; !ok {
			m[idKey] = i
		}
	}
	firstInt(x.allByCount, k.count)
	if k.ids == "" {
		firstInt(x.allNoIDs, k.count)
	} else {
		firstIDs(x.allByIDs)
	}
	if !k.time.IsZero() {
		b := x.bucket(k.time)
		x.timed[b] = append(x.timed[b], i)
		return
	}
	firstInt(x.untimedByCount, k.count)
	if k.ids == "" {
		firstInt(x.untimedNoIDs, k.count)
	} else {
		firstIDs(x.untimedByIDs)
	}
}

func goroutineIDs(s *Snapshot) []int64 {
	var ids []int64
	for _, g := range s.Goroutines {
		if g.ID != 0 && !systemStack(g.Frames) {
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
