package parser

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"time"
)

// header is a parsed goroutine header line:
//
//	goroutine <id>[ gp=<hex> m=<id|nil>[ mp=<hex>]] [<status>[ (leaked)][ (scan)][ (durable)][, <N> minutes][, locked to thread][, synctest bubble <id>][ labels:{"k": "v", ...}]]:
//
// as runtime.goroutineheader prints it (Go 1.26), plus "synctest group N"
// (Go 1.24).
type header struct {
	id      int64
	gp, mp  uint64
	m       int64
	state   []byte // status or wait reason, flags removed
	leaked  bool
	scan    bool
	durable bool
	minutes int64
	hasWait bool
	locked  bool
	bubble  int64
	labels  []byte // the text inside labels:{...}, nil if none
	// trailer is what followed the header's "]:" on its line (an
	// annotation a person or a tool added), nil if nothing did.
	trailer []byte
	// goleak is set for a header goleak printed ("[Goroutine N in state
	// S, with F on top of the stack:"); top is F.
	goleak bool
	top    []byte
}

var (
	hdrGoroutine = []byte("goroutine ")
	hdrLabels    = []byte(" labels:{")
)

// headerAt reports whether line holds a goroutine header starting at some
// offset, and where. Most lines are rejected on their first bytes.
func headerAt(line []byte) int {
	if bytes.HasPrefix(line, hdrGoroutine) {
		return 0
	}
	i := bytes.Index(line, hdrGoroutine)
	if i <= 0 {
		return -1
	}
	return i
}

// parseHeader parses line as a goroutine header. It reports false when line
// is not one; it never fails half-way with a partial header.
func parseHeader(line []byte, h *header) bool {
	*h = header{m: -1}
	if !bytes.HasPrefix(line, hdrGoroutine) {
		return false
	}
	if !bytes.HasSuffix(line, []byte("]:")) {
		return parseAnnotatedHeader(line, h)
	}
	rest := line[len(hdrGoroutine):]
	id, n := parseDec(rest)
	if n == 0 {
		return false
	}
	h.id = id
	rest = rest[n:]
	// " gp=0x... m=N mp=0x..." (Go 1.22+ under system tracebacks).
	if bytes.HasPrefix(rest, []byte(" gp=")) {
		v, n := parseHex(rest[4:])
		if n == 0 {
			return false
		}
		h.gp = v
		rest = rest[4+n:]
		switch {
		case bytes.HasPrefix(rest, []byte(" m=nil")):
			rest = rest[6:]
		case bytes.HasPrefix(rest, []byte(" m=")):
			m, n := parseDec(rest[3:])
			if n == 0 {
				return false
			}
			h.m = m
			rest = rest[3+n:]
			if bytes.HasPrefix(rest, []byte(" mp=")) {
				v, n := parseHex(rest[4:])
				if n == 0 {
					return false
				}
				h.mp = v
				rest = rest[4+n:]
			}
		}
	}
	if !bytes.HasPrefix(rest, []byte(" [")) {
		return false
	}
	return h.parseInner(rest[2 : len(rest)-2])
}

// parseInner parses what a header holds between its brackets: the status
// or wait reason, its flags, the wait, and the attributes after it.
func (h *header) parseInner(inner []byte) bool {
	// Labels come last and may contain anything, "]" and ", " included.
	if i := bytes.Index(inner, hdrLabels); i >= 0 && inner[len(inner)-1] == '}' {
		h.labels = inner[i+len(hdrLabels) : len(inner)-1]
		inner = inner[:i]
	}
	// The status ends at the first ", "; wait reasons never contain one.
	attrs := []byte(nil)
	if i := bytes.Index(inner, []byte(", ")); i >= 0 {
		attrs = inner[i:]
		inner = inner[:i]
	}
	h.state = h.stripFlags(inner)
	if len(h.state) == 0 {
		return false
	}
	for len(attrs) > 0 {
		attrs = attrs[2:] // ", "
		end := bytes.Index(attrs, []byte(", "))
		if end < 0 {
			end = len(attrs)
		}
		a := attrs[:end]
		attrs = attrs[end:]
		switch {
		case bytes.HasSuffix(a, []byte(" minutes")):
			if v, n := parseDec(a); n == len(a)-len(" minutes") {
				h.minutes, h.hasWait = v, true
			}
		case string(a) == "locked to thread":
			h.locked = true
		case bytes.HasPrefix(a, []byte("synctest bubble ")):
			h.bubble, _ = parseDec(a[len("synctest bubble "):])
		case bytes.HasPrefix(a, []byte("synctest group ")):
			h.bubble, _ = parseDec(a[len("synctest group "):])
		}
	}
	return true
}

