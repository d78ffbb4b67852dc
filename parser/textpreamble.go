package parser

import "bytes"

// The text between goroutine blocks — before the first one, between dumps,
// after the last — is the gap. It holds what the runtime printed to say why
// it dumped (the preamble: panic, fatal error, signal, test timeout) and
// whatever else the log carries. The gap is read line by line into a
// gapState and interpreted when the next goroutine header arrives: that is
// when a prefix learned from the header can be checked against lines that
// were seen before it.

// maxPreambleItems bounds what a gap keeps; a panic preamble is a handful
// of lines and anything older than this is log noise.
const maxPreambleItems = 64

// maxPanicContinuation bounds the lines appended to a multi-line panic
// message.
const maxPanicContinuation = 200

type preambleKind uint8

const (
	preamblePanic preambleKind = iota + 1
	preambleFatal
	preambleSignal
	preambleTestTimeout
	preambleRunningTest
)

// preambleItem is one recognised preamble line.
type preambleItem struct {
	kind   preambleKind
	text   string
	prefix string // what preceded the marker on its line, "" if nothing
	line   int
	time   []byte // RFC 3339 timestamp of the line, if any
}

// gapState accumulates the gap since the last goroutine block.
type gapState struct {
	items []preambleItem
	// text is set by a non-blank line that is neither preamble, a runtime
	// trailer (registers, "exit status 2") nor part of a report the runtime
	// prints around dumps.
	text bool
	// blankLast is set when the line just before the header was blank: the
	// runtime prints one before every header but the first of a dump.
	blankLast bool
	// crashCont is set by the "-----" line GOTRACEBACK=crash prints between
	// the per-thread dumps of one crash.
	crashCont bool
	inRace    bool // inside a "WARNING: DATA RACE" report
	// sysStack is set after "runtime stack:" up to the next blank line: the
	// frames there are the crashing thread's system stack, no goroutine's.
	sysStack bool
	inTests  bool // after "running tests:"
	// contPanic is the index of the panic item that continuation lines
	// extend, -1 if none; contLines counts them.
	contPanic int
	contLines int
	// unknownSince counts unrecognised lines since the last preamble item;
	// too many and the items are stale log content.
	unknownSince int
	// unknown counts all unrecognised lines of the gap; the first is kept
	// for a warning when the gap turns out to lie inside one dump.
	unknown      int
	unknownLine  int
	unknownFirst string
}

func (g *gapState) reset() {
	items := g.items[:0]
	*g = gapState{items: items, contPanic: -1}
}

// staleAfter is how many unrecognised lines make earlier preamble items
// stale: the runtime prints its preamble right before the goroutines.
const staleAfter = 16

// add reads one gap line. text is the cleaned line, pre the line before the
// learned prefix was removed.
func (g *gapState) add(text, pre []byte, lineNo int, ts []byte) {
	if len(text) == 0 {
		g.blankLast = true
		g.contPanic = -1
		g.inTests = false
		g.sysStack = false
		return
	}
	g.blankLast = false
	if g.inRace {
		if isRaceDelimiter(text) {
			g.inRace = false
		}
		return
	}
	switch {
	case bytes.Equal(text, []byte("WARNING: DATA RACE")):
		g.inRace = true
		return
	case isRaceDelimiter(text), bytes.HasPrefix(text, []byte("Found ")) && bytes.Contains(text, []byte("data race")):
		return
	case bytes.Equal(text, []byte("-----")):
		g.crashCont = true
		return
	}
	if g.inTests {
		if bytes.HasSuffix(text, []byte(")")) {
			g.push(preambleItem{kind: preambleRunningTest, text: CleanText(string(text)), line: lineNo})
			return
		}
		g.inTests = false
	}
	if k, msg, prefix, ok := preambleMarker(text, pre); ok {
		it := preambleItem{kind: k, text: CleanText(string(msg)), prefix: prefix, line: lineNo}
		if ts != nil {
			it.time = append([]byte(nil), ts...)
		}
		g.push(it)
		g.unknownSince = 0
		g.contPanic = -1
		g.contLines = 0
		if k == preamblePanic {
			g.contPanic = len(g.items) - 1
		}
		return
	}
	if bytes.Equal(text, []byte("running tests:")) {
		g.inTests = true
		return
	}
	if bytes.Equal(text, []byte("runtime stack:")) {
		g.sysStack = true
		return
	}
	if isRuntimeTrailer(text) {
		return
	}
	if g.contPanic >= 0 && g.contPanic < len(g.items) && g.contLines < maxPanicContinuation {
		// A panic value printed over several lines.
		it := &g.items[g.contPanic]
		it.text += "\n" + CleanText(string(text))
		g.contLines++
		return
	}
	g.text = true
	if g.unknown == 0 {
		g.unknownLine = lineNo
		g.unknownFirst = truncateForWarning(CleanText(string(text)))
	}
	g.unknown++
	g.unknownSince++
	if g.unknownSince > staleAfter {
		g.items = g.items[:0]
		g.contPanic = -1
	}
}

