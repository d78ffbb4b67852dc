package parser

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText removes terminal control characters from s: ANSI escape
// sequences (CSI, OSC and two-byte escapes) are dropped whole, other C0 and
// C1 controls and DEL are dropped, invalid UTF-8 becomes U+FFFD, and
// bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and the other
// overrides, embeddings, isolates and marks) are shown as their code point,
// "<U+202E>". Tabs are kept. Everything the parser stores from a capture
// goes through it, so no later view can be made to move the cursor, retitle
// a terminal or reorder a line.
func CleanText(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0x1b { // ESC
			i = skipEscape(s, i)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// control: drop
		case unicode.Is(unicode.Bidi_Control, r):
			// A bidirectional override or isolate (U+202E...) reorders
			// what follows it on screen: a name could be made to read as
			// another. Shown as its code point instead.
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isClean reports whether s has nothing CleanText would change: the fast
// path for the overwhelmingly common ASCII case.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c >= 0x7f {
			if c >= 0x80 {
				return isCleanUTF8(s[i:])
			}
			return false
		}
	}
	return true
}

func isCleanUTF8(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 ||
			unicode.Is(unicode.Bidi_Control, r) {
			return false
		}
		i += size
	}
	return true
}

// skipEscape returns the index just past the escape sequence starting at
// s[i] == ESC.
func skipEscape(s string, i int) int {
	i++
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40–0x7e
		i++
		for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
			i++
		}
		return min(i+1, len(s))
	case ']', 'P', '^', '_': // OSC, DCS, PM, APC: up to BEL or ST (ESC \)
		i++
		for i < len(s) {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			i++
		}
		return i
	default: // two-byte escape
		return i + 1
	}
}
