package parser

import (
	"bytes"
	"fmt"
)

// expect is what the next stack line should be.
type expect uint8

const (
	expectFunc        expect = iota // a function line, created by, elision, ...
	expectFile                      // the location of the frame just read
	expectCreatedFile               // the location of "created by"
)

// goroutineAlloc holds a goroutine and its creator in one allocation.
type goroutineAlloc struct {
	g  Goroutine
	cb CreatedBy
}

// argSpan locates one frame's arguments in the builder's argument buffer.
type argSpan struct{ from, to int32 }

// strayLine is an unrecognised line inside a goroutine block.
type strayLine struct {
	line int
	off  int64
	text string
}

// slab hands out exactly sized slices carved from large blocks, so that a
// goroutine's frames and argument words cost no allocation of their own.
// The slices are capped: appending to one never writes into another.
// Blocks start small and double up to size, so a small dump (one of
// thousands in a folder) does not keep a full block alive.
type slab[T any] struct {
	block []T
	used  int
	size  int // elements per block, at most
}

// nextSize is the length of the next block: double the last, from 16 up
// to size.
func (s *slab[T]) nextSize() int {
	return min(s.size, max(16, 2*len(s.block)))
}

// take returns a slice holding a copy of src.
func (s *slab[T]) take(src []T) []T {
	n := len(src)
	if n > len(s.block)-s.used {
		if n > s.size/4 {
			return append([]T(nil), src...) // large: its own allocation
		}
		s.block, s.used = make([]T, max(s.nextSize(), n)), 0
	}
	out := s.block[s.used : s.used+n : s.used+n]
	copy(out, src)
	s.used += n
	return out
}

// rest returns the free part of the current block as an empty slice to
// append to in place; commit then claims what was appended.
func (s *slab[T]) rest() []T { return s.block[s.used:s.used] }

// grow moves cur, a full slice obtained from rest, to a new block with
// room to spare and returns it there.
func (s *slab[T]) grow(cur []T) []T {
	s.block, s.used = make([]T, max(s.nextSize(), 2*len(cur)+1)), 0
	return s.block[:copy(s.block, cur)]
}

// one returns a pointer to a fresh zero element.
func (s *slab[T]) one() *T {
	if s.used == len(s.block) {
		s.block, s.used = make([]T, s.nextSize()), 0
	}
	s.used++
	return &s.block[s.used-1]
}

// commit claims the first n elements of rest and returns them, capped.
func (s *slab[T]) commit(n int) []T {
	out := s.block[s.used : s.used+n : s.used+n]
	s.used += n
	return out
}

// Slab block sizes: about 90 KB of frames, 64 KB of argument words, 64 KB
// of goroutines and 32 KB of labels.
const (
	frameSlabSize = 1024
	argSlabSize   = 4096
	gSlabSize     = 256
	labelSlabSize = 1024
)

// goroutineBuilder assembles one goroutine from its header and stack lines.
// Frames are appended in place to the free end of a slab block; argument
// words collect in a buffer reused from goroutine to goroutine and are
// copied out at the end into a slab slice.
type goroutineBuilder struct {
	a         *goroutineAlloc // nil when no goroutine is open
	frames    []Frame         // the open goroutine's frames, in frameSlab
	spans     []argSpan
	args      []Arg
	frameSlab slab[Frame]
	argSlab   slab[Arg]
	gSlab     slab[goroutineAlloc]
	labelSlab slab[Label]
	stacks    *frameShare // stacks read before, whose frames may be shared
	labels    []Label     // the open goroutine's labels before they are sorted
	next      expect
	// blank is set once a blank line followed the stack: the goroutine
	// stays open only for lines that continue its stack.
	blank bool
	// anc is the ancestor being read ("[originating from goroutine N]:"),
	// with its frames in ancFrames.
	anc       *Ancestor
	ancFrames []Frame
	strays    []strayLine
	// lastLine is the line of the goroutine's last stack line (its header
	// until a stack line comes).
	lastLine int
	// goleakTop is the top function a goleak header named, "" for other
	// headers: it stands in for the stack when the input ends before it.
	goleakTop string
	// dropLoc is set when a frame over maxFramesPerStack was dropped: its
	// location line is dropped too.
	dropLoc   bool
	capWarned bool
}

func (b *goroutineBuilder) open() bool { return b.a != nil }

// slabSet is the slabs of a goroutineBuilder. A worker of a parallel parse
// keeps one from chunk to chunk, so that its blocks fill up rather than
// each chunk leaving a block partly used.
type slabSet struct {
	frames slab[Frame]
	args   slab[Arg]
	gs     slab[goroutineAlloc]
	labels slab[Label]
	stacks *frameShare
}

func newSlabSet() *slabSet {
	return &slabSet{
		frames: slab[Frame]{size: frameSlabSize},
		args:   slab[Arg]{size: argSlabSize},
		gs:     slab[goroutineAlloc]{size: gSlabSize},
		labels: slab[Label]{size: labelSlabSize},
		stacks: &frameShare{},
	}
}

