package parser

import (
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/ctxhole/ctxhole/internal/human"
)

// runtimeStackCap is the size at which pprof's writeGoroutineStacks stops
// growing its buffer: a debug=2 dump of exactly this many bytes was cut.
const runtimeStackCap = 64 << 20

// maxWarnings bounds the warnings kept per snapshot: a log of noise must
// not turn into a list as long as itself.
const maxWarnings = 1000

// maxStrays bounds the unrecognised lines held inside one goroutine block
// while the parser waits to see whether the stack goes on after them.
const maxStrays = 32

// ReadText reads the goroutine dumps in r: /debug/pprof/goroutine?debug=2
// output, panic and fatal error output, SIGQUIT dumps, runtime.Stack(buf,
// true) text, as the runtime prints them from Go 1.4 to Go 1.26 and as they
// arrive in logs (per-line timestamps and prefixes, indentation, CRLF,
// ANSI colors, unrelated log lines in between). name is the file name used
// in warnings and errors.
//
// Each dump in the stream becomes one Snapshot. A new dump starts at a
// preamble line (panic, fatal error, signal, test timeout) that follows
// goroutines, at a goroutine ID already seen in the current dump, and at a
// "[running]" goroutine — the one that takes the dump is printed first —
// that follows foreign text or comes without the blank line the runtime
// prints between goroutines (when the input keeps those). The per-thread
// sections of a GOTRACEBACK=crash dump ("-----", then the signal again)
// belong to the dump they follow; a goroutine they list again is counted
// once and takes the stack its first listing could not print.
//
// The input is streamed and parsed on every core (see textparallel.go; the
// result is the same as on one): memory holds the model and a few chunks
// of 512 KiB per core (lines longer than 1 MiB are skipped with a
// warning). Standard input ("-") is read on one goroutine, line by line,
// so that its budget can stop a stream that never ends. ReadText returns
// an *Error only when no goroutine could be read; everything it skipped or
// repaired is a Warning on the snapshot.
func ReadText(r io.Reader, name string) ([]*Snapshot, error) {
	return readText(r, name, runtime.GOMAXPROCS(0), textChunkSize)
}

// readText reads r with workers goroutines parsing chunks of about chunk
// bytes (see readTextParallel); workers < 2 reads it on the calling
// goroutine alone.
func readText(r io.Reader, name string, workers, chunk int) ([]*Snapshot, error) {
	if workers < 2 {
		p := newTextParser(name, newLineReader(r), newInterner())
		p.readAll()
		return p.finish()
	}
	return readTextParallel(r, name, workers, chunk, nil)
}

// newTextParser returns a parser at the start of an input, reading lines
// from lr and interning strings in in.
func newTextParser(name string, lr *lineReader, in *interner) *textParser {
	p := &textParser{
		textOut:   &textOut{seen: make(map[int64]int)},
		name:      name,
		lr:        lr,
		interner:  in,
		maxFrames: maxFramesPerInput,
	}
	p.gap.reset()
	p.b.useSlabs(newSlabSet())
	return p
}

// runEnd says why run stopped.
type runEnd uint8

const (
	endInput  runEnd = iota // the end of p.lr's input
	endBudget               // a budget of budget.go was reached
	endError                // a read error; a warning says so
)

// run reads the lines of p.lr up to the end of its input, a read error or
// a budget.
func (p *textParser) run() runEnd {
	for {
		raw, start, skipped, err := p.lr.next()
		if err != nil {
			if err != io.EOF {
				p.readError(err, p.lr.no+1, start)
				return endError
			}
			return endInput
		}
		if skipped > 0 {
			p.warn(p.lr.no, start, fmt.Sprintf("line of %d bytes is longer than the %d byte limit: skipped", skipped, textMaxLine))
			continue
		}
		p.no = p.lr.no
		cl := &p.cl
		p.prefix.strip(raw, p.lr.mayESC, &p.ansi, cl)
		if cl.partial || p.join != nil {
			if !p.joinPartial(cl, start) {
				continue
			}
		}
		p.rawLen = len(raw)
		p.feed(cl, start)
		if p.overBudget(start) {
			p.held.active = false
			return endBudget
		}
	}
}

