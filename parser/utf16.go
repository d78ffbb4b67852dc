package parser

import (
	"bufio"
	"encoding/binary"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Byte order marks. Windows PowerShell 5 writes UTF-16LE with a BOM when
// output is redirected (`kubectl logs pod > dump.txt`), and some editors
// save UTF-8 with a BOM: both are text captures and are read as such.
var (
	bomUTF8    = []byte{0xef, 0xbb, 0xbf}
	bomUTF16LE = []byte{0xff, 0xfe}
	bomUTF16BE = []byte{0xfe, 0xff}
)

// utf16Reader streams UTF-16 text (after its BOM) as UTF-8. Unpaired
// surrogates and a trailing odd byte become U+FFFD, as invalid UTF-8 does
// elsewhere.
type utf16Reader struct {
	r     *bufio.Reader
	order binary.ByteOrder
	buf   []byte
	out   []byte // converted bytes not yet returned
	err   error  // sticky, returned once out is drained
}

func newUTF16Reader(r *bufio.Reader, order binary.ByteOrder) *utf16Reader {
	return &utf16Reader{r: r, order: order, buf: make([]byte, 0, 4096+utf8.UTFMax)}
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// fill converts up to about 4 KiB of output.
func (u *utf16Reader) fill() {
	out := u.buf[:0]
	for len(out) < 4096 {
		c, err := u.unit()
		if err != nil {
			u.err = err
			break
		}
		r := rune(c)
		if utf16.IsSurrogate(r) {
			r = u.pair(r)
		}
		out = utf8.AppendRune(out, r)
	}
	u.out = out
}

// pair completes a surrogate pair whose first half is hi, or returns
// U+FFFD leaving a non-matching next unit unread.
func (u *utf16Reader) pair(hi rune) rune {
	next, err := u.r.Peek(2)
	if err != nil || len(next) < 2 {
		return utf8.RuneError
	}
	r := utf16.DecodeRune(hi, rune(u.order.Uint16(next)))
	if r != utf8.RuneError {
		_, _ = u.r.Discard(2) // the two bytes were just peeked
	}
	return r
}

// unit reads one 16-bit code unit. A lone trailing byte is reported as
// U+FFFD followed by EOF.
func (u *utf16Reader) unit() (uint16, error) {
	b0, err := u.r.ReadByte()
	if err != nil {
		return 0, err
	}
	b1, err := u.r.ReadByte()
	if err == io.EOF {
		return utf8.RuneError, nil
	}
	if err != nil {
		return 0, err
	}
	return u.order.Uint16([]byte{b0, b1}), nil
}
