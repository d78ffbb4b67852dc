package parser

import "bytes"

// Hard-wrapped lines: a terminal without line wrapping in its copy buffer,
// a log viewer or a mail client breaks every line longer than its width
// (80, 120 columns) into pieces, and the pieces of a frame no longer parse.
// The text parser joins them again where the result is a stack line the
// pieces are not:
//
//   - a long line that nothing reads is held back one line; when the next
//     line starts in column 0 (a wrapped piece has no indentation) and the
//     two joined make a header, a goleak header, a function line, a
//     "created by" line or the location the open frame waits for, they are
//     read as one line (and three or more pieces the same way);
//   - a long location or "created by" line that did parse may still have
//     been cut inside its line number, offset or fp=/sp=/pc= words, or
//     inside the creator's name: when the next line starts in column 0 and
//     reads as nothing, but the two joined parse, the joined line replaces
//     the first.
//
// A piece that joins nothing is read as it would have been unheld.

// minWrapLen is the shortest raw line taken for the first piece of a
// wrapped line: no terminal or viewer wraps narrower.
const minWrapLen = 40

// maxHeld bounds a line assembled from wrapped pieces.
const maxHeld = 8 << 10

// heldLine is a line held back to see whether the next one continues it.
type heldLine struct {
	active       bool
	text, pre    []byte
	ts           []byte
	no, indent   int
	start        int64
	trailingSpan bool // the raw line ended in blanks trimBlank removed
}

// extKind says what the last long stack line was, for joining a cut one.
type extKind uint8

const (
	extNone extKind = iota
	extLocation
	extCreatedBy
)

// feed reads one cleaned line, joining wrapped pieces first.
func (p *textParser) feed(cl *cleanLine, start int64) {
	if p.held.active {
		if p.joinHeld(cl) {
			return
		}
		p.flushHeld()
	}
	p.line(cl, start)
}

// unwrap is called for a line nothing reads. It joins it to the long stack
// line before it when that line was cut, or holds it back when it may be
// the first piece of a wrapped line; it reports whether it took the line.
func (p *textParser) unwrap(cl *cleanLine, start int64) bool {
	t := cl.text
	if p.extendLast(cl) {
		return true
	}
	if p.noHold || p.rawLen < minWrapLen || len(t) > maxHeld || p.gap.inRace || !stackHead(t) {
		return false
	}
	if _, _, _, ok := preambleMarker(t, cl.pre); ok || isRuntimeDiagnostic(t) {
		return false
	}
	h := &p.held
	h.active = true
	h.text = append(h.text[:0], t...)
	h.pre = append(h.pre[:0], cl.pre...)
	h.ts = append(h.ts[:0], cl.ts...)
	h.no, h.start, h.indent = p.no, start, cl.indent
	h.trailingSpan = endsBlank(cl.pre)
	return true
}

// extendLast joins t to the last long location or "created by" line when
// it continues it (see the file comment).
func (p *textParser) extendLast(cl *cleanLine) bool {
	b := &p.b
	if p.ext == extNone || p.extLine != p.no-1 || cl.indent > 1 || !b.open() {
		return false
	}
	j := append(p.joinBuf[:0], p.extText...)
	if p.extTrail || cl.indent == 1 {
		j = append(j, ' ')
	}
	j = append(j, cl.text...)
	p.joinBuf = j
	switch p.ext {
	case extLocation:
		if !parseFileLine(j, &p.fl) {
			return false
		}
		b.next = p.extNext
		b.location(p)
	case extCreatedBy:
		fn, parent, ok := parseCreatedBy(j)
		cb := b.a.g.CreatedBy
		if b.anc != nil {
			cb = b.anc.CreatedBy
		}
		if !ok || cb == nil || b.next != expectCreatedFile {
			return false
		}
		cb.Func, cb.Parent = p.internFunc(fn), parent
		b.accepted(p)
	}
	p.extText = append(p.extText[:0], j...)
	p.extLine = p.no
	p.extTrail = endsBlank(cl.pre)
	p.wrapSeen = true
	return true
}

// noteExt records a location or "created by" line just read, which a
// wrapped next line may continue. Only long lines are kept.
func (p *textParser) noteExt(t []byte, kind extKind, next expect) {
	if p.rawLen < minWrapLen {
		p.ext = extNone
		return
	}
	p.ext, p.extNext, p.extLine = kind, next, p.no
	p.extText = append(p.extText[:0], t...)
	p.extTrail = endsBlank(p.linePre)
}