// useSlabs makes the builder, which holds no goroutine, carve from s.
func (b *goroutineBuilder) useSlabs(s *slabSet) {
	b.frameSlab, b.argSlab, b.gSlab, b.labelSlab, b.stacks = s.frames, s.args, s.gs, s.labels, s.stacks
	b.frames = b.frameSlab.rest()
}

// returnSlabs hands the builder's slabs back to s and leaves it empty
// ones of its own. The frames of the goroutine still open move to a block
// of their own: the merger may add to them after the worker has gone on
// carving its next chunk's frames from the same block.
func (b *goroutineBuilder) returnSlabs(s *slabSet) {
	s.frames, s.args, s.gs, s.labels, s.stacks = b.frameSlab, b.argSlab, b.gSlab, b.labelSlab, b.stacks
	own := newSlabSet()
	n := len(b.frames)
	own.frames.block = make([]Frame, max(2*n, 16))
	copy(own.frames.block, b.frames)
	b.useSlabs(own)
	b.frames = own.frames.block[:n]
}

// start opens a goroutine for header h found on line lineNo.
func (b *goroutineBuilder) start(p *textParser, h *header, lineNo int) {
	a := b.gSlab.one()
	b.a = a
	g := &a.g
	g.ID = h.id
	g.Count = 1
	g.State = p.intern(h.state)
	g.Status, g.Reason = classifyState(g.State, h.leaked)
	g.Scan = h.scan
	g.Durable = h.durable
	g.WaitKnown = h.hasWait
	g.Wait = h.waitFor()
	g.LockedToThread = h.locked
	g.Bubble = h.bubble
	g.GP, g.M, g.MP = h.gp, h.m, h.mp
	if h.labels != nil {
		lb := h.labels
		if bytes.IndexByte(lb, '&') >= 0 {
			lb = []byte(unescapeEntities(string(lb))) // copied from a page's source
		}
		b.labels = parseLabels(b.labels[:0], lb, p.intern)
		if len(b.labels) > 0 {
			g.Labels = b.labelSlab.take(b.labels)
		}
	}
	g.Line = lineNo
	b.next = expectFunc
	b.lastLine = lineNo
	b.goleakTop = ""
	if h.goleak {
		b.goleakTop = p.internFunc(h.top)
	}
}

// reset empties the builder for the next goroutine, keeping its buffers.
func (b *goroutineBuilder) reset() {
	b.a = nil
	b.frames = b.frameSlab.rest()
	b.spans = b.spans[:0]
	b.args = b.args[:0]
	b.next = expectFunc
	b.blank = false
	b.anc = nil
	b.ancFrames = b.ancFrames[:0]
	b.strays = b.strays[:0]
	b.goleakTop = ""
	b.dropLoc, b.capWarned = false, false
}

// midFrame reports whether the goroutine stops where a dump cut short
// would: a frame without its location, or a header without a stack.
func (b *goroutineBuilder) midFrame() bool {
	if b.next != expectFunc {
		return true
	}
	g := &b.a.g
	return len(b.frames) == 0 && !g.StackUnavailable && g.CreatedBy == nil && b.anc == nil
}

// stackLine consumes t if it is a line of the open goroutine's stack.
func (b *goroutineBuilder) stackLine(p *textParser, t []byte) bool {
	if b.next != expectFunc {
		if parseFileLine(t, &p.fl) {
			next := b.next
			b.location(p)
			p.noteExt(t, extLocation, next)
			return true
		}
	}
	if name, args, ok := funcLine(t); ok {
		if b.frame(p, name, args) {
			return true
		}
	}
	g := &b.a.g
	switch {
	case bytes.HasPrefix(t, createdByPrefix):
		fn, parent, ok := parseCreatedBy(t)
		if !ok {
			return false
		}
		cb := &b.a.cb
		if b.anc != nil {
			cb = &CreatedBy{}
			b.anc.CreatedBy = cb
		} else {
			g.CreatedBy = cb
		}
		*cb = CreatedBy{Func: p.internFunc(fn), Parent: parent}
		b.next = expectCreatedFile
		p.noteExt(t, extCreatedBy, expectFunc)
	case t[0] == '.':
		n, ok := parseElided(t)
		if !ok {
			return false
		}
		if b.anc == nil {
			g.Elided = n
		}
		b.next = expectFunc
	case t[0] == '[':
		id, ok := parseOriginating(t)
		if !ok {
			return false
		}
		b.endAncestor()
		g.Ancestors = append(g.Ancestors, Ancestor{ID: id})
		b.anc = &g.Ancestors[len(g.Ancestors)-1]
		b.next = expectFunc
	case bytes.Equal(t, stackUnavailable):
		g.StackUnavailable = true
		b.next = expectFunc
	case bytes.HasPrefix(t, nonGoFunction):
		pc, _ := parseHex(t[len(nonGoFunction):])
		b.appendFrame(Frame{Func: "non-Go function", PC: pc}, argSpan{})
		b.next = expectFunc
	default:
		return false
	}
	b.accepted(p)
	return true
}

