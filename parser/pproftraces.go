package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// tracesSeparatorPrefix starts the line `go tool pprof -traces` prints
// between samples.
const tracesSeparatorPrefix = "-----------+-------"

// readPprofTraces reads the text of `go tool pprof -traces` over a goroutine
// profile, as people paste it, interactive session noise included:
//
//	File: controller
//	Type: goroutine
//	Time: Jan 26, 2025 at 5:09am (PST)
//	-----------+-------------------------------------------------------
//	   handler:  lock
//	    128846   runtime.gopark
//	             runtime.goparkunlock (inline)
//	             main.worker
//	-----------+-------------------------------------------------------
//
// Each sample becomes one Goroutine with ID 0 and Count N, its state
// inferred from the frames (function names only, plus file:line under
// -lines and the address under -addresses). Every traces section in the
// input is one snapshot. A "Showing nodes accounting for ..., of T total"
// line (from a `top` in the same session) gives DeclaredTotal; otherwise it
// is the sum of the samples.
func readPprofTraces(r io.Reader, name string) ([]*Snapshot, error) {
	p := &tracesParser{name: name, lr: newLineReader(r)}
	for {
		line, _, skipped, err := p.lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &Error{File: name, Line: p.lr.no + 1, Offset: p.lr.off, Err: err}
		}
		if skipped > 0 {
			p.warn(fmt.Sprintf("skipped a %d-byte line", skipped))
			continue
		}
		if err := p.line(line); err != nil {
			return nil, &Error{File: name, Line: p.lr.no, Offset: -1, Err: err}
		}
	}
	p.endSection(true)
	if len(p.snaps) == 0 {
		return nil, &Error{File: name, Line: p.lr.no, Offset: -1, Err: errors.New("no sample between `pprof -traces` separators")}
	}
	return p.snaps, nil
}

// tracesParser is the state of readPprofTraces between lines.
type tracesParser struct {
	name  string
	lr    *lineReader
	snaps []*Snapshot

	// Header state, gathered before a section's first separator.
	typ      string
	when     time.Time
	total    int
	hdrLine  int
	sawTypes bool

	snap    *Snapshot  // section being read, nil between sections
	cur     *Goroutine // sample being read
	labels  []Label    // label lines seen since the last separator
	trailer int        // first line after the section, for the warning
}

func (p *tracesParser) warn(msg string) {
	w := Warning{File: p.name, Line: p.lr.no, Offset: -1, Msg: msg}
	if p.snap != nil {
		p.snap.Warnings = append(p.snap.Warnings, w)
	} else if len(p.snaps) > 0 {
		last := p.snaps[len(p.snaps)-1]
		last.Warnings = append(last.Warnings, w)
	}
}

func (p *tracesParser) line(line []byte) error {
	t := bytes.TrimSpace(line)
	if bytes.HasPrefix(t, []byte(tracesSeparatorPrefix)) {
		return p.separator()
	}
	if p.snap == nil {
		p.header(t)
		return nil
	}
	if len(t) == 0 {
		return nil
	}
	if p.cur == nil {
		// After a separator: label lines, then the count line.
		if n, rest, ok := tracesCount(t); ok {
			p.cur = &Goroutine{Count: n, M: -1, Line: p.lr.no, Labels: p.labels}
			p.labels = nil
			p.cur.Frames = append(p.cur.Frames, tracesFrame(rest))
			return nil
		}
		if k, v, ok := tracesLabel(t); ok {
			p.labels = append(p.labels, Label{Key: k, Value: v})
			return nil
		}
		// Neither: the traces output is over (a prompt, other output).
		p.trailer = p.lr.no
		p.endSection(false)
		p.header(t)
		return nil
	}
	if _, _, ok := tracesCount(t); ok {
		return fmt.Errorf("sample count %q inside a stack: separator missing", clipText(t))
	}
	if len(p.cur.Frames) < maxFramesPerStack {
		p.cur.Frames = append(p.cur.Frames, tracesFrame(t))
	} else {
		p.cur.Elided++
	}
	return nil
}

// header notes what the lines before a section say about it.
func (p *tracesParser) header(t []byte) {
	s := string(t)
	switch {
	case strings.HasPrefix(s, "Type: "):
		p.typ = strings.TrimSpace(s[len("Type: "):])
		p.sawTypes = true
		p.hdrLine = p.lr.no
	case strings.HasPrefix(s, "Time: "):
		p.when = parsePprofTime(strings.TrimSpace(s[len("Time: "):]))
	case strings.HasPrefix(s, "Showing nodes accounting for "):
		// "Showing nodes accounting for 190356, 100% of 190359 total"
		if _, after, ok := strings.Cut(s, "% of "); ok {
			if n, err := strconv.Atoi(strings.TrimSuffix(after, " total")); err == nil && n > 0 {
				p.total = n
			}
		}
	}
}

// separator closes the current sample, and opens a section when none is.
func (p *tracesParser) separator() error {
	if p.snap != nil {
		p.closeSample()
		return nil
	}
	if p.sawTypes && p.typ != "goroutine" && p.typ != "goroutineleak" {
		return fmt.Errorf("%w: `pprof -traces` output of a %q profile; ctxhole reads goroutine profiles", ErrUnknownFormat, CleanText(p.typ))
	}
	line := p.hdrLine
	if line == 0 {
		line = p.lr.no
	}
	p.snap = &Snapshot{Source: Source{File: p.name, Format: FormatPprofTraces, Index: len(p.snaps), Line: line, Time: p.when},
		LeakProfile: p.typ == "goroutineleak", groups: new(groupCache)}
	return nil
}

