package detectors

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddrIndexMayHit: the block filter never hides an entry a word names
// exactly or from below within the near limit, at block edges and at the
// top of the address space, and turns most other words away.
func TestAddrIndexMayHit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var idx addrIndex
	for range 500 {
		idx.add(0xc000000000+rng.Uint64N(1<<24), nil, true, false)
	}
	idx.add(math.MaxUint64-3, nil, true, false)
	idx.add(0x1100, nil, true, false)
	idx.sort()
	covered := func(v, limit uint64) bool {
		for _, e := range idx.entries {
			if e.addr == v || limit > 0 && e.addr >= v && e.addr-v < limit {
				return true
			}
		}
		return false
	}
	words := []uint64{0x1100, 0x10ff, 0x1001, 0x1000, math.MaxUint64 - 3, math.MaxUint64 - 300, math.MaxUint64}
	for _, e := range idx.entries[:50] {
		words = append(words, e.addr, e.addr-1, e.addr-255, e.addr-256, e.addr-4095, e.addr+1)
	}
	for range 20000 {
		words = append(words, 0xc000000000+rng.Uint64N(1<<25))
	}
	turned := 0
	for _, limit := range []uint64{0, maxArgOffset, maxFieldOffset} {
		for _, v := range words {
			may := idx.mayHit(v, limit)
			if covered(v, limit) && !may {
				t.Fatalf("word %#x, limit %d: filter hides an entry", v, limit)
			}
			if !may {
				turned++
			}
		}
	}
	if turned < len(words) {
		t.Errorf("the filter turned away %d of %d lookups", turned, 3*len(words))
	}
}