// readAll runs p to the end of its input and reads what the last line
// held back; finish follows.
func (p *textParser) readAll() {
	p.run() // a budget stop drops the held line
	if p.held.active {
		p.flushHeld()
	}
}

// readError records that the input could not be read past the line lineNo
// starting at offset start.
func (p *textParser) readError(err error, lineNo int, start int64) {
	p.readErr = err
	p.warn(lineNo, start, fmt.Sprintf("read error, input ends here: %v", err))
}

// textOut is what a text parse produces: the snapshots read so far, what
// the current one needs to decide where the next starts, and the counts
// the budgets check. A parallel parse gives each chunk its own and folds
// them together in input order (see textparallel.go).
type textOut struct {
	snaps   []*Snapshot
	cur     *Snapshot
	curFrom int64         // byte offset of the current snapshot's first header
	seen    map[int64]int // goroutine ID -> index in the current snapshot
	pending []Warning     // warnings before the first snapshot
	// suppressed counts the current snapshot's warnings beyond
	// maxWarnings, not kept.
	suppressed int
	// records counts the goroutines closed, frames their frames: the
	// budgets of budget.go.
	records int
	frames  int
	// escaped counts the lines that held an escaped dump in chunks read
	// before the current line reader's.
	escaped int
}

// textParser is the state of one ReadText call.
type textParser struct {
	*textOut
	*interner
	name   string
	lr     *lineReader
	prefix linePrefix
	ansi   []byte
	crash  bool // GOTRACEBACK=crash: several per-thread dumps of one crash
	// blanksKept is set once a header of the current dump followed a blank
	// line: the input keeps the runtime's blank lines.
	blanksKept bool
	gap        gapState
	readErr    error
	no         int // the line being read: its first record's for joined records
	// join collects the records of a line containerd split ("P" tags);
	// joinFrom is the offset of the first.
	join     []byte
	joinFrom int64
	joinLine int
	joinOver bool
	// goleak is set inside a goleak report, whose list ends at a "]" line.
	goleak bool
	// tail is a copy of the last line no reader took (a stray or gap
	// text), with its line and offset; tailOpen while only blank lines
	// followed it. At the end of input it may be a line the paste cut.
	tail, tailPre []byte
	tailLine      int
	tailOff       int64
	tailOpen      bool
	cutWarned     bool // a warning already says where the input was cut
	// Joining hard-wrapped lines (textwrap.go): rawLen is the raw length
	// of the line being read, held a line held back, ext the last long
	// location or "created by" line, wrapSeen set once a join was made.
	rawLen   int
	held     heldLine
	noHold   bool
	ext      extKind
	extNext  expect
	extLine  int
	extText  []byte
	joinBuf  []byte
	wrapSeen bool
	extTrail bool // the ext line ended in a blank: a join puts one back
	// linePre is the raw text of the line being read (cl.pre).
	linePre []byte
	hdr     header
	cl      cleanLine
	fl      fileLine
	b       goroutineBuilder
	// lastRecord is the offset of the last line inside a goroutine, for
	// the standard input budget of budget.go.
	lastRecord int64
	// end is why the parse of a chunk stopped (textparallel.go).
	end runEnd
	// maxFrames is the frame budget: maxFramesPerInput, less in tests.
	maxFrames int
}