func (p *tracesParser) closeSample() {
	if p.cur == nil {
		if len(p.labels) > 0 {
			p.warn("skipped labels with no sample after them")
			p.labels = nil
		}
		return
	}
	g := p.cur
	p.cur = nil
	sortLabels(g.Labels)
	g.Status, g.Reason = inferReason(g.Frames)
	if p.typ == "goroutineleak" {
		g.Status = StatusLeaked
	}
	p.snap.Goroutines = append(p.snap.Goroutines, g)
}

// endSection finishes the section being read. atEOF is false when other
// output followed it.
func (p *tracesParser) endSection(atEOF bool) {
	if p.snap == nil {
		return
	}
	if p.cur != nil {
		// The final separator is missing: a cut paste.
		p.warn("traces output ends inside a sample")
		p.snap.Truncated = true
		p.closeSample()
	}
	snap := p.snap
	p.snap = nil
	if len(snap.Goroutines) == 0 {
		return
	}
	sum := snap.Count()
	snap.DeclaredTotal = sum
	if p.total > 0 {
		snap.DeclaredTotal = p.total
		if sum != p.total {
			snap.Warnings = append(snap.Warnings, Warning{File: p.name, Line: snap.Source.Line, Offset: -1,
				Msg: fmt.Sprintf("samples add up to %d goroutines, the session's total is %d", sum, p.total)})
		}
	}
	if !atEOF {
		snap.Warnings = append(snap.Warnings, Warning{File: p.name, Line: p.trailer, Offset: -1,
			Msg: "traces output ends here; the lines after it were not read as samples"})
	}
	p.snaps = append(p.snaps, snap)
	p.typ, p.sawTypes, p.when, p.total, p.hdrLine = "", false, time.Time{}, 0, 0
}

// tracesCount parses a sample's first line, "<count>   <frame>".
func tracesCount(t []byte) (int, []byte, bool) {
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	// pprof prints "%10s   %s": the count is followed by three spaces,
	// which tells it from an -addresses address that happens to be all
	// decimal digits ("0000000000415431 runtime.chanrecv1").
	if i == 0 || !bytes.HasPrefix(t[i:], []byte("  ")) && !bytes.HasPrefix(t[i:], []byte("\t")) {
		return 0, nil, false
	}
	n, err := strconv.Atoi(string(t[:i]))
	if err != nil || n <= 0 {
		return 0, nil, false
	}
	return n, bytes.TrimSpace(t[i:]), true
}

// tracesLabel parses a label line, "<key>:  <values>" (the values of one
// key joined by spaces: kept as one value).
func tracesLabel(t []byte) (key, value string, ok bool) {
	k, v, found := bytes.Cut(t, []byte(":  "))
	if !found || len(k) == 0 || bytes.ContainsAny(k, " \t") {
		return "", "", false
	}
	return CleanText(string(k)), CleanText(string(bytes.TrimSpace(v))), true
}

// tracesFrame parses one frame: "[address ]function[ file:line][ (inline)]".
func tracesFrame(t []byte) Frame {
	var f Frame
	if rest, ok := bytes.CutSuffix(t, []byte(" (inline)")); ok {
		t, f.Inlined = rest, true
	}
	fields := bytes.Fields(t)
	if len(fields) >= 2 && isHexAddress(fields[0]) {
		f.PC, _ = strconv.ParseUint(string(fields[0]), 16, 64)
		fields = fields[1:]
	}
	if n := len(fields); n >= 2 {
		loc := fields[n-1]
		if c := bytes.LastIndexByte(loc, ':'); c > 0 {
			if ln, err := strconv.Atoi(string(loc[c+1:])); err == nil && ln >= 0 {
				f.File, f.Line = CleanText(string(loc[:c])), ln
				fields = fields[:n-1]
			}
		}
	}
	f.Func = UnvendorFunc(elideTypeArgs(CleanText(string(bytes.Join(fields, []byte(" "))))))
	if f.Func == "" {
		f.Func = "?"
	}
	return f
}

// isHexAddress reports whether b is an address as -addresses prints it:
// at least 8 hex digits, no 0x.
func isHexAddress(b []byte) bool {
	if len(b) < 8 || len(b) > 16 {
		return false
	}
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// pprofTimeLayouts are the layouts `go tool pprof` has printed "Time:" in.
var pprofTimeLayouts = []string{
	"2006-01-02 15:04:05 MST",
	"Jan 2, 2006 at 3:04pm (MST)",
	"Jan 2, 2006 at 3:04:05pm (MST)",
	time.RFC3339Nano,
}

// zoneOffsets are the UTC offsets of zone abbreviations pprof prints in
// local time. time.Parse gives an unknown abbreviation a zero offset, which
// would shift the capture time by hours; abbreviations not listed here
// leave the time unknown instead.
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0,
	"PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5, "EST": -5, "EDT": -4,
	"CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "BST": 1, "JST": 9, "KST": 9,
}

// parsePprofTime parses a "Time:" header value, zero if no layout fits or
// its zone is unknown.
func parsePprofTime(s string) time.Time {
	for _, l := range pprofTimeLayouts {
		t, err := time.Parse(l, s)
		if err != nil {
			continue
		}
		if l == time.RFC3339Nano {
			return t
		}
		zone, _ := t.Zone()
		h, ok := zoneOffsets[zone]
		if !ok {
			return time.Time{}
		}
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.FixedZone(zone, h*3600)).UTC()
	}
	return time.Time{}
}
