package detectors

import (
	"github.com/ctxhole/ctxhole/parser"
)

// objectFrames name the frames whose first argument word is the object a
// goroutine waits on, and the offset from that word back to the object's
// start (the semaphore inside a Mutex or RWMutex). Frames are tried
// innermost first; method frames, which print the receiver itself, come
// before the semaphore fallbacks.
var objectFrames = []struct {
	fn     string
	offset uint64
	kind   objectKind
}{
	{"internal/sync.(*Mutex).lockSlow", 0, objLock},
	{"sync.(*Mutex).lockSlow", 0, objLock},
	{"internal/sync.(*Mutex).Lock", 0, objLock},
	{"sync.(*Mutex).Lock", 0, objLock},
	{"sync.(*RWMutex).Lock", 0, objLock},
	{"sync.(*RWMutex).RLock", 0, objLock},
	{"sync.runtime_SemacquireRWMutexR", 12, objLock},
	{"sync.runtime_SemacquireRWMutex", 8, objLock},
	{"internal/sync.runtime_SemacquireMutex", 4, objLock},
	{"sync.runtime_SemacquireMutex", 4, objLock},
	{"database/sql.(*DB).conn", 0, objPool},
	{"sync.(*WaitGroup).Wait", 0, objWaitGroup},
	{"sync.(*Cond).Wait", 0, objCond},
	{"runtime.chansend1", 0, objChan},
	{"runtime.chanrecv1", 0, objChan},
	{"runtime.chanrecv2", 0, objChan},
}

type objectKind uint8

const (
	objNone objectKind = iota
	objLock
	objPool
	objWaitGroup
	objCond
	objChan
)

// waitObject returns the object a goroutine waits on: its address, whether
// the word was printed without "?", and its kind.
func waitObject(g *parser.Goroutine) (addr uint64, certain bool, kind objectKind) {
	return waitObjectAt(g, objectSites(g.Frames, nil))
}

// objectSite is a frame that names an object by its first argument word:
// the frame's index and its objectFrames row.
type objectSite struct {
	frame int
	row   int
}

// objectSites returns the frames of a stack that objectFrames name, in the
// order waitObject tries them. It depends only on the functions, so the
// members of a group share it.
func objectSites(frames []parser.Frame, buf []objectSite) []objectSite {
	for fi := range frames {
		for ri := range objectFrames {
			if frames[fi].Func == objectFrames[ri].fn {
				buf = append(buf, objectSite{fi, ri})
			}
		}
	}
	return buf
}

// waitObjectAt is waitObject over the sites objectSites found in a stack
// with the same functions as g's.
func waitObjectAt(g *parser.Goroutine, sites []objectSite) (addr uint64, certain bool, kind objectKind) {
	var fallback uint64
	var fallbackKind objectKind
	for _, st := range sites {
		of := &objectFrames[st.row]
		r, ok := receiverWord(g, st.frame)
		if !ok {
			continue
		}
		v := r.Value
		if v < of.offset {
			continue
		}
		v -= of.offset
		if !r.Uncertain {
			return v, true, of.kind
		}
		if fallback == 0 {
			fallback, fallbackKind = v, of.kind
		}
	}
	return fallback, false, fallbackKind
}

// splitByObject turns a group into nodes, one per object its members wait
// on: goroutines with the same stack queued on different locks or pools are
// different convoys. Channels, WaitGroups and Conds do not split a group:
// each request's goroutine has its own, and they are still one pile.
func splitByObject(grp *parser.Group) []*node {
	type bucket struct {
		addr    uint64
		certain bool
		members []*parser.Goroutine
	}
	var order []*bucket
	byAddr := make(map[uint64]*bucket)
	// Members share their functions: the sites are found once, and a
	// stack that names no lock or pool cannot split.
	var sites []objectSite
	if len(grp.Members) > 0 {
		sites = objectSites(grp.First().Frames, nil)
	}
	splits := false
	for _, st := range sites {
		if k := objectFrames[st.row].kind; k == objLock || k == objPool {
			splits = true
		}
	}
	for _, m := range grp.Members {
		if !splits {
			break
		}
		var addr uint64
		var certain bool
		var kind objectKind
		if len(m.Frames) == len(grp.First().Frames) {
			addr, certain, kind = waitObjectAt(m, sites)
		} else {
			addr, certain, kind = waitObject(m)
		}
		if kind != objLock && kind != objPool {
			addr = 0
		}
		b, ok := byAddr[addr]
		if !ok {
			b = &bucket{addr: addr}
			byAddr[addr] = b
			order = append(order, b)
		}
		b.certain = b.certain || certain
		b.members = append(b.members, m)
	}
	if len(order) <= 1 {
		n := &node{grp: grp, origin: grp}
		if len(grp.Members) > 0 {
			// A group without members (none is built so) has no words.
			n.object, n.objectCertain, _ = waitObject(grp.First())
		}
		return []*node{n}
	}
	nodes := make([]*node, 0, len(order))
	for _, b := range order {
		for _, g := range parser.GroupGoroutines(b.members) {
			nodes = append(nodes, &node{grp: g, origin: grp, object: b.addr, objectCertain: b.certain})
		}
	}
	return nodes
}
