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
	// blocks has a bit set for each 256-byte block of addresses an entry
	// falls in, hashed into blockBits bits: most argument words (stack
	// addresses, lengths, flags) fall in no such block, and it says so
	// without a search.
	blocks []uint64
}

// The block filter of an addrIndex.
const (
	blockShift = 8
	blockBits  = 1 << 16
)

// blockBit returns the filter bit of the block of addresses b.
func blockBit(b uint64) uint64 { return (b * 0x9e3779b97f4a7c15) >> (64 - 16) }

// mayHit reports whether the index may hold an entry in [v, v+nearLimit]
// (just v when nearLimit is 0): false only when none of those addresses'
// blocks holds one.
func (x *addrIndex) mayHit(v, nearLimit uint64) bool {
	first, last := v>>blockShift, v>>blockShift
	if nearLimit > 0 {
		if end := v + nearLimit; end > v {
			last = end >> blockShift
		} else {
			last = ^uint64(0) >> blockShift
		}
	}
	for b := first; ; b++ {
		if bit := blockBit(b); x.blocks[bit/64]&(1<<(bit%64)) != 0 {
			return true
		}
		if b == last {
			return false
		}
	}
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
	x.blocks = make([]uint64, blockBits/64)
	for _, e := range x.entries {
		bit := blockBit(e.addr >> blockShift)
		x.blocks[bit/64] |= 1 << (bit % 64)
	}
}

// from returns the position of the first entry at or above addr.
func (x *addrIndex) from(addr uint64) int {
	i, _ := slices.BinarySearchFunc(x.entries, addr, func(e addrEntry, v uint64) int { return cmp.Compare(e.addr, v) })
	return i
}

// argWord is one argument word of a frame of a goroutine of a node.
type argWord struct {
	holder *node
	g      *parser.Goroutine
	f      *parser.Frame
	arg    parser.Arg
}

// wordHit is one argument word that some other node's waiters want: its
// goroutine's node, goroutine and frame, which argument, and the index
// entries wanting exactly its value (entries[from:exact]) and those at or a
// little above it (entries[from:near]: the waiters whose object may be a
// field of the struct the word points to). Compact, because a snapshot of
// many waiters has many.
type wordHit struct {
	holder            *node
	g                 *parser.Goroutine
	f                 *parser.Frame
	frame, arg        int32
	from, exact, near int32
}

// word returns the hit as an argWord.
func (h *wordHit) word() argWord {
	return argWord{h.holder, h.g, h.f, h.g.Args(int(h.frame))[h.arg]}
}

// wordHits holds the hits of a scan in analysis order, in runs.
type wordHits [][]wordHit

// each calls visit for every hit in order.
func (hs wordHits) each(visit func(*wordHit)) {
	for _, run := range hs {
		for i := range run {
			visit(&run[i])
		}
	}
}

// wordHits scans every non-zero, used argument word of every frame outside
// the runtime and sync packages, node by node in analysis order, and
// returns, in that order, the words the index has entries of other nodes
// for: exactly, or (nearLimit > 0) the object entries within nearLimit
// above the word; of a node's words with the same entries, the first. The scan is the costly part of linking (every word of
// every goroutine, one binary search each) and is split across the cores by
// node; what it returns is what one pass in order would give, and short
// (only words that name another node's object or owner), so the links are
// then made in order, on one goroutine, as before.
func (a *analysis) wordHits(idx *addrIndex, nearLimit uint64) wordHits {
	if len(idx.entries) == 0 || len(a.nodes) == 0 {
		return nil
	}
	lo, hi := idx.entries[0].addr, idx.entries[len(idx.entries)-1].addr
	scan := func(nodes []*node) []wordHit {
		var out []wordHit
		var skip []bool
		// kept[from] holds the ranges of the holder's last hit starting
		// at entry from: a later word of the same holder with the same
		// ranges names the same waiters, which the first one already
		// named (the users of the hits take the first word of a holder
		// naming a waiter), so only the first is kept. A convoy's many
		// goroutines carry the same words.
		type keptRanges struct{ holder, exact, near int32 }
		kept := make([]keptRanges, len(idx.entries))
		for ni, holder := range nodes {
			mark := int32(ni + 1)
			skip = skipFrames(holder.grp, skip[:0])
			for _, g := range holder.grp.Members {
				for fi := range g.Frames {
					f := &g.Frames[fi]
					if len(skip) == len(g.Frames) {
						if skip[fi] {
							continue
						}
					} else if c := f.Class(); c == parser.ClassRuntime || c == parser.ClassSync {
						continue
					}
					for ai, arg := range g.Args(fi) {
						v := arg.Value
						if arg.Unused || v == 0 || v > hi || v < lo && lo-v >= nearLimit || !idx.mayHit(v, nearLimit) {
							continue
						}
						if h, ok := idx.hit(v, nearLimit, holder); ok {
							if r := (keptRanges{mark, h.exact, h.near}); kept[h.from] != r {
								kept[h.from] = r
								h.holder, h.g, h.f, h.frame, h.arg = holder, g, f, int32(fi), int32(ai)
								out = append(out, h)
							}
						}
					}
				}
			}
		}
		return out
	}
	parts := splitNodes(a.nodes, runtime.GOMAXPROCS(0), a.splitFrames)
	res := make(wordHits, len(parts))
	if len(parts) == 1 {
		res[0] = scan(parts[0])
		return res
	}
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() { res[i] = scan(part) })
	}
	wg.Wait()
	return res
}

// hit returns the index ranges for word v as a wordHit, and whether they
// hold an entry of a node other than holder (exactly, or an object entry
// within nearLimit): a word naming only its own node's object links nothing.
func (x *addrIndex) hit(v, nearLimit uint64, holder *node) (wordHit, bool) {
	i := x.from(v)
	j, k := i, i
	useful := false
	for j < len(x.entries) && x.entries[j].addr == v {
		useful = useful || x.entries[j].n != holder
		j++
	}
	if nearLimit > 0 {
		k = j
		for k < len(x.entries) && x.entries[k].addr-v < nearLimit {
			k++
		}
		for _, e := range x.entries[i:k] {
			useful = useful || e.object && e.n != holder
		}
	}
	return wordHit{from: int32(i), exact: int32(j), near: int32(k)}, useful
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
// in order; fewer than minFrames frames in all stay one run (not worth a
// goroutine).
func splitNodes(nodes []*node, n, minFrames int) [][]*node {
	total := 0
	for _, nd := range nodes {
		total += len(nd.grp.Members) * len(nd.grp.Frames)
	}
	if n <= 1 || total < minFrames || len(nodes) < 2 {
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
func scanWords(idx *addrIndex, hits wordHits, visit func(e addrEntry, w argWord)) {
	seen := make(map[*node]*node) // waiter → the holder that last named it
	hits.each(func(h *wordHit) {
		for _, e := range idx.entries[h.from:h.exact] {
			if e.n == h.holder || seen[e.n] == h.holder {
				continue
			}
			seen[e.n] = h.holder
			visit(e, h.word())
		}
	})
}
