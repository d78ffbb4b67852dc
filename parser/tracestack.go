package parser

import (
	"hash/maphash"
	"strings"

	"golang.org/x/exp/trace"
)

// stackRef indexes a stackTable; 0 is the empty stack.
type stackRef int32

// internedStack is one distinct stack of a trace, converted to the model's
// frames once.
type internedStack struct {
	frames []Frame
	// deadline is set when a frame is the timer callback of a context
	// deadline (context.WithDeadline.func2 before Go 1.21,
	// context.WithDeadlineCause.func2 since): a wake from this stack is a
	// deadline firing.
	deadline bool
}

// stackTable interns trace stacks by their frames. Stack IDs in an execution
// trace are only unique within a generation, so each generation keeps a
// small cache from its trace.Stack handles to interned stacks, dropped when
// the generation ends, while the interned stacks live for the whole trace:
// memory grows with the number of distinct stacks, not with trace length.
type stackTable struct {
	seed   maphash.Seed
	stacks []internedStack // index 0 is the empty stack
	byHash map[uint64][]stackRef
	gen    map[trace.Stack]stackRef
	buf    []Frame
}

func newStackTable() *stackTable {
	return &stackTable{
		seed:   maphash.MakeSeed(),
		stacks: []internedStack{{}},
		byHash: make(map[uint64][]stackRef),
		gen:    make(map[trace.Stack]stackRef),
	}
}

// newGeneration forgets the per-generation handles.
func (t *stackTable) newGeneration() { clear(t.gen) }

// ref interns s and returns its reference.
func (t *stackTable) ref(s trace.Stack) stackRef {
	if s == trace.NoStack {
		return 0
	}
	if r, ok := t.gen[s]; ok {
		return r
	}
	t.buf = t.buf[:0]
	for f := range s.Frames() {
		t.buf = append(t.buf, Frame{Func: f.Func, File: f.File, Line: int(f.Line), PC: f.PC})
	}
	r := t.intern(t.buf)
	t.gen[s] = r
	return r
}

// intern returns the reference of the stack with these frames, adding it
// if it is new. It cleans the frames' strings in place (they come from
// untrusted input) and copies frames when it adds them.
func (t *stackTable) intern(frames []Frame) stackRef {
	if len(frames) == 0 {
		return 0
	}
	for i := range frames {
		frames[i].Func = UnvendorFunc(CleanText(frames[i].Func))
		frames[i].File = CleanText(frames[i].File)
	}
	var h maphash.Hash
	h.SetSeed(t.seed)
	for i := range frames {
		h.WriteString(frames[i].Func)
		h.WriteString(frames[i].File)
		maphash.WriteComparable(&h, frames[i].Line)
	}
	sum := h.Sum64()
	for _, r := range t.byHash[sum] {
		if SameStack(t.stacks[r].frames, frames) {
			return r
		}
	}
	own := make([]Frame, len(frames))
	deadline := false
	for i, f := range frames {
		// Strings are cloned so that the interned stack does not keep a
		// generation's string table alive.
		f.Func = strings.Clone(f.Func)
		f.File = strings.Clone(f.File)
		own[i] = f
		if isDeadlineFunc(f.Func) {
			deadline = true
		}
	}
	r := stackRef(len(t.stacks))
	t.stacks = append(t.stacks, internedStack{frames: own, deadline: deadline})
	t.byHash[sum] = append(t.byHash[sum], r)
	return r
}

func (t *stackTable) frames(r stackRef) []Frame { return t.stacks[r].frames }

func (t *stackTable) deadline(r stackRef) bool { return t.stacks[r].deadline }

// isDeadlineFunc reports whether fn is the function a context's deadline
// timer runs: the time.AfterFunc callback of context.WithDeadlineCause
// (Go 1.21+) or context.WithDeadline (before), its second closure in every
// release (the first and third are the cancel functions it returns).
func isDeadlineFunc(fn string) bool {
	return fn == "context.WithDeadlineCause.func2" || fn == "context.WithDeadline.func2"
}
