package parser

import "bytes"

// Headers as people and tools paste them, besides the runtime's own:
//
//	goroutine 7 [chan send, 12 minutes]: <- stuck here
//	[Goroutine 13 in state chan send, 1 minutes, with pkg.f.func1 on top of the stack:
//	 Goroutine 127 in state select, with pkg.g on top of the stack:
//
// The first is a runtime header with an annotation after its "]:". The
// others are go.uber.org/goleak's report of unexpected goroutines: the
// list of its Stack values printed with %v ("[" + blocks joined by " " +
// "]"), each block a "Goroutine N in state S, with F on top of the
// stack:" line followed by the goroutine's stack (older goleak versions
// repeat the runtime's header line under it).

var (
	goleakPrefix = []byte("Goroutine ")
	goleakState  = []byte(" in state ")
	goleakWith   = []byte(", with ")
	goleakTop    = []byte(" on top of the stack:")
)

// parseAnnotatedHeader parses a runtime header followed by other text
// after its "]:". The header must name a status or wait reason the runtime
// prints, so that a log line that merely mentions a goroutine ("goroutine
// 12 [busy]: retrying") is not taken for one.
func parseAnnotatedHeader(line []byte, h *header) bool {
	end := -1
	if i := bytes.Index(line, hdrLabels); i >= 0 {
		if j := bytes.Index(line[i:], []byte("}]:")); j >= 0 {
			end = i + j + 1
		}
	} else {
		end = bytes.Index(line, []byte("]:"))
	}
	if end < 0 {
		return false
	}
	trailer := trimBlank(line[end+2:])
	if !parseHeader(line[:end+2], h) {
		return false
	}
	if _, status := statusWords[string(h.state)]; !status && !isWaitReason(h.state) {
		return false
	}
	h.trailer = trailer
	return len(trailer) > 0
}

// parseGoleakHeader parses goleak's "[Goroutine N in state S, with F on
// top of the stack:" (the "[" only on the first block of a report).
func parseGoleakHeader(line []byte, h *header) bool {
	*h = header{m: -1}
	gl, ok := goleakParts(line)
	if !ok || !gl.complete {
		return false
	}
	h.id, h.goleak, h.top = gl.id, true, gl.top
	return h.parseInner(gl.state)
}

// goleakLine is a goleak header line split into its parts.
type goleakLine struct {
	id    int64
	state []byte
	top   []byte
	// complete is false for a line the input ends inside; state and top
	// then hold what there is of them, and topWhole says whether the
	// function name was printed in full (" on top" follows it).
	complete, topWhole bool
}

// goleakParts splits a goleak header line, or one cut short.
func goleakParts(line []byte) (gl goleakLine, ok bool) {
	line = bytes.TrimPrefix(line, []byte("["))
	if !bytes.HasPrefix(line, goleakPrefix) {
		return gl, false
	}
	rest := line[len(goleakPrefix):]
	id, n := parseDec(rest)
	if n == 0 || !bytes.HasPrefix(rest[n:], goleakState) {
		return gl, false
	}
	gl.id = id
	rest = rest[n+len(goleakState):]
	gl.complete = bytes.HasSuffix(rest, goleakTop)
	if gl.complete {
		rest = rest[:len(rest)-len(goleakTop)]
	}
	// The state may hold ", " (", 3 minutes"); the function holds none.
	with := bytes.LastIndex(rest, goleakWith)
	switch {
	case with < 0 && gl.complete:
		return gl, false
	case with < 0:
		gl.state = trimGoleakCut(rest)
		return gl, len(gl.state) > 0
	}
	gl.state, gl.top = rest[:with], rest[with+len(goleakWith):]
	gl.topWhole = gl.complete
	if !gl.complete {
		// Cut inside " on top of the stack:" the function is whole; cut
		// before, it may not be.
		if i := bytes.IndexByte(gl.top, ' '); i >= 0 {
			gl.top, gl.topWhole = gl.top[:i], true
		}
	}
	if len(gl.state) == 0 || gl.complete && (len(gl.top) == 0 || bytes.IndexByte(gl.top, ' ') >= 0) {
		return gl, false
	}
	return gl, true
}

// trimGoleakCut cuts a state the input ends inside ("select, wi") back to
// its last whole part.
func trimGoleakCut(s []byte) []byte {
	i := bytes.LastIndex(s, []byte(", "))
	if i < 0 {
		return s
	}
	tail := s[i+2:]
	if bytes.HasSuffix(tail, []byte(" minutes")) || string(tail) == "locked to thread" {
		return s
	}
	return s[:i]
}
