package parser

import (
	"bytes"
	"errors"
)

// The debug=1 text as people paste it. GitHub renders a "#" followed by a
// tab or a space as a heading, so a copy of the rendered page loses the
// "#" of every frame line; terminals and web pages turn tabs into spaces;
// some tools drop the PC column; a paste may hold records without the
// "goroutine profile: total N" line above them; a fixed-width terminal or
// log viewer wraps the long record and frame lines. The reader takes all
// of that: the cleaning of Markdown and HTML markup is the text parser's
// (textpaste.go), the rest is here.

// debug1Pending is a record or frame line held back one line, in case the
// next one continues it.
type debug1Pending struct {
	active bool
	text   []byte
	no     int
	rawLen int  // display columns
	trail  bool // the raw line ended in a blank
}

// debug1Clean reduces a raw line to its text: no Markdown quote marker,
// no indentation or trailing blanks, and nothing at all for a code fence
// or a line of HTML tags.
func debug1Clean(raw []byte) []byte {
	if len(raw) > 0 && quoted(raw) {
		raw = unquoteLine(raw)
	}
	t := trimBlank(bytes.TrimRight(raw, "\r"))
	if len(t) >= 3 && (t[0] == '`' || t[0] == '~' || t[0] == '<' || t[len(t)-1] == '>') {
		if markupOnly(t) {
			return t[:0]
		}
		t = stripTags(t)
	}
	return t
}

// feed reads one raw line, joining it to the held record or frame line
// when it continues it.
func (d *debug1Reader) feed(raw []byte) error {
	t := debug1Clean(raw)
	p := &d.pend
	if p.active && len(t) > 0 && p.rawLen >= minWrapLen && d.continues(t) {
		j := append([]byte(nil), p.text...)
		if p.trail || len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
			j = append(j, ' ')
		}
		j = append(j, t...)
		whole, jWhole := debug1Whole(p.text), debug1Whole(j)
		// A record's continuation is PCs, whole or cut. A piece that reads
		// as a frame line by itself ("art.func1+0x1f /a.go:5" once the "#"
		// is gone) continues only a frame line cut short that it makes
		// whole; any other piece continues a line it makes whole, or one
		// that is not whole yet.
		alone := isDebug1FrameLine(t)
		if len(j) <= maxHeld && (isRecordStart(p.text) && hexWords(t) ||
			alone && !whole && jWhole || !alone && (jWhole || !whole)) {
			p.text, p.rawLen, p.trail = j, columns(raw), endsBlank(raw)
			return nil
		}
	}
	if err := d.flushPending(); err != nil {
		return err
	}
	if len(t) > 0 && (t[0] == '#' && !bytes.HasPrefix(t, []byte("# labels:")) || isRecordStart(t) || isDebug1FrameLine(t)) {
		*p = debug1Pending{active: true, text: append(p.text[:0], t...), no: d.lr.no, rawLen: columns(raw), trail: endsBlank(raw)}
		return nil
	}
	return d.line(t)
}

// flushPending reads the held line.
func (d *debug1Reader) flushPending() error {
	p := &d.pend
	if !p.active {
		return nil
	}
	p.active = false
	d.lineNo = p.no
	err := d.line(p.text)
	d.lineNo = 0
	return err
}

// continues reports whether t may continue the held line: it starts none
// of the lines the format has (a header, a record, a "#" line).
func (d *debug1Reader) continues(t []byte) bool {
	if t[0] == '#' || isRecordStart(t) {
		return false
	}
	_, _, ok := parseProfileTotal(t)
	return !ok
}

// debug1Whole reports whether t is a record or frame line that reads.
func debug1Whole(t []byte) bool {
	if isRecordLine(t) {
		return true
	}
	f, err := parseDebug1Frame(t, nil)
	return err == nil && (f.File != "" || f.Func == "?")
}

// isRecordLine reports whether t is a record line, "N @ 0x1 0x2 ...".
func isRecordLine(t []byte) bool {
	if len(t) == 0 || !isDigit(t[0]) {
		return false
	}
	_, _, _, err := parseDebug1Record(t)
	return err == nil
}

// columns returns the display width of a raw line, tabs advancing to the
// next multiple of 8 (debug=1 pads its columns with tabs).
func columns(raw []byte) int {
	col := 0
	for _, c := range raw {
		switch {
		case c == '\t':
			col = (col/8 + 1) * 8
		case c < 0x80 || c >= 0xc0: // not a UTF-8 continuation byte
			col++
		}
	}
	return col
}

// hexWords reports whether t holds only PCs and pieces of PCs.
func hexWords(t []byte) bool {
	for _, c := range t {
		if c != ' ' && c != 'x' && hexDigit[c] == 0xff {
			return false
		}
	}
	return true
}

// isRecordStart reports whether t starts like a record line, "N @", whole
// or not.
func isRecordStart(t []byte) bool {
	n, i := parseDec(t)
	return i > 0 && n > 0 && bytes.HasPrefix(t[i:], []byte(" @"))
}

// isDebug1FrameLine reports whether t, which does not start with "#", is
// a frame line whose "#" was lost: an optional PC, a function and a
// location.
func isDebug1FrameLine(t []byte) bool {
	if len(t) == 0 || t[0] == '#' || bytes.IndexByte(t, '.') < 0 {
		return false
	}
	f, err := parseDebug1Frame(t, nil)
	return err == nil && f.File != "" && f.Func != ""
}

// debug1FrameFunc returns the function column of a frame line that does
// not read whole (its location cut or missing), or nil.
func debug1FrameFunc(t []byte) []byte {
	fields := bytes.Fields(bytes.TrimPrefix(t, []byte("#")))
	if len(fields) > 0 {
		if _, err := parseHex0x(fields[0]); err == nil {
			fields = fields[1:]
		}
	}
	if len(fields) == 0 {
		return nil
	}
	fn := fields[0]
	if i := bytes.LastIndex(fn, []byte("+0x")); i > 0 {
		fn = fn[:i]
	}
	if bytes.IndexByte(fn, '.') <= 0 {
		return nil
	}
	return fn
}

// errNoHeader is the warning about records read without the header.
var errNoHeader = errors.New(`no "goroutine profile: total N" header: records read without a total to check them against`)

// headless starts a snapshot at a record or frame line that comes without
// the profile's header, and reports whether it did.
func (d *debug1Reader) headless(t []byte) bool {
	if !isRecordLine(t) && !(len(t) > 0 && t[0] == '#' && debug1Whole(t)) && !isDebug1FrameLine(t) {
		return false
	}
	d.snap = &Snapshot{Source: Source{File: d.name, Format: FormatGoroutineDebug1, Index: len(d.snaps), Line: d.no()}, groups: new(groupCache)}
	d.noHeader = true
	d.warn(errNoHeader.Error())
	return true
}