// endsBlank reports whether a raw line ends in a space or a tab.
func endsBlank(b []byte) bool {
	return len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t')
}

// joinHeld reads the held line and cl as one when they join into a stack
// line, or holds them joined when they may continue on the next line.
func (p *textParser) joinHeld(cl *cleanLine) bool {
	h := &p.held
	n := cl.text
	if len(n) == 0 || cl.indent > 1 {
		return false
	}
	sep := cl.indent == 1 || h.trailingSpan
	j := append(append(p.joinBuf[:0], h.text...), n...)
	if sep {
		j = append(append(append(p.joinBuf[:0], h.text...), ' '), n...)
	}
	p.joinBuf = j
	if p.joinable(j, h.text) {
		no := p.no
		jl := cleanLine{text: j, pre: j, ts: h.ts, indent: h.indent}
		p.no, h.active = h.no, false
		p.wrapSeen = true
		p.line(&jl, h.start)
		p.no = no
		return true
	}
	// Three pieces or more: the middle piece reads as nothing on its own,
	// and holds no blank unless it is inside a function's arguments.
	if len(j) <= maxHeld && !p.readsAlone(cl) && (bytes.IndexByte(n, ' ') < 0 || bytes.IndexByte(j, '(') >= 0) {
		h.text = append(h.text[:0], j...)
		h.trailingSpan = endsBlank(cl.pre)
		return true
	}
	return false
}

// joinable reports whether j, a held line joined to the next, is a line
// the parser reads in its current state. A joined location must not hold
// a blank in its first piece unless wrapping was already seen: paths
// rarely hold one, log lines always do.
func (p *textParser) joinable(j, first []byte) bool {
	var h header
	switch {
	case bytes.HasPrefix(j, hdrGoroutine):
		return parseHeader(j, &h) && h.trailer == nil
	case j[0] == '[' || j[0] == 'G':
		return parseGoleakHeader(j, &h)
	case bytes.HasPrefix(j, createdByPrefix):
		_, _, ok := parseCreatedBy(j)
		return ok
	}
	if p.b.open() && p.b.next != expectFunc {
		var fl fileLine
		if parseFileLine(j, &fl) && (p.wrapSeen || bytes.IndexByte(first, ' ') < 0 || hasLocation(first)) {
			return true
		}
	}
	return isFrameLine(j)
}

// readsAlone reports whether a line is something the parser reads by
// itself: a header or a stack line.
func (p *textParser) readsAlone(cl *cleanLine) bool {
	t := cl.text
	var h header
	var fl fileLine
	return parseHeader(t, &h) || parseGoleakHeader(t, &h) || isFrameLine(t) || parseFileLine(t, &fl) ||
		bytes.HasPrefix(t, createdByPrefix) || headerAt(cl.pre) >= 0 || isRaceDelimiter(t)
}

// stackHead reports whether t may be the first piece of a wrapped stack
// line: it starts like a header, a goleak header or "created by", or it is
// a function name or path (no blank before its arguments, if any).
func stackHead(t []byte) bool {
	switch {
	case bytes.HasPrefix(t, hdrGoroutine), bytes.HasPrefix(t, createdByPrefix),
		bytes.HasPrefix(t, []byte("[Goroutine ")), bytes.HasPrefix(t, goleakPrefix):
		return true
	}
	if hasLocation(t) {
		return true // a location cut in its offset or fp=/sp=/pc= words
	}
	head := t
	if open := bytes.IndexByte(t, '('); open >= 0 {
		head = t[:open]
	}
	return len(head) > 0 && bytes.IndexByte(head, ' ') < 0 && bytes.ContainsAny(head, "./")
}

// hasLocation reports whether t holds a source location followed by
// more words: "file.go:12 +0x1d fp=0x".
func hasLocation(t []byte) bool {
	sp := bytes.IndexByte(t, ' ')
	if sp < 0 {
		return false
	}
	var fl fileLine
	return parseFileLine(t[:sp], &fl) && isSourceFile(fl.file)
}

// flushHeld reads the held line as it would have been read unheld.
func (p *textParser) flushHeld() {
	h := &p.held
	h.active = false
	no := p.no
	cl := cleanLine{text: h.text, pre: h.pre, ts: h.ts, indent: h.indent}
	p.no, p.noHold = h.no, true
	p.line(&cl, h.start)
	p.no, p.noHold = no, false
}
