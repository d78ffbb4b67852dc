package parser

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// sniffLen is how much of an input is looked at to decide its format. Text
// inputs are then streamed, never read whole.
const sniffLen = 64 << 10

// inputKind is what sniffing decided about an input.
type inputKind uint8

const (
	kindUnknown        inputKind = iota
	kindEmpty                    // no bytes at all
	kindBinary                   // binary, but not a trace: tried as a pprof protobuf
	kindExecTrace                // "go 1.xx trace\x00\x00\x00"
	kindDebug1                   // "goroutine profile: total N"
	kindContentionText           // "--- mutex:" / "--- contention:"
	kindPprofTraces              // `go tool pprof -traces` separators
	kindGoroutineText            // a "goroutine N [" header was seen
	kindText                     // text with no marker in the peek: a dump may come later
)

// otherTextProfiles are text profiles of kinds ctxhole does not read, named
// in the error so the user knows what they gave it.
var otherTextProfiles = []struct{ prefix, name string }{
	{"heap profile:", "a heap/allocs profile"},
	{"threadcreate profile:", "a threadcreate profile"},
	{"--- cpu", "a CPU profile"},
	{"flat  flat%   sum%", "`go tool pprof -top` output, which has no stacks (give the profile itself, or `go tool pprof -traces` output)"},
}

// sniff decides an input's format from its first bytes. Any gzip layer is
// removed first (the returned reader yields the decompressed bytes); the
// returned reader starts at the beginning of the content.
//
// When the input is gzip, gz is its decompressor: readers may stop at a read
// error and keep what they have, so the caller checks gz.failed() after
// reading to report a corrupt stream or a breached cap as the error it is.
func sniff(r io.Reader, max int64) (kind inputKind, br *bufio.Reader, what string, gz *gunzipReader, err error) {
	br = bufio.NewReaderSize(r, sniffLen)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return kindUnknown, nil, "", nil, err
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err = newGunzip(br, max)
		if err != nil {
			return kindUnknown, nil, "", nil, err
		}
		br = bufio.NewReaderSize(gz, sniffLen)
		if h, _ := br.Peek(2); len(h) == 2 && h[0] == 0x1f && h[1] == 0x8b {
			return kindUnknown, nil, "", nil, fmt.Errorf("%w: gzip inside gzip", ErrUnknownFormat)
		}
	}
	br = skipBOM(br)
	peek, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return kindUnknown, nil, "", nil, err
	}
	kind, what = classify(peek)
	return kind, br, what, gz, nil
}

// classify decides the format of an input from its first (decompressed)
// bytes. what describes a recognised but unsupported text profile.
func classify(peek []byte) (kind inputKind, what string) {
	switch {
	case len(peek) == 0:
		return kindEmpty, ""
	case isExecTrace(peek):
		return kindExecTrace, ""
	case isBinary(peek):
		return kindBinary, ""
	}
	// The first line marking a readable format decides; a profile kind
	// ctxhole does not read only decides when nothing readable follows
	// (a pprof session's `top` often precedes its `traces`).
	other := ""
	for len(peek) > 0 {
		var line []byte
		line, peek, _ = bytes.Cut(peek, []byte("\n"))
		t := debug1Clean(line)
		switch {
		case bytes.HasPrefix(t, []byte("goroutine profile: total ")), bytes.HasPrefix(t, []byte("goroutineleak profile: total ")):
			return kindDebug1, ""
		case bytes.HasPrefix(t, []byte("--- mutex:")), bytes.HasPrefix(t, []byte("--- contention:")):
			return kindContentionText, ""
		case bytes.HasPrefix(t, []byte(tracesSeparatorPrefix)):
			return kindPprofTraces, ""
		case hasGoroutineHeader(line):
			return kindGoroutineText, ""
		case other == "" && (isRecordLine(t) || len(t) > 2 && t[0] == '#' && debug1Whole(t)):
			// debug=1 records or frames pasted without the header.
			return kindDebug1, ""
		}
		for _, p := range otherTextProfiles {
			if other == "" && bytes.HasPrefix(t, []byte(p.prefix)) {
				other = p.name
			}
		}
	}
	if other != "" {
		return kindUnknown, other
	}
	return kindText, ""
}

// isExecTrace reports whether b starts with a Go execution trace header,
// "go 1.NN trace" padded with NULs to 16 bytes.
func isExecTrace(b []byte) bool {
	if len(b) < 16 || !bytes.HasPrefix(b, []byte("go 1.")) {
		return false
	}
	i := bytes.Index(b[:16], []byte(" trace\x00"))
	if i < 6 {
		return false
	}
	for _, c := range b[5:i] {
		if c < '0' || c > '9' {
			return false
		}
	}
	for _, c := range b[i+len(" trace") : 16] {
		if c != 0 {
			return false
		}
	}
	return true
}

// isBinary reports whether b is not text: it holds a NUL byte, or more than
// one control byte in 32 other than the whitespace and escape characters
// text captures carry (a protobuf is full of small tags and lengths).
func isBinary(b []byte) bool {
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b:
			ctl++
		}
	}
	return ctl*32 > len(b)
}

// hasGoroutineHeader reports whether line holds "goroutine N [" or
// "goroutine N gp=" anywhere (a dump inside a log keeps the log's prefix).
func hasGoroutineHeader(line []byte) bool {
	for {
		i := bytes.Index(line, []byte("goroutine "))
		if i < 0 {
			return false
		}
		rest := line[i+len("goroutine "):]
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n > 0 && (bytes.HasPrefix(rest[n:], []byte(" [")) || bytes.HasPrefix(rest[n:], []byte(" gp="))) {
			return true
		}
		line = rest
	}
}

// skipBOM drops a UTF-8 byte order mark and turns UTF-16 text (recognised
// by its BOM) into UTF-8, so every reader sees plain UTF-8.
func skipBOM(br *bufio.Reader) *bufio.Reader {
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, bomUTF8):
		_, _ = br.Discard(len(bomUTF8))
	case bytes.HasPrefix(head, bomUTF16LE):
		_, _ = br.Discard(len(bomUTF16LE))
		return bufio.NewReaderSize(newUTF16Reader(br, binary.LittleEndian), sniffLen)
	case bytes.HasPrefix(head, bomUTF16BE):
		_, _ = br.Discard(len(bomUTF16BE))
		return bufio.NewReaderSize(newUTF16Reader(br, binary.BigEndian), sniffLen)
	}
	return br
}
