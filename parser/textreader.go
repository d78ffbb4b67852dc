package parser

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
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
	r *bufio.Reader
	// data, when r is nil, is the rest of an input held in memory (a
	// chunk of a parallel parse): lines are sliced from it in place.
	data []byte
	long []byte // assembly buffer for lines longer than the bufio buffer
	off  int64  // byte offset of the next line
	no   int    // 1-based number of the line last returned
	// eofNewline reports whether the last line returned ended with '\n'.
	eofNewline bool
	// pending holds the rest of a line that carried a whole dump with its
	// newlines escaped (a logger's msg="...\ngoroutine 1 [running]:\n..."),
	// pendingStart that line's offset; escaped counts such lines.
	pending      [][]byte
	pendingStart int64
	escaped      int
	// mayESC and mayBS say whether the line last returned may hold an
	// escape character (ANSI colours) or a backslash (an escaped dump):
	// false only when it holds none, which the line's cleaning and
	// escapedDump then need not look for. Over a slice, clearESC and
	// clearBS are how many bytes of data are known to hold none, so
	// that one search covers the lines up to the next one.
	mayESC, mayBS     bool
	clearESC, clearBS int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, textReadBuf)}
}

// newSliceLineReader returns a lineReader over data, a part of an input
// that starts at byte offset off after line no. Its lines are those a
// lineReader over the whole input returns for that part.
func newSliceLineReader(data []byte, off int64, no int) *lineReader {
	return &lineReader{data: data, off: off, no: no}
}

// next returns the next line without its '\n', the byte offset where it
// starts, and skipped > 0 when the line was longer than textMaxLine and was
// dropped (line is then nil). The line is valid until the next call. err
// is io.EOF at the end of input, or the underlying read error.
func (lr *lineReader) next() (line []byte, start int64, skipped int64, err error) {
	if len(lr.pending) > 0 {
		line, lr.pending = lr.pending[0], lr.pending[1:]
		lr.mayESC, lr.mayBS = true, true
		return line, lr.pendingStart, 0, nil
	}
	line, start, skipped, err = lr.read()
	if lr.r != nil {
		lr.mayESC, lr.mayBS = bytes.IndexByte(line, 0x1b) >= 0, bytes.IndexByte(line, '\\') >= 0
	}
	if err == nil && skipped == 0 && lr.mayBS && escapedDump(line) {
		pieces := unescapeDump(line)
		lr.pending, lr.pendingStart = pieces[1:], start
		lr.escaped++
		return pieces[0], start, 0, nil
	}
	return line, start, skipped, err
}

// escapedHeader is how a goroutine header starts inside a line whose
// newlines a logger escaped.
var escapedHeader = []byte(`\ngoroutine `)

// escapedDump reports whether line holds a goroutine header after an
// escaped newline: a dump logged as one string (logrus, zap and JSON
// loggers write msg="...\ngoroutine 1 [running]:\n\tmain.go:3 ...").
func escapedDump(line []byte) bool {
	if bytes.IndexByte(line, '\\') < 0 {
		return false // the common case, found at memory speed
	}
	for rest := line; ; {
		i := bytes.Index(rest, escapedHeader)
		if i < 0 {
			return false
		}
		rest = rest[i+len(escapedHeader):]
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n > 0 && (bytes.HasPrefix(rest[n:], []byte(" [")) || bytes.HasPrefix(rest[n:], []byte(" gp="))) {
			return true
		}
	}
}

// unescapeDump undoes a logger's string escaping of line (\n, \t, \r,
// \", \\, \uXXXX; a second level too, for a JSON log inside a JSON log) and splits
// it into the lines it held. A quote left unescaped at the last level is
// where the logged string began or ended (`msg="`, `"}`): it ends a line
// too, so the record's other fields never stick to the dump's first or
// last line.
func unescapeDump(line []byte) [][]byte {
	text := line
	for range 2 {
		if !bytes.Contains(text, escapedHeader) {
			break
		}
		out := make([]byte, 0, len(text))
		var quotes []int // offsets in out of quotes that were not escaped
		for i := 0; i < len(text); i++ {
			c := text[i]
			if c != '\\' || i+1 == len(text) {
				if c == '"' {
					quotes = append(quotes, len(out))
				}
				out = append(out, c)
				continue
			}
			i++
			switch text[i] {
			case 'n':
				out = append(out, '\n')
			case 't':
				out = append(out, '\t')
			case 'r':
			case '"', '\\', '/':
				out = append(out, text[i])
			case 'u':
				// JSON's \uXXXX (Go's encoder writes <, > and & so).
				if r, err := strconv.ParseUint(string(text[i+1:min(i+5, len(text))]), 16, 32); err == nil && i+5 <= len(text) {
					out = utf8.AppendRune(out, rune(r))
					i += 4
				} else {
					out = append(out, '\\', 'u')
				}
			default:
				out = append(out, '\\', text[i])
			}
		}
		if !bytes.Contains(out, escapedHeader) {
			for _, q := range quotes {
				out[q] = '\n'
			}
		}
		text = out
	}
	return bytes.Split(text, []byte("\n"))
}

// read returns the next physical line of the input (see next).
func (lr *lineReader) read() (line []byte, start int64, skipped int64, err error) {
	if lr.r == nil {
		return lr.slice()
	}
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

// mayHold reports whether data[:n], the next line, holds c, given that
// *clear bytes of data are known not to, and updates *clear for data[n:].
// A search runs only when the line reaches past what is known: once per
// occurrence of c, not once per line.
func mayHold(data []byte, n int, c byte, clear *int) bool {
	if *clear < n {
		if j := bytes.IndexByte(data, c); j < 0 {
			*clear = len(data)
		} else {
			*clear = j
		}
	}
	if *clear < n {
		*clear = 0
		return true
	}
	*clear -= n
	return false
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

// slice is read for a lineReader over a byte slice.
func (lr *lineReader) slice() (line []byte, start int64, skipped int64, err error) {
	start = lr.off
	if len(lr.data) == 0 {
		return nil, start, 0, io.EOF
	}
	b := lr.data
	i := bytes.IndexByte(b, '\n')
	lr.eofNewline = i >= 0
	if i >= 0 {
		b = b[:i+1]
	}
	lr.mayESC = mayHold(lr.data, len(b), 0x1b, &lr.clearESC)
	lr.mayBS = mayHold(lr.data, len(b), '\\', &lr.clearBS)
	lr.data = lr.data[len(b):]
	lr.off += int64(len(b))
	lr.no++
	if len(b) > textMaxLine {
		return nil, start, int64(len(b)), nil
	}
	return trimNewline(b), start, 0, nil
}