// line dispatches one cleaned line.
func (p *textParser) line(cl *cleanLine, start int64) {
	t := cl.text
	if len(t) == 0 {
		if p.b.open() {
			p.b.blank = true
		} else {
			p.gap.add(nil, nil, p.no, nil)
		}
		return
	}
	p.tailOpen = false
	p.linePre = cl.pre
	if p.b.open() && p.b.stackLine(p, t) {
		return
	}
	if len(t) > len(hdrGoroutine) && t[0] == 'g' && parseHeader(t, &p.hdr) {
		p.header(cl, start)
		return
	}
	if (t[0] == '[' || t[0] == 'G') && parseGoleakHeader(t, &p.hdr) {
		p.goleak = true
		p.header(cl, start)
		if p.cur != nil {
			p.cur.Preamble.Goleak = true
		}
		return
	}
	if i := headerAt(cl.pre); i > 0 && parseHeader(cl.pre[i:], &p.hdr) && p.hdr.trailer == nil {
		p.prefix.learn(cl.pre[:i])
		p.header(cl, start)
		return
	}
	if p.goleak && len(t) == 1 && t[0] == ']' {
		// The end of goleak's list of unexpected goroutines.
		if p.b.open() {
			p.closeGoroutine()
		}
		p.goleak = false
		return
	}
	if p.unwrap(cl, start) {
		return
	}
	p.tail = append(p.tail[:0], t[:min(len(t), 512)]...)
	p.tailPre = append(p.tailPre[:0], cl.pre[:min(len(cl.pre), 512)]...)
	p.tailLine, p.tailOff, p.tailOpen = p.no, start, true
	if p.b.open() {
		if isRuntimeDiagnostic(t) && !p.b.blank {
			return
		}
		if _, _, _, ok := preambleMarker(t, cl.pre); ok || p.b.blank {
			p.closeGoroutine()
		} else {
			p.b.stray(p.no, start, t)
			return
		}
	}
	if p.fragmentStart(cl, t, start) || p.cur == nil && p.cutHeader(cl, t, start) {
		p.tailOpen = false
		return
	}
	p.gap.add(t, cl.pre, p.no, cl.ts)
}

// joinPartial collects containerd's partial records. Once the record that
// ends the line arrives it puts the whole line in cl and reports true.
func (p *textParser) joinPartial(cl *cleanLine, start int64) bool {
	if p.join == nil {
		p.join, p.joinFrom, p.joinLine, p.joinOver = make([]byte, 0, 256), start, p.lr.no, false
	}
	if !p.joinOver && len(p.join)+len(cl.pre) <= textMaxLine {
		p.join = append(p.join, cl.pre...)
	} else {
		p.joinOver = true
	}
	if cl.partial {
		return false
	}
	joined, over := p.join, p.joinOver
	p.join = nil
	if over {
		p.warn(p.lr.no, p.joinFrom, fmt.Sprintf("line of partial log records longer than the %d byte limit: skipped", textMaxLine))
		return false
	}
	*cl = cleanLine{ts: cl.ts}
	p.prefix.rest(joined, cl)
	p.no = p.joinLine
	return true
}

// header starts a goroutine, and a snapshot when the header opens a new
// dump.
func (p *textParser) header(cl *cleanLine, start int64) {
	if p.absorbHeader() {
		return
	}
	if p.b.open() {
		blank := p.b.blank
		p.closeGoroutine()
		if blank {
			p.gap.add(nil, nil, p.no, nil)
		}
	}
	h := &p.hdr
	newDump := p.cur == nil || p.newDump(h)
	if !newDump && p.gap.blankLast {
		p.blanksKept = true
	}
	if newDump {
		p.startSnapshot(cl, start)
	} else if p.gap.unknown > 0 {
		msg := fmt.Sprintf("skipped a line between goroutines: %q", p.gap.unknownFirst)
		if p.gap.unknown > 1 {
			msg = fmt.Sprintf("skipped %d lines between goroutines, the first: %q", p.gap.unknown, p.gap.unknownFirst)
		}
		p.warn(p.gap.unknownLine, -1, msg)
	}
	p.gap.reset()
	p.b.start(p, h, p.no)
	if h.trailer != nil {
		p.warn(p.no, start, fmt.Sprintf("ignored the text after goroutine %d's header: %q", h.id, truncateForWarning(CleanText(string(h.trailer)))))
	}
}

// absorbHeader reads a runtime header that repeats the goleak header just
// before it (older goleak versions print both): the goroutine stays one,
// with the runtime header's fields, which are exact where goleak's state
// may not be.
func (p *textParser) absorbHeader() bool {
	h := &p.hdr
	b := &p.b
	if !b.open() || b.goleakTop == "" || h.goleak || h.id != b.a.g.ID || len(b.frames) > 0 || b.a.g.CreatedBy != nil {
		return false
	}
	line := b.a.g.Line
	b.start(p, h, p.no)
	b.a.g.Line = line
	return true
}

