package detectors

import (
	"cmp"
	"slices"

	"github.com/ctxhole/ctxhole/parser"
)

// addrIndex maps address words to the waiting nodes that want them: the
// object a node waits on (a lock, a *sql.DB) and the words that identify
// its owner (lockWords). Sorted by address once, it answers both the exact
// question (which waiters want this word?) and the near one (which waiters
// wait on an object a little above this word, a field of the struct it
// points to?) by binary search, so linking costs one pass over the
// snapshot's argument words whatever the number of locks.
type addrIndex struct {
	entries []addrEntry
}

// addrEntry is one word a waiter wants.
type addrEntry struct {
	addr uint64
	n    *node
	// object is set when addr is n's wait object itself, not a word that
	// points below it.
	object bool
	// near is set for a plain argument word a little below the object
	// (lockWord.near): a lead unless found in the same locking function.
	near bool
}

// add records that n wants addr. Entries must be added node by node in
// analysis order: equal addresses keep that order.
func (x *addrIndex) add(addr uint64, n *node, object, near bool) {
	x.entries = append(x.entries, addrEntry{addr, n, object, near})
}

// sort orders the index by address, stably, once every entry is added.
func (x *addrIndex) sort() {
	slices.SortStableFunc(x.entries, func(p, q addrEntry) int { return cmp.Compare(p.addr, q.addr) })
}

// from returns the position of the first entry at or above addr.
func (x *addrIndex) from(addr uint64) int {
	i, _ := slices.BinarySearchFunc(x.entries, addr, func(e addrEntry, v uint64) int { return cmp.Compare(e.addr, v) })
	return i
}

// exact returns the entries for addr, in the order they were added.
func (x *addrIndex) exact(addr uint64) []addrEntry {
	i := x.from(addr)
	j := i
	for j < len(x.entries) && x.entries[j].addr == addr {
		j++
	}
	return x.entries[i:j]
}

// near returns the entries from addr up to (not including) addr+limit.
func (x *addrIndex) near(addr, limit uint64) []addrEntry {
	i := x.from(addr)
	j := i
	for j < len(x.entries) && x.entries[j].addr-addr < limit {
		j++
	}
	return x.entries[i:j]
}

// argWord is one argument word of a frame of a goroutine of a node.
type argWord struct {
	holder *node
	g      *parser.Goroutine
	f      *parser.Frame
	arg    parser.Arg
}

// eachArgWord calls visit for every non-zero, used argument word of every
// frame outside the runtime and sync packages, node by node in analysis
// order: the words that can name what a goroutine holds.
func (a *analysis) eachArgWord(visit func(argWord)) {
	for _, holder := range a.nodes {
		for _, g := range holder.grp.Members {
			for fi := range g.Frames {
				f := &g.Frames[fi]
				if c := f.Class(); c == parser.ClassRuntime || c == parser.ClassSync {
					continue
				}
				for _, arg := range f.Args {
					if arg.Unused || arg.Value == 0 {
						continue
					}
					visit(argWord{holder, g, f, arg})
				}
			}
		}
	}
}

// scanWords visits, once over the whole snapshot, every argument word of a
// non-sync frame that some waiter wants exactly (the index entry e, whose
// node is the waiter), once per waiter and holder node: the first word of
// that holder naming it.
func (a *analysis) scanWords(idx *addrIndex, visit func(e addrEntry, w argWord)) {
	seen := make(map[*node]*node) // waiter → the holder that last named it
	a.eachArgWord(func(w argWord) {
		for _, e := range idx.exact(w.arg.Value) {
			if e.n == w.holder || seen[e.n] == w.holder {
				continue
			}
			seen[e.n] = w.holder
			visit(e, w)
		}
	})
}