func (g *gapState) push(it preambleItem) {
	if len(g.items) >= maxPreambleItems {
		copy(g.items, g.items[1:])
		g.items = g.items[:len(g.items)-1]
		if g.contPanic >= 0 {
			g.contPanic-- // -1 when the item it pointed to was dropped
		}
	}
	g.items = append(g.items, it)
}

// hasStart reports whether the gap holds a line that opens a dump (panic,
// fatal error, signal, test timeout) whose prefix matches the one in force.
func (g *gapState) hasStart(prefix []byte) bool {
	for i := range g.items {
		if g.items[i].kind != preambleRunningTest && g.items[i].matches(prefix) {
			return true
		}
	}
	return false
}

// matches reports whether the item was found behind the prefix in force
// (or behind none, at the start of its line).
func (it *preambleItem) matches(prefix []byte) bool {
	if it.prefix == "" {
		return true
	}
	return shapePrefixLen([]byte(it.prefix), prefix) == len(it.prefix) && len(trimBlank(prefix[len(it.prefix):])) == 0
}

// preamble builds the snapshot preamble from the gap's items, and returns
// the line and timestamp where it starts (0/nil when the gap holds none).
func (g *gapState) preamble(prefix []byte) (p Preamble, line int, ts []byte) {
	for i := range g.items {
		it := &g.items[i]
		if !it.matches(prefix) {
			continue
		}
		if line == 0 {
			line, ts = it.line, it.time
		}
		switch it.kind {
		case preamblePanic:
			p.Panic = append(p.Panic, it.text)
		case preambleFatal:
			if p.Fatal == "" {
				p.Fatal = it.text
			}
		case preambleSignal:
			if p.Signal == "" {
				p.Signal = it.text
			}
		case preambleTestTimeout:
			p.TestTimeout = it.text
			p.Panic = append(p.Panic, "test timed out after "+it.text)
		case preambleRunningTest:
			p.RunningTests = append(p.RunningTests, it.text)
		}
	}
	return p, line, ts
}

// preambleMarker recognises the lines that open a dump. The marker must
// start the line (after indentation) or follow a prefix the header will
// confirm; msg is the text after the marker.
func preambleMarker(text, pre []byte) (kind preambleKind, msg []byte, prefix string, ok bool) {
	if k, m, ok := preambleAt(text); ok {
		return k, m, "", true
	}
	// An unlearned prefix ("app-1 | panic: ..."): remember it for the header
	// to confirm.
	for _, mk := range [...]string{"panic: ", "fatal error: ", "SIG"} {
		i := bytes.Index(pre, []byte(mk))
		if i <= 0 {
			continue
		}
		if k, m, ok := preambleAt(pre[i:]); ok {
			return k, m, string(pre[:i]), true
		}
	}
	return 0, nil, "", false
}

