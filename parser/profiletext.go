package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Helpers shared by the readers of the runtime's debug=1 profile texts
// (goroutine, mutex, block): their frame lines have one format.

// atCutEnd reports whether the line just read is the last of the input and
// has no newline: a capture cut off mid-line.
func (lr *lineReader) atCutEnd() bool {
	if lr.eofNewline {
		return false
	}
	_, err := lr.r.Peek(1)
	return err == io.EOF
}

// parseDebug1Frame parses "#\t0x4a2b3b\tmain.worker+0x3b\t/src/main.go:42"
// (columns separated by tabs, or by spaces once pasted), or "#\t0x4a2b3b"
// for a PC without symbol information.
//
// Function and file names are interned in names: the same functions recur
// in many records, and a profile's model then holds each name once.
func parseDebug1Frame(t []byte, names stringSet) (Frame, error) {
	rest := bytes.TrimLeft(bytes.TrimPrefix(t, []byte("#")), " \t")
	pcText, after, _ := bytes.Cut(rest, []byte{'\t'})
	if i := bytes.IndexByte(pcText, ' '); i >= 0 { // space-separated paste
		pcText, after = pcText[:i], append(bytes.TrimLeft(pcText[i:], " "), after...)
	}
	pc, err := parseHex0x(pcText)
	switch {
	case err == nil:
		rest = after
	case bytes.HasPrefix(pcText, []byte("0x")) || bytes.IndexByte(rest, '.') < 0:
		return Frame{}, fmt.Errorf("bad frame PC %q", clipText(pcText))
	default:
		pc = 0 // a paste without the PC column: the function comes first
	}
	rest = bytes.TrimSpace(rest)
	if len(rest) == 0 {
		return Frame{Func: "?", PC: pc}, nil
	}
	// The location is the last column: after the last tab. Once tabs
	// became spaces it starts after the function, which holds no space
	// (a file path may).
	sep := bytes.LastIndexByte(rest, '\t')
	if sep < 0 {
		sep = bytes.IndexByte(rest, ' ')
	}
	if sep < 0 {
		return Frame{}, fmt.Errorf("frame %q has no file:line", clipText(t))
	}
	fn, loc := bytes.TrimSpace(rest[:sep]), bytes.TrimSpace(rest[sep+1:])
	f := Frame{PC: pc}
	if i := bytes.LastIndex(fn, []byte("+0x")); i > 0 {
		off, err := parseHex0x(fn[i+1:])
		if err != nil {
			return Frame{}, fmt.Errorf("bad offset in frame %q", clipText(t))
		}
		f.Offset, fn = off, fn[:i]
	}
	f.Func = UnvendorFunc(names.get(fn))
	colon := bytes.LastIndexByte(loc, ':')
	if colon < 0 {
		return Frame{}, fmt.Errorf("frame %q has no file:line", clipText(t))
	}
	ln, err := strconv.Atoi(string(loc[colon+1:]))
	if err != nil || ln < 0 {
		return Frame{}, fmt.Errorf("bad line number in frame %q", clipText(t))
	}
	f.File, f.Line = names.get(loc[:colon]), ln
	return f, nil
}

// stringSet interns the names read from one input, cleaned of control
// characters. A nil set interns nothing (for checks that keep no name).
type stringSet map[string]string

// get returns the cleaned string for b, allocating it only the first time.
func (s stringSet) get(b []byte) string {
	if v, ok := s[string(b)]; ok {
		return v
	}
	k := string(b)
	v := CleanText(unescapeEntities(k))
	if s != nil {
		s[k] = v
	}
	return v
}

// errHex0x reports a malformed "0x" number; callers say which.
var errHex0x = errors.New("not a 0x hex number of at most 16 digits")

// parseHex0x parses "0x1f" (the prefix is required) without allocating:
// debug=1 records carry dozens of PCs each.
func parseHex0x(b []byte) (uint64, error) {
	h, ok := bytes.CutPrefix(b, []byte("0x"))
	if !ok || len(h) == 0 || len(h) > 16 {
		return 0, errHex0x
	}
	var v uint64
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, errHex0x
		}
		v = v<<4 | uint64(c)
	}
	return v, nil
}

// clipText shortens untrusted text quoted in an error message and strips
// control characters from it.
func clipText(b []byte) string {
	const max = 80
	if len(b) > max {
		return CleanText(string(b[:max])) + "..."
	}
	return CleanText(string(b))
}