// stripFlags removes the " (leaked)", " (scan)" and " (durable)" flags the
// runtime appends to the status, in whatever order, and records them. A
// wait reason that itself ends in "(durable)" ("chan receive (durable)")
// keeps it.
func (h *header) stripFlags(s []byte) []byte {
	for {
		switch {
		case bytes.HasSuffix(s, []byte(" (scan)")):
			h.scan = true
			s = s[:len(s)-len(" (scan)")]
		case bytes.HasSuffix(s, []byte(" (leaked)")):
			h.leaked = true
			s = s[:len(s)-len(" (leaked)")]
		case bytes.HasSuffix(s, []byte(" (durable)")):
			h.durable = true
			if isWaitReason(s) {
				return s
			}
			s = s[:len(s)-len(" (durable)")]
		default:
			return s
		}
	}
}

// parseLabels appends to dst the labels inside `labels:{"k": "v", "k2":
// "v2"}` (Go 1.26, GODEBUG=tracebacklabels=1), sorted by key. Keys and
// values are quoted the way the runtime's printquoted does, which
// strconv.Unquote reads; str turns the raw bytes of a string without
// escapes into a (shared) string.
func parseLabels(dst []Label, b []byte, str func([]byte) string) []Label {
	start := len(dst)
	for len(b) > 0 {
		k, n := quotedAt(b, str)
		if n == 0 {
			break
		}
		b = b[n:]
		if !bytes.HasPrefix(b, []byte(": ")) {
			break
		}
		v, n := quotedAt(b[2:], str)
		if n == 0 {
			break
		}
		b = bytes.TrimPrefix(b[2+n:], []byte(", "))
		dst = append(dst, Label{Key: k, Value: v})
	}
	slices.SortStableFunc(dst[start:], func(a, b Label) int { return strings.Compare(a.Key, b.Key) })
	return dst
}

// quotedAt reads a double-quoted string at the start of b and returns its
// cleaned value and length, or n == 0.
func quotedAt(b []byte, str func([]byte) string) (string, int) {
	if len(b) < 2 || b[0] != '"' {
		return "", 0
	}
	escaped := false
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			if !escaped {
				return str(b[1:i]), i + 1
			}
			s, err := strconv.Unquote(string(b[:i+1]))
			if err != nil {
				s = string(b[1:i])
			}
			return CleanText(s), i + 1
		}
	}
	return "", 0
}

// parseDec reads a decimal number at the start of b and returns it and the
// number of bytes read (0 if none or if it overflows).
func parseDec(b []byte) (int64, int) {
	var v int64
	i := 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		d := int64(b[i] - '0')
		if v > (1<<63-1-d)/10 {
			return 0, 0
		}
		v = v*10 + d
	}
	return v, i
}

// hexDigit maps a byte to its value as a hex digit, or 0xff.
var hexDigit = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
		t[c-'a'+'A'] = c - 'a' + 10
	}
	return t
}()

// parseHex reads "0x" and hex digits at the start of b and returns the
// value and the bytes read (0 if none, or if it overflows 64 bits).
func parseHex(b []byte) (uint64, int) {
	if len(b) < 3 || b[0] != '0' || b[1] != 'x' {
		return 0, 0
	}
	var v uint64
	i := 2
	for ; i < len(b); i++ {
		d := hexDigit[b[i]]
		if d == 0xff {
			break
		}
		if v>>60 != 0 {
			return 0, 0
		}
		v = v<<4 | uint64(d)
	}
	if i == 2 {
		return 0, 0
	}
	return v, i
}

// waitFor converts the header's minutes to a duration.
func (h *header) waitFor() time.Duration { return time.Duration(h.minutes) * time.Minute }
