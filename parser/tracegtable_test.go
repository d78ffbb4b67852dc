package parser

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/exp/trace"
)

// gTable against a plain map, over ID sequences that stay in the window,
// slide it a little or far, come from below it, or are hostile.
func TestGTable(t *testing.T) {
	type op struct {
		id     int64
		remove bool
	}
	add := func(ids ...int64) []op {
		var ops []op
		for _, id := range ids {
			ops = append(ops, op{id: id})
		}
		return ops
	}
	rm := func(id int64) op { return op{id: id, remove: true} }
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"in window", append(add(1, 2, 3), rm(3), op{id: 4}, rm(2))},
		{"slides, keeping the long-lived", append(add(1, 2, 5000, 9000), rm(5000), op{id: 20000}, rm(1), op{id: 20001})},
		{"jumps far", append(add(7, 1<<40, 1<<40+1), rm(1<<40), op{id: 3}, rm(7))},
		{"below the window", append(add(100000, 5, 6), rm(6), op{id: 99999}, rm(100000))},
		{"negative and extreme IDs", append(add(-5, math.MaxInt64, math.MaxInt64-1, 0), rm(-5), rm(math.MaxInt64))},
		{"re-added after removal", append(add(10), rm(10), op{id: 10}, op{id: 5000}, rm(10), op{id: 10})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := newGTable()
			want := map[int64]*gState{}
			for _, o := range tc.ops {
				if o.remove {
					delete(want, o.id)
					tab.delete(trace.GoID(o.id))
				} else {
					g := &gState{id: o.id}
					want[o.id] = g
					tab.put(trace.GoID(o.id), g)
				}
				if tab.len() != len(want) {
					t.Fatalf("after %+v: len %d, want %d", o, tab.len(), len(want))
				}
				for id, g := range want {
					if got := tab.get(trace.GoID(id)); got != g {
						t.Fatalf("after %+v: get(%d) = %v, want %v", o, id, got, g)
					}
				}
				var ids, wantIDs []int64
				for g := range tab.all() {
					ids = append(ids, g.id)
				}
				for id := range want {
					wantIDs = append(wantIDs, id)
				}
				slices.Sort(ids)
				slices.Sort(wantIDs)
				if !slices.Equal(ids, wantIDs) {
					t.Fatalf("after %+v: all() = %v, want %v", o, ids, wantIDs)
				}
			}
			if tab.get(424242) != nil {
				t.Error("get of an absent ID is not nil")
			}
		})
	}
}

// gTable against a plain map over a long seeded sequence shaped like a
// trace's: IDs mostly rising, long-lived goroutines among short-lived
// ones, now and then an ID far below or far above.
func TestGTableRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 14))
	tab := newGTable()
	want := map[int64]*gState{}
	next := int64(1)
	for i := range 50000 {
		var id int64
		switch r := rng.IntN(100); {
		case r < 50:
			id = next
			next += 1 + int64(rng.IntN(20))
		case r < 90 && len(want) > 0:
			// End a goroutine: a recent one mostly.
			id = next - 1 - int64(rng.IntN(2*gWindow))
			if g := want[id]; g != nil {
				delete(want, id)
				tab.delete(trace.GoID(id))
			}
			continue
		case r < 95:
			id = rng.Int64N(next + 1)
		default:
			id = rng.Int64() - rng.Int64()
		}
		if want[id] != nil {
			if tab.get(trace.GoID(id)) != want[id] {
				t.Fatalf("op %d: get(%d) wrong", i, id)
			}
			continue
		}
		g := &gState{id: id}
		want[id] = g
		tab.put(trace.GoID(id), g)
		if i%5000 == 0 {
			for id, g := range want {
				if tab.get(trace.GoID(id)) != g {
					t.Fatalf("op %d: get(%d) wrong", i, id)
				}
			}
			n := 0
			for range tab.all() {
				n++
			}
			if n != len(want) || tab.len() != len(want) {
				t.Fatalf("op %d: all() yields %d, len %d, want %d", i, n, tab.len(), len(want))
			}
		}
	}
}