// frame adds a function line's frame; false if its arguments are not
// what the runtime prints (then the line is not a frame).
func (b *goroutineBuilder) frame(p *textParser, name, args []byte) bool {
	f := Frame{}
	span := argSpan{from: int32(len(b.args))}
	if string(args) == "..." {
		// Inlined frames print "(...)"; ancestors print it for every frame.
		f.Inlined = b.anc == nil
	} else {
		var ok bool
		b.args, f.ArgsElided, ok = parseArgs(b.args, args)
		if !ok {
			return false
		}
	}
	span.to = int32(len(b.args))
	n := len(b.frames)
	if b.anc != nil {
		n = len(b.ancFrames)
	}
	if n >= maxFramesPerStack {
		// Over the budget: the frame and its location line are dropped
		// (counted as elided in the goroutine's own stack).
		b.args = b.args[:span.from]
		b.dropLoc = true
		if b.anc == nil {
			b.a.g.Elided++
		}
		if !b.capWarned {
			b.capWarned = true
			p.warn(p.no, -1, fmt.Sprintf("goroutine %d has a stack of more than %d frames: the rest are not kept", b.a.g.ID, maxFramesPerStack))
		}
		b.next = expectFile
		b.accepted(p)
		return true
	}
	f.Func = p.internFunc(name)
	b.appendFrame(f, span)
	b.next = expectFile
	b.accepted(p)
	return true
}

func (b *goroutineBuilder) appendFrame(f Frame, span argSpan) {
	if b.anc != nil {
		b.ancFrames = append(b.ancFrames, f)
		return
	}
	if len(b.frames) == cap(b.frames) {
		b.frames = b.frameSlab.grow(b.frames)
	}
	b.frames = append(b.frames, f)
	b.spans = append(b.spans, span)
}

// location fills in the file line of the last frame or of "created by".
func (b *goroutineBuilder) location(p *textParser) {
	if b.dropLoc && b.next != expectCreatedFile {
		b.dropLoc = false
		return
	}
	fl := &p.fl
	file := p.intern(fl.file)
	switch {
	case b.next == expectCreatedFile:
		cb := b.a.g.CreatedBy
		if b.anc != nil {
			cb = b.anc.CreatedBy
		}
		cb.File, cb.Line, cb.Offset = file, fl.line, fl.offset
	case b.anc != nil && len(b.ancFrames) > 0:
		f := &b.ancFrames[len(b.ancFrames)-1]
		f.File, f.Line, f.Offset, f.PC = file, fl.line, fl.offset, fl.pc
	case len(b.frames) > 0:
		f := &b.frames[len(b.frames)-1]
		f.File, f.Line, f.Offset, f.PC = file, fl.line, fl.offset, fl.pc
	}
	b.next = expectFunc
	b.accepted(p)
}

// accepted is called after each stack line: lines held as strays turn out
// to sit inside the stack, so they are skipped with a warning.
func (b *goroutineBuilder) accepted(p *textParser) {
	b.blank = false
	b.lastLine = p.no
	for _, s := range b.strays {
		p.warn(s.line, s.off, fmt.Sprintf("skipped a line inside the stack of goroutine %d: %q", b.a.g.ID, truncateForWarning(CleanText(s.text))))
	}
	b.strays = b.strays[:0]
}

// stray holds a line that is not part of the stack. If more of the stack
// follows, it was a log line in the middle of it; if not, it is text after
// the goroutine and goes back to the gap.
func (b *goroutineBuilder) stray(line int, off int64, t []byte) {
	if len(b.strays) >= maxStrays {
		return
	}
	b.strays = append(b.strays, strayLine{line: line, off: off, text: string(t[:min(len(t), 512)])})
}

// endAncestor stores the frames read for the current ancestor.
func (b *goroutineBuilder) endAncestor() {
	if b.anc == nil {
		return
	}
	b.anc.Frames = append([]Frame(nil), b.ancFrames...)
	b.ancFrames = b.ancFrames[:0]
	b.anc = nil
}

// finish returns the goroutine with its frames and arguments in slab
// slices.
func (b *goroutineBuilder) finish() *Goroutine {
	b.endAncestor()
	g := &b.a.g
	if len(b.frames) == 0 && b.goleakTop != "" && !g.StackUnavailable {
		// A goleak block the input ends before its stack: the header
		// named the top function.
		b.appendFrame(Frame{Func: b.goleakTop}, argSpan{})
	}
	if len(b.frames) > 0 {
		used := int32(0)
		for i, s := range b.spans {
			if s.to > s.from {
				b.frames[i].argOff, b.frames[i].argN = s.from, s.to-s.from
				used = s.to
			}
		}
		if used > 0 {
			g.args = b.argSlab.take(b.args[:used])
		}
		if b.stacks == nil {
			b.stacks = &frameShare{}
		}
		g.Frames = b.stacks.share(b.frames, func(fs []Frame) []Frame { return b.frameSlab.commit(len(fs)) })
	}
	if g.NoHeader {
		g.Status, g.Reason = inferReason(g.Frames)
	}
	if g.Status == StatusWaiting || g.Status == StatusLeaked {
		g.Reason = normaliseReason(g.Reason, g.Frames)
	}
	return g
}

// truncateForWarning shortens a skipped line for a warning message.
func truncateForWarning(s string) string {
	const n = 120
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