// newDump decides whether the header h opens a new dump (see ReadText).
func (p *textParser) newDump(h *header) bool {
	if p.gap.crashCont {
		p.crash = true
		return false
	}
	if p.gap.hasStart(p.prefix.learned) {
		return true
	}
	if _, dup := p.seen[h.id]; dup && h.id != 0 && !p.crash {
		return true
	}
	if p.crash && !p.gap.text {
		// Within a crash's per-thread sections a thread caught on its
		// system stack prints g0's frames and then, with no blank line,
		// the goroutine it was running (runtime.sighandler); only a new
		// preamble, handled above, ends a crash dump.
		return false
	}
	// The runtime prints a blank line before every header but the first of
	// a dump; a "[running]" header without one starts the next dump,
	// unless the log lost its blank lines altogether.
	running := string(h.state) == "running"
	return running && (p.gap.text || !p.gap.blankLast && p.blanksKept)
}

// startSnapshot closes the current snapshot and opens the next, with the
// preamble the gap holds.
func (p *textParser) startSnapshot(cl *cleanLine, start int64) {
	pre, line, ts := p.gap.preamble(p.prefix.learned)
	if line == 0 {
		line, ts = p.no, cl.ts
	}
	s := &Snapshot{
		Source: Source{
			File:   p.name,
			Format: FormatGoroutineText,
			Index:  len(p.snaps),
			Line:   line,
		},
		Preamble: pre,
		groups:   new(groupCache),
	}
	if ts != nil {
		s.Source.Time = parseTimestamp(ts)
	}
	if p.cur == nil {
		s.Warnings = append(s.Warnings, p.pending...)
		p.pending = nil
	} else {
		p.flushSuppressed()
	}
	p.snaps = append(p.snaps, s)
	p.cur = s
	p.curFrom = start
	p.crash = false
	p.blanksKept = false
	clear(p.seen)
}

// closeGoroutine finishes the open goroutine and adds it to the snapshot.
func (p *textParser) closeGoroutine() {
	g := p.b.finish()
	p.noteGoroutine(g)
	if i, dup := p.seen[g.ID]; dup && p.crash && g.ID != 0 {
		mergeRepeat(p.cur.Goroutines[i], g)
	} else {
		p.seen[g.ID] = len(p.cur.Goroutines)
		p.cur.Goroutines = append(p.cur.Goroutines, g)
		p.records++
		p.frames += len(g.Frames)
	}
	for _, s := range p.b.strays {
		t := []byte(s.text)
		p.gap.add(t, t, s.line, nil)
	}
	p.b.reset()
}

// mergeRepeat folds into g a later listing of the same goroutine. Under
// GOTRACEBACK=crash each thread's section lists the goroutine it was
// running again, with the stack the goroutine list could not print
// ("goroutine running on other thread; stack unavailable") or with more of
// it (the C frames of a goroutine in cgo). One snapshot is one moment, so
// the goroutine stays one, in its first place, with the richer stack.
func mergeRepeat(g, again *Goroutine) {
	if len(again.Frames) <= len(g.Frames) {
		return
	}
	g.Frames, g.args, g.Elided, g.StackUnavailable = again.Frames, again.args, again.Elided, false
	if g.CreatedBy == nil {
		g.CreatedBy = again.CreatedBy
	}
	if g.Ancestors == nil {
		g.Ancestors = again.Ancestors
	}
	if g.Reason != "" {
		g.Reason = normaliseReason(g.Reason, g.Frames)
	}
}

// finish closes what is open at the end of input and checks for
// truncation.
func (p *textParser) finish() ([]*Snapshot, error) {
	if n := p.escaped + p.lr.escaped; n > 0 {
		p.warn(p.lr.no, -1, fmt.Sprintf("%s held a dump logged as one escaped string (\\n, \\t, \\\"): read unescaped (warnings name the logged line)", human.Plural(n, "line")))
	}
	atCap := p.cur != nil && p.lr.off-p.curFrom == runtimeStackCap
	if p.tailOpen && !atCap {
		p.cutTail()
	}
	if atCap {
		p.cur.Truncated = true
		p.warn(p.lr.no, -1, fmt.Sprintf("dump is exactly %d bytes, where the runtime stops writing (pprof's 64 MiB goroutine stack buffer): goroutines after the cut are missing", runtimeStackCap))
	}
	if p.b.open() {
		// A last line without its newline that is no stack line was cut.
		cutLine := !p.lr.eofNewline && len(p.b.strays) > 0 && p.b.strays[len(p.b.strays)-1].line == p.lr.no
		if (p.b.midFrame() || cutLine) && !atCap && !p.cutWarned {
			p.cur.Truncated = true
			p.warn(p.lr.no, -1, "input ends in the middle of a goroutine's stack: the dump is truncated")
		}
		p.closeGoroutine()
	}
	if len(p.snaps) == 0 {
		err := errors.New(`no goroutine header ("goroutine N [state]:") found`)
		if p.readErr != nil {
			err = fmt.Errorf("reading goroutine dump: %w", p.readErr)
		}
		return nil, &Error{File: p.name, Line: max(p.lr.no, 1), Offset: p.lr.off, Err: err}
	}
	if len(p.pending) > 0 {
		p.cur.Warnings = append(p.cur.Warnings, p.pending...)
		p.pending = nil
	}
	p.flushSuppressed()
	return p.snaps, nil
}