// preambleAt recognises a preamble line that starts at text[0].
func preambleAt(text []byte) (preambleKind, []byte, bool) {
	switch {
	case bytes.HasPrefix(text, []byte("panic: test timed out after ")):
		return preambleTestTimeout, text[len("panic: test timed out after "):], true
	case bytes.HasPrefix(text, []byte("panic: ")):
		return preamblePanic, text[len("panic: "):], true
	case bytes.HasPrefix(text, []byte("fatal error: ")):
		return preambleFatal, text[len("fatal error: "):], true
	case bytes.HasPrefix(text, []byte("[signal ")) && bytes.HasSuffix(text, []byte("]")):
		return preambleSignal, text[len("[signal ") : len(text)-1], true
	case isSignalLine(text):
		return preambleSignal, text, true
	}
	return 0, nil, false
}

// isSignalLine recognises the runtime's fatal signal line: "SIGQUIT: quit",
// "SIGSEGV: segmentation violation", "SIGABRT: abort".
func isSignalLine(b []byte) bool {
	if !bytes.HasPrefix(b, []byte("SIG")) {
		return false
	}
	i := 3
	for i < len(b) && ('A' <= b[i] && b[i] <= 'Z' || isDigit(b[i])) {
		i++
	}
	return i > 3 && i+2 < len(b) && b[i] == ':' && b[i+1] == ' '
}

// isRaceDelimiter recognises the "==================" lines around a race
// report.
func isRaceDelimiter(b []byte) bool {
	return len(b) >= 10 && len(bytes.Trim(b, "=")) == 0
}

// isRuntimeTrailer recognises lines the runtime and the go command print
// around a dump that are not preamble: the signal PC line, the register
// dump, "runtime stack:", the frames of the system stack, exit status.
func isRuntimeTrailer(b []byte) bool {
	switch {
	case bytes.HasPrefix(b, []byte("PC=0x")),
		bytes.Equal(b, []byte("runtime stack:")),
		bytes.HasPrefix(b, []byte("exit status ")),
		bytes.HasPrefix(b, []byte("signal arrived during")),
		bytes.HasPrefix(b, []byte("instruction bytes:")),
		bytes.HasPrefix(b, []byte("FAIL")),
		bytes.HasPrefix(b, []byte("created by ")),
		bytes.HasPrefix(b, []byte("goroutine running on other thread")),
		bytes.HasPrefix(b, []byte("*** Test killed")):
		return true
	}
	if isRegisterLine(b) || isRuntimeDiagnostic(b) {
		return true
	}
	if _, _, ok := funcLine(b); ok {
		return true
	}
	var fl fileLine
	return parseFileLine(b, &fl)
}

// isRegisterLine recognises one line of the register dump after a fatal
// signal: "rax    0x0", "r10    0x7ffd", "rflags 0x246", "lr      0x4a".
func isRegisterLine(b []byte) bool {
	i := 0
	for i < len(b) && i < 8 && ('a' <= b[i] && b[i] <= 'z' || isDigit(b[i])) {
		i++
	}
	if i == 0 || i >= len(b) || b[i] != ' ' {
		return false
	}
	rest := trimBlank(b[i:])
	_, n := parseHex(rest)
	return n > 0 && n == len(rest)
}

// isRuntimeDiagnostic recognises what the runtime prints when a traceback
// runs into trouble (an unknown pc in cgo code, a bad frame): "runtime:
// ..." messages, "stack: frame={...}" and the stack hex dump that follows,
// "0x00007fffc09c2840:  0x0000000000000000  0x...". They can sit inside a
// goroutine's block and are skipped without a warning.
func isRuntimeDiagnostic(b []byte) bool {
	switch {
	case bytes.HasPrefix(b, []byte("runtime: ")), bytes.HasPrefix(b, []byte("stack: frame={")):
		return true
	case bytes.HasPrefix(b, []byte("0x")):
		_, n := parseHex(b)
		return n > 0 && n+1 < len(b) && b[n] == ':' && b[n+1] == ' '
	}
	return false
}
