package parser

import (
	"bufio"
	"errors"
	"io"
)

// Line length limits of the text reader. Lines up to textReadBuf are
// returned straight from the bufio buffer; longer ones are assembled in a
// growing buffer up to textMaxLine; beyond that the line is drained and
// skipped so a 10 MB line never sits in memory.
const (
	textReadBuf = 64 << 10
	textMaxLine = 1 << 20
)

// lineReader yields the lines of a stream one at a time without holding
// more than one line (at most textMaxLine bytes) in memory.
type lineReader struct {
	r    *bufio.Reader
	long []byte // assembly buffer for lines longer than the bufio buffer
	off  int64  // byte offset of the next line
	no   int    // 1-based number of the line last returned
	// eofNewline reports whether the last line returned ended with '\n'.
	eofNewline bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, textReadBuf)}
}

// next returns the next line without its '\n', the byte offset where it
// starts, and skipped > 0 when the line was longer than textMaxLine and was
// dropped (line is then nil). The line is valid until the next call. err
// is io.EOF at the end of input, or the underlying read error.
func (lr *lineReader) next() (line []byte, start int64, skipped int64, err error) {
	start = lr.off
	b, err := lr.r.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(b) > 0) {
		lr.off += int64(len(b))
		lr.no++
		lr.eofNewline = err == nil
		return trimNewline(b), start, 0, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, start, 0, err
	}
	// A line longer than the buffer: assemble it, or drain it past the cap.
	lr.long = append(lr.long[:0], b...)
	n := int64(len(b))
	over := false
	for {
		b, err = lr.r.ReadSlice('\n')
		n += int64(len(b))
		if !over {
			if len(lr.long)+len(b) > textMaxLine {
				over = true
				lr.long = lr.long[:0]
			} else {
				lr.long = append(lr.long, b...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && err != io.EOF {
			return nil, start, 0, err
		}
		break
	}
	lr.off += n
	lr.no++
	lr.eofNewline = err == nil
	if cap(lr.long) > 4*textReadBuf && over {
		lr.long = nil // do not keep a megabyte around after a skipped line
	}
	if over {
		return nil, start, n, nil
	}
	return trimNewline(lr.long), start, 0, nil
}

// trimNewline drops a trailing "\n" and "\r\n" (CRLF input).
func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	for n := len(b); n > 0 && b[n-1] == '\r'; n = len(b) {
		b = b[:n-1]
	}
	return b
}
