package parser

import (
	"slices"
	"unsafe"
)

// Argument words are kept per goroutine, apart from the frames: a dump's
// goroutines run a few hundred different stacks but print their own words
// (their own stack's addresses), so the frames of identical stacks are
// shared (see frameShare) and only the words are the goroutine's. A
// debug=2 dump of 100k goroutines holds about 1.5M frames and 3M words:
// kept in each frame, the frames alone were 60% of the model.

// Args returns the argument words the runtime printed for g.Frames[i]
// (debug=2 and crash dumps print them; other formats do not), or nil. The
// slice is g's: callers must not modify it.
func (g *Goroutine) Args(i int) []Arg {
	f := &g.Frames[i]
	if f.argN == 0 || int(f.argOff)+int(f.argN) > len(g.args) {
		return nil
	}
	return g.args[f.argOff : f.argOff+f.argN : f.argOff+f.argN]
}

// ArgCount returns how many argument words the frame printed.
func (f Frame) ArgCount() int { return int(f.argN) }

// SetStack sets g's frames and their argument words: args[i] are those of
// frames[i] (missing or nil for none). The frames become g's own; they are
// not shared with another goroutine. It is for building goroutines in code
// (converters, tests); parsers fill in both as they read.
func (g *Goroutine) SetStack(frames []Frame, args [][]Arg) {
	g.Frames = frames
	g.args = nil
	for i := range frames {
		f := &frames[i]
		f.argOff, f.argN = int32(len(g.args)), 0
		if i < len(args) {
			f.argN = int32(len(args[i]))
			g.args = append(g.args, args[i]...)
		}
	}
}

// frameShare finds, for a stack just read, an identical one read before
// (same functions, locations, argument counts and flags): its goroutine
// then shares those frames. It is a parse worker's own, kept from chunk to
// chunk, and bounded: past maxSharedStacks different stacks it starts
// afresh, so a dump of all-different stacks costs no more memory than one
// without sharing.
type frameShare struct {
	byHash map[uint64][]Frame
}

// maxSharedStacks bounds a frameShare.
const maxSharedStacks = 1 << 14

// share returns frames stored before that equal frames, or, if none,
// keep(frames) after recording it.
func (t *frameShare) share(frames []Frame, keep func([]Frame) []Frame) []Frame {
	h := frameShareHash(frames)
	if old, ok := t.byHash[h]; ok && slices.Equal(old, frames) {
		return old
	}
	kept := keep(frames)
	if t.byHash == nil || len(t.byHash) >= maxSharedStacks {
		t.byHash = make(map[uint64][]Frame)
	}
	t.byHash[h] = kept
	return kept
}

// frameShareHash hashes a stack for frameShare. The parser interns function
// and file names, so a name's address stands for its bytes: identical
// stacks of one parser hash alike, and a collision only costs a
// comparison (share compares the frames themselves).
func frameShareHash(frames []Frame) uint64 {
	const prime = 0x100000001b3
	h := uint64(0xcbf29ce484222325)
	for i := range frames {
		f := &frames[i]
		h = (h ^ uint64(uintptr(unsafe.Pointer(unsafe.StringData(f.Func))))) * prime
		h = (h ^ uint64(uintptr(unsafe.Pointer(unsafe.StringData(f.File))))) * prime
		h = (h ^ uint64(f.Line) ^ f.Offset<<20 ^ f.PC<<1) * prime
		h = (h ^ uint64(f.argN) ^ uint64(f.argOff)<<32) * prime
		h ^= h >> 29
	}
	return h
}
