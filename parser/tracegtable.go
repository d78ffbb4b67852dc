package parser

import (
	"iter"

	"golang.org/x/exp/trace"
)

// gWindow is the number of the newest goroutine IDs gTable keeps in slots
// (a power of two).
const gWindow = 4096

// gTable maps goroutine IDs to the states of live goroutines.
//
// The runtime hands out goroutine IDs in increasing order (each P takes
// them 16 at a time), and a busy service's trace is mostly goroutines that
// live briefly: one per request, per timer, per fan-out. So the newest
// gWindow IDs are kept in slots indexed by ID, and only goroutines that
// outlive the window move to a map: creating, finding and ending a
// short-lived goroutine touches no map. IDs below the window (and any a
// corrupt trace invents) go to the map; memory stays bounded either way.
// The window only moves up, so the map holds only IDs below it: an ID
// above the window is not in the table.
type gTable struct {
	// base is the lowest ID the window holds: ID id, for base <= id <
	// base+gWindow, is in window[id%gWindow].
	base   int64
	window [gWindow]*gState
	old    map[trace.GoID]*gState
	n      int
}

func newGTable() *gTable {
	return &gTable{old: make(map[trace.GoID]*gState)}
}

// inWindow reports whether id falls in the window.
func (t *gTable) inWindow(id trace.GoID) bool {
	return int64(id) >= t.base && int64(id)-t.base < gWindow
}

// get returns the state of goroutine id, or nil.
func (t *gTable) get(id trace.GoID) *gState {
	if int64(id) >= t.base {
		if t.inWindow(id) {
			return t.window[uint64(id)%gWindow]
		}
		return nil
	}
	return t.old[id]
}

// put sets the state of goroutine id, which must not be in the table.
func (t *gTable) put(id trace.GoID, g *gState) {
	t.n++
	if int64(id) >= t.base && !t.inWindow(id) {
		t.slide(int64(id) - gWindow + 1)
	}
	if t.inWindow(id) {
		t.window[uint64(id)%gWindow] = g
		return
	}
	t.old[id] = g
}

// slide moves the window up to start at base, moving the goroutines that
// fall out of it to the map.
func (t *gTable) slide(base int64) {
	n := min(uint64(base-t.base), gWindow)
	for i := range n {
		slot := &t.window[(uint64(t.base)+i)%gWindow]
		if g := *slot; g != nil {
			t.old[trace.GoID(g.id)] = g
			*slot = nil
		}
	}
	t.base = base
}

// delete removes goroutine id.
func (t *gTable) delete(id trace.GoID) {
	if int64(id) >= t.base {
		if t.inWindow(id) {
			if slot := &t.window[uint64(id)%gWindow]; *slot != nil {
				t.n--
				*slot = nil
			}
		}
		return
	}
	if _, ok := t.old[id]; ok {
		t.n--
		delete(t.old, id)
	}
}

// len returns the number of goroutines in the table.
func (t *gTable) len() int { return t.n }

// all yields every goroutine in the table, in no particular order.
func (t *gTable) all() iter.Seq[*gState] {
	return func(yield func(*gState) bool) {
		for _, g := range t.old {
			if !yield(g) {
				return
			}
		}
		for _, g := range t.window {
			if g != nil && !yield(g) {
				return
			}
		}
	}
}
