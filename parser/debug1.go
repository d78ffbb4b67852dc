package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// readDebug1 reads the aggregated goroutine text of
// /debug/pprof/goroutine?debug=1 (also the Go 1.26 goroutineleak profile's):
//
//	goroutine profile: total 7
//	3 @ 0x44c6f2 0x45f0b5 0x4a2b3c
//	# labels: {"handler":"lock"}
//	#	0x4a2b3b	main.worker+0x3b	/src/main.go:42
//
// Each record becomes one Goroutine with ID 0 and Count N. The format
// prints no state; inferReason infers it from the frames. Leading runtime
// frames are not printed, so a record whose first PC has no frame line was
// parked inside the runtime (or preempted there): it is StatusWaiting even
// when the frames shown do not say on what.
//
// Lines before the header are skipped (log noise); each header starts a
// snapshot, so profiles appended to one file one after another are read as
// several snapshots. The text is read as people paste it too (see
// debug1paste.go): records without the header, frame lines whose "#" a
// Markdown renderer ate or whose tabs became spaces, frames without their
// PC column, Markdown quotes and fences, lines hard-wrapped at a fixed
// width, a frame line that cannot be read (skipped with a warning).
func readDebug1(r io.Reader, name string) ([]*Snapshot, error) {
	d := &debug1Reader{name: name, lr: newLineReader(r), names: stringSet{}}
	for {
		line, _, skipped, err := d.lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &Error{File: name, Line: d.lr.no + 1, Offset: d.lr.off, Err: err}
		}
		if skipped > 0 {
			d.warn(fmt.Sprintf("skipped a %d-byte line", skipped))
			continue
		}
		if err := d.feed(line); err != nil {
			return nil, err
		}
	}
	if err := d.flushPending(); err != nil {
		return nil, err
	}
	d.endSnapshot()
	if len(d.snaps) == 0 {
		return nil, &Error{File: name, Line: d.lr.no, Offset: -1, Err: errors.New(`no "goroutine profile: total N" header and no "N @ 0x..." record`)}
	}
	return d.snaps, nil
}

// debug1Reader is the state of readDebug1 between lines.
type debug1Reader struct {
	name  string
	lr    *lineReader
	snaps []*Snapshot
	snap  *Snapshot  // being read; nil before a header and after the end
	cur   *Goroutine // record being read
	// lead holds the innermost PCs of the record being read (firstPC is
	// lead[0]), if hasPC.
	lead  [4]uint64
	hasPC bool
	// chanOps are the records parked in a hidden runtime channel
	// function, resolved to send or receive when the snapshot ends.
	chanOps []hiddenChanOp
	leaked  bool
	names   stringSet
	// pend is the last record or frame line, kept to join the next line to
	// it when a fixed-width wrap split it (see debug1paste.go).
	pend debug1Pending
	// skipping is set after the header of a profile of another kind, up
	// to the next goroutine profile's header.
	skipping bool
	// noHeader is set while a snapshot read without its header is open:
	// there is no total to check.
	noHeader bool
	// lineNo overrides the line number warnings and errors name while a
	// pending line is read; 0 otherwise.
	lineNo int
}

// no returns the line being read.
func (d *debug1Reader) no() int {
	if d.lineNo > 0 {
		return d.lineNo
	}
	return d.lr.no
}

// warn records a warning on the snapshot being read (or the last one).
func (d *debug1Reader) warn(msg string) {
	w := Warning{File: d.name, Line: d.no(), Offset: -1, Msg: msg}
	switch {
	case d.snap != nil:
		d.snap.Warnings = append(d.snap.Warnings, w)
	case len(d.snaps) > 0:
		last := d.snaps[len(d.snaps)-1]
		last.Warnings = append(last.Warnings, w)
	}
}

