package detectors

import (
	"cmp"
	"runtime"
	"slices"
	"sync"

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

// wordHit is one argument word that some waiter of an index wants: the
// entries wanting exactly its value, and those at or a little above it
// (the waiters whose object may be a field of the struct the word points
// to).
type wordHit struct {
	argWord
	exact []addrEntry
	near  []addrEntry
}

// wordHits scans every non-zero, used argument word of every frame outside
// the runtime and sync packages, node by node in analysis order, and
// returns, in that order, the words the index has entries for: exactly, or
// within nearLimit above the word (nearLimit 0: exact only). The scan is
// the costly part of linking (every word of every goroutine, one binary
// search each) and is split across the cores by node; what it returns is
// the same as one pass in order would give, and is short (only words that
// name a waiter's object or owner), so the links are then made in order,
// on one goroutine, as before.
func (a *analysis) wordHits(idx *addrIndex, nearLimit uint64) []wordHit {
	if len(idx.entries) == 0 || len(a.nodes) == 0 {
		return nil
	}
	lo, hi := idx.entries[0].addr, idx.entries[len(idx.entries)-1].addr
	scan := func(nodes []*node) []wordHit {
		var out []wordHit
		var skip []bool
		for _, holder := range nodes {
			skip = skipFrames(holder.grp, skip[:0])
			for _, g := range holder.grp.Members {
				for fi := range g.Frames {
					f := &g.Frames[fi]
					if fi < len(skip) && len(skip) == len(g.Frames) {
						if skip[fi] {
							continue
						}
					} else if c := f.Class(); c == parser.ClassRuntime || c == parser.ClassSync {
						continue
					}
					for _, arg := range f.Args {
						v := arg.Value
						if arg.Unused || v == 0 || v > hi || v < lo && lo-v >= nearLimit {
							continue
						}
						h := wordHit{argWord: argWord{holder, g, f, arg}, exact: idx.exact(v)}
						if nearLimit > 0 {
							h.near = idx.near(v, nearLimit)
						}
						if len(h.exact) > 0 || len(h.near) > 0 {
							out = append(out, h)
						}
					}
				}
			}
		}
		return out
	}
	parts := splitNodes(a.nodes, runtime.GOMAXPROCS(0))
	if len(parts) == 1 {
		return scan(parts[0])
	}
	res := make([][]wordHit, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { res[i] = scan(part) })
	}
	wg.Wait()
	return slices.Concat(res...)
}

// skipFrames returns, for the stack all of grp's members share, which
// frames are the runtime's or sync's (their words are the lock machinery's,
// not an owner's): classified once per group, not once per goroutine.
func skipFrames(grp *parser.Group, buf []bool) []bool {
	if len(grp.Members) == 0 {
		return buf
	}
	for _, f := range grp.Members[0].Frames {
		c := f.Class()
		buf = append(buf, c == parser.ClassRuntime || c == parser.ClassSync)
	}
	return buf
}

// splitNodes cuts nodes into at most n runs of about equal frame counts,
// in order.
func splitNodes(nodes []*node, n int) [][]*node {
	total := 0
	for _, nd := range nodes {
		total += len(nd.grp.Members) * len(nd.grp.Frames)
	}
	if n <= 1 || total < 1<<16 {
		return [][]*node{nodes}
	}
	var parts [][]*node
	per, acc, from := total/n+1, 0, 0
	for i, nd := range nodes {
		acc += len(nd.grp.Members) * len(nd.grp.Frames)
		if acc >= per && len(parts) < n-1 {
			parts = append(parts, nodes[from:i+1])
			from, acc = i+1, 0
		}
	}
	return append(parts, nodes[from:])
}

// scanWords visits, in analysis order, every hit's exact entries, once per
// waiter and holder node: the first word of that holder naming it.
func scanWords(hits []wordHit, visit func(e addrEntry, w argWord)) {
	seen := make(map[*node]*node) // waiter → the holder that last named it
	for _, h := range hits {
		for _, e := range h.exact {
			if e.n == h.holder || seen[e.n] == h.holder {
				continue
			}
			seen[e.n] = h.holder
			visit(e, h.argWord)
		}
	}
}