// warn records a warning on the current snapshot, or holds it for the
// first one.
func (p *textParser) warn(line int, off int64, msg string) {
	w := Warning{File: p.name, Line: line, Offset: off, Msg: msg}
	list := &p.pending
	if p.cur != nil {
		list = &p.cur.Warnings
	}
	if len(*list) >= maxWarnings {
		p.suppressed++
		return
	}
	*list = append(*list, w)
}

// flushSuppressed closes the current snapshot's warnings with a count of
// those left out.
func (p *textParser) flushSuppressed() {
	if p.suppressed > 0 && p.cur != nil {
		p.cur.Warnings = append(p.cur.Warnings, Warning{File: p.name, Offset: -1,
			Msg: fmt.Sprintf("%d more warnings not listed", p.suppressed)})
	}
	p.suppressed = 0
}

// internCacheSize is the number of entries of the intern cache, a power
// of two.
const internCacheSize = 4096

// interner holds the strings a parse has interned. A parallel parse gives
// each worker its own: strings are compared by value, so which copy a
// goroutine holds makes no difference.
type interner struct {
	strs  map[string]internEntry // interned function names, files, states
	cache *[internCacheSize]internEntry
}

func newInterner() *interner {
	return &interner{strs: make(map[string]internEntry, 1024), cache: new([internCacheSize]internEntry)}
}

// intern returns the cleaned string for b, allocating it once per distinct
// value: function names and files repeat across thousands of goroutines.
// A direct-mapped cache keyed by a few sampled bytes answers most lookups
// with one comparison before the map is consulted.
func (p *interner) intern(b []byte) string {
	h := sampleHash(b) & (internCacheSize - 1)
	if e := &p.cache[h]; e.raw == string(b) && e.clean != "" {
		return e.clean
	}
	return p.internSlow(b, h).clean
}

// internFunc is intern for function names: it returns the cleaned name
// with its import path reduced to the module path (see UnvendorFunc).
func (p *interner) internFunc(b []byte) string {
	h := sampleHash(b) & (internCacheSize - 1)
	if e := &p.cache[h]; e.raw == string(b) && e.clean != "" {
		return e.fn
	}
	return p.internSlow(b, h).fn
}

// internSlow looks b up in the map, adding it if new, and caches it in
// slot h.
func (p *interner) internSlow(b []byte, h uint32) internEntry {
	e, ok := p.strs[string(b)]
	if !ok {
		k := string(b)
		c := CleanText(unescapeEntities(k)) // entities: a dump copied from a page's source
		e = internEntry{raw: k, clean: c, fn: UnvendorFunc(c)}
		p.strs[k] = e
	}
	p.cache[h] = e
	return e
}

// internEntry is one intern cache slot: the raw bytes as a string, their
// cleaned form and, should they name a function, its unvendored form (a
// suffix of clean, computed once per distinct string).
type internEntry struct{ raw, clean, fn string }

// sampleHash hashes the length and five sampled bytes of b: enough to
// tell apart the function names and files of one dump most of the time.
func sampleHash(b []byte) uint32 {
	n := len(b)
	h := uint32(n)
	if n > 1 {
		h = h*31 + uint32(b[n-1])
		h = h*31 + uint32(b[n-2])
		h = h*31 + uint32(b[n/2])
		h = h*31 + uint32(b[n/3])
		h = h*31 + uint32(b[2*n/3])
	}
	return h ^ h>>13
}