func (d *debug1Reader) line(t []byte) error {
	if prof, total, ok := parseProfileTotal(t); ok {
		d.endSnapshot()
		if prof != "goroutine" && prof != "goroutineleak" {
			err := fmt.Errorf("%w: a %s profile", ErrUnknownFormat, CleanText(prof))
			if len(d.snaps) == 0 {
				return &Error{File: d.name, Line: d.no(), Offset: -1, Err: err}
			}
			d.warn("skipped what follows: " + err.Error())
			d.skipping = true
			return nil
		}
		d.skipping = false
		d.leaked = prof == "goroutineleak"
		d.snap = &Snapshot{
			Source:        Source{File: d.name, Format: FormatGoroutineDebug1, Index: len(d.snaps), Line: d.no()},
			DeclaredTotal: total,
			LeakProfile:   d.leaked,
			groups:        new(groupCache),
		}
		return nil
	}
	if d.snap == nil && (d.skipping || !d.headless(t)) {
		return nil // log lines before or after a profile
	}
	switch {
	case len(t) == 0:
		d.finishRecord()
	case bytes.HasPrefix(t, []byte("# labels:")):
		if d.cur == nil {
			d.warn("skipped labels outside a record")
			return nil
		}
		rest := bytes.TrimSpace(t[len("# labels:"):])
		if bytes.IndexByte(rest, '&') >= 0 {
			rest = []byte(unescapeEntities(string(rest))) // copied from a page's source
		}
		labels, err := parseDebug1Labels(rest)
		if err != nil {
			d.warn("skipped unreadable labels: " + err.Error())
			return nil
		}
		d.cur.Labels = labels
	case t[0] == '#' || d.cur != nil && isDebug1FrameLine(t):
		d.frameLine(t)
	default:
		n, lead, npc, err := parseDebug1Record(t)
		if err != nil {
			if d.snap.Count() > 0 || d.cur != nil {
				// The profile is over: what follows is other output.
				d.warn("profile ends here; the lines after it were not read: " + err.Error())
				d.endSnapshot()
				return nil
			}
			return &Error{File: d.name, Line: d.no(), Offset: -1, Err: err}
		}
		d.finishRecord()
		if len(d.snap.Goroutines) >= maxGoroutinesPerInput {
			d.warn(fmt.Sprintf("more than %d records in one profile: the rest is not read", maxGoroutinesPerInput))
			d.snap.Truncated = true
			d.endSnapshot()
			return nil
		}
		// Frames are about one per PC (inlining adds, hidden runtime
		// frames remove).
		d.cur = &Goroutine{Count: n, M: -1, Line: d.no(), Frames: make([]Frame, 0, min(npc, 256))}
		d.lead, d.hasPC = lead, npc > 0
		d.snap.Goroutines = append(d.snap.Goroutines, d.cur)
	}
	return nil
}

// frameLine reads one frame line of the record being read.
func (d *debug1Reader) frameLine(t []byte) {
	if d.cur == nil {
		// Frames pasted without their record line: one record of one.
		d.cur = &Goroutine{Count: 1, M: -1, Line: d.no()}
		d.snap.Goroutines = append(d.snap.Goroutines, d.cur)
		d.hasPC = false
		d.warn(`frame lines without their "N @ 0x..." record line: read as one record of 1 goroutine`)
	}
	if len(d.cur.Frames) >= maxFramesPerStack {
		d.cur.Elided++
		return
	}
	f, err := parseDebug1Frame(t, d.names)
	if err != nil {
		if fn := debug1FrameFunc(t); fn != nil {
			// The function column is whole: keep the frame, cut.
			f.Func, f.Cut = UnvendorFunc(d.names.get(fn)), true
			d.cur.Frames = append(d.cur.Frames, f)
			d.warn(fmt.Sprintf("kept the frame %s without a location: %v", f.Func, err))
		} else {
			d.warn("skipped an unreadable frame line: " + err.Error())
		}
		if d.lr.atCutEnd() {
			d.snap.Truncated = true
		}
		return
	}
	d.cur.Frames = append(d.cur.Frames, f)
}

// finishRecord sets the inferred state of the record being read.
func (d *debug1Reader) finishRecord() {
	if d.cur != nil {
		finishDebug1Record(d.cur, d.lead[0], d.hasPC, d.leaked)
		if op, ok := newHiddenChanOp(d.cur, d.lead, d.hasPC); ok {
			d.chanOps = append(d.chanOps, op)
		}
		d.cur = nil
	}
}

// endSnapshot closes the snapshot being read.
func (d *debug1Reader) endSnapshot() {
	d.finishRecord()
	resolveHiddenChanOps(d.chanOps)
	d.chanOps = nil
	if d.snap != nil {
		if !d.noHeader {
			checkDebug1Total(d.snap)
		}
		d.snaps = append(d.snaps, d.snap)
		d.snap, d.noHeader = nil, false
	}
}

// checkDebug1Total warns when the records do not add up to the declared
// total: an excerpt, or a capture cut short.
func checkDebug1Total(snap *Snapshot) *Snapshot {
	if n := snap.Count(); n != snap.DeclaredTotal {
		snap.Warnings = append(snap.Warnings, Warning{File: snap.Source.File, Line: snap.Source.Line, Offset: -1,
			Msg: fmt.Sprintf("records add up to %d goroutines, the header declares %d", n, snap.DeclaredTotal)})
		if n < snap.DeclaredTotal {
			snap.Truncated = true
		}
	}
	return snap
}

// finishDebug1Record sets the inferred state of a complete record.
func finishDebug1Record(g *Goroutine, firstPC uint64, hasPC, leaked bool) {
	g.Status, g.Reason = inferReason(g.Frames)
	// debug=1 hides the leading runtime frames: if the first PC has no
	// frame line, the goroutine was inside the runtime, which for a
	// goroutine profile means parked.
	// Frames pasted without their PC column cannot tell.
	if g.Status == StatusUnknown && hasPC && (len(g.Frames) == 0 || g.Frames[0].PC != 0 && !samePC(g.Frames[0].PC, firstPC)) {
		g.Status = StatusWaiting
	}
	if leaked {
		g.Status = StatusLeaked
	}
}

// samePC compares a frame's PC with a stack PC: debug=1 prints stack
// entries as return addresses and frame lines at PC-1.
func samePC(frame, stack uint64) bool { return frame == stack || frame+1 == stack }

// parseProfileTotal parses "<name> profile: total N".
func parseProfileTotal(t []byte) (name string, total int, ok bool) {
	before, after, found := bytes.Cut(t, []byte(" profile: total "))
	if !found || len(before) == 0 || bytes.ContainsAny(before, " \t") {
		return "", 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(after)))
	if err != nil || n < 0 {
		return "", 0, false
	}
	return string(before), n, true
}

// parseDebug1Record parses "N @ 0x1 0x2 ...", returning the count, the
// first (innermost) four PCs and the number of PCs.
func parseDebug1Record(t []byte) (count int, lead [4]uint64, npc int, err error) {
	countText, stack, found := bytes.Cut(t, []byte(" @"))
	if !found {
		return 0, lead, 0, fmt.Errorf("expected a record %q, got %q", "N @ 0x...", clipText(t))
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(countText)))
	if err != nil || n <= 0 {
		return 0, lead, 0, fmt.Errorf("bad record count %q", clipText(countText))
	}
	for len(stack) > 0 {
		stack = bytes.TrimLeft(stack, " \t")
		end := bytes.IndexAny(stack, " \t")
		if end < 0 {
			end = len(stack)
		}
		if end == 0 {
			break
		}
		pc, err := parseHex0x(stack[:end])
		if err != nil {
			return 0, lead, 0, fmt.Errorf("bad PC %q in record", clipText(stack[:end]))
		}
		if npc < len(lead) {
			lead[npc] = pc
		}
		npc++
		stack = stack[end:]
	}
	return n, lead, npc, nil
}

// parseDebug1Labels parses the runtime's label set text,
// {"k1":"v1", "k2":"v2"}, keys and values Go-quoted, into labels sorted
// by key.
func parseDebug1Labels(t []byte) ([]Label, error) {
	s, ok := strings.CutPrefix(string(t), "{")
	if !ok {
		return nil, errors.New("labels do not start with '{'")
	}
	var labels []Label
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			break
		}
		key, rest, err := cutQuoted(s)
		if err != nil {
			return nil, err
		}
		rest, ok = strings.CutPrefix(rest, ":")
		if !ok {
			return nil, fmt.Errorf("missing ':' after label key %q", clipText([]byte(key)))
		}
		val, rest, err := cutQuoted(strings.TrimLeft(rest, " "))
		if err != nil {
			return nil, err
		}
		labels = append(labels, Label{Key: CleanText(key), Value: CleanText(val)})
		s = rest
	}
	sortLabels(labels)
	return labels, nil
}

// cutQuoted unquotes the Go-quoted string at the start of s and returns it
// with the rest of s.
func cutQuoted(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("expected a quoted string at %q", clipText([]byte(s)))
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", fmt.Errorf("bad quoted string %q: %w", clipText([]byte(s[:i+1])), err)
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("unterminated quoted string %q", clipText([]byte(s)))
}
