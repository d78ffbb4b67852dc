package parser

import (
	"bytes"
	"io"
)

// textChunkSize is the chunk size of a parallel text parse. A chunk is cut
// at the first clean boundary (see cleanHeader) textChunkSize bytes or more
// into it; where none comes within twice that, at the last line start
// before. A megabyte is a few milliseconds of parsing: enough to make the
// hand-over cheap, small enough to keep every core busy to the end and
// the chunks in flight (a few per core) a small part of memory.
const textChunkSize = 512 << 10

// textChunk is a part of a text input, cut at a line start.
type textChunk struct {
	data []byte
	buf  []byte // the buffer data is the start of, for reuse
	off  int64  // byte offset of data in the input
	line int    // lines of the input before data
	// clean is set when data starts with a clean goroutine header right
	// after a blank line: a worker may parse it ahead of the merger.
	clean bool
	// rest, when set, is the input after data, to be read as a stream: a
	// line longer than the largest chunk left no line start to cut at.
	rest io.Reader
	// err is the read error (not io.EOF) the input ends with after data.
	err error
	// res receives the worker's parse of a clean chunk; nil when no
	// worker parses it.
	res chan *textParser
}

// chunker cuts a text input into textChunks, in order.
type chunker struct {
	r    io.Reader
	size int
	max  int
	// free holds chunk buffers the merger is done with, for reuse.
	free  chan []byte
	off   int64
	line  int
	clean bool // the next chunk starts at a clean boundary
	// carry is what was read past the last cut: the end of the last
	// chunk's buffer, outside its data.
	carry []byte
	err   error // io.EOF or the read error, once met
	done  bool
}

func newChunker(r io.Reader, size int, free chan []byte) *chunker {
	return &chunker{r: r, size: size, max: 2 * size, free: free}
}

// boundary is what a clean boundary looks like in the input: a blank line
// and a goroutine header.
var boundary = []byte("\n\ngoroutine ")

// next returns the next chunk, nil after the last.
func (c *chunker) next() *textChunk {
	if c.done {
		return nil
	}
	if len(c.carry) > c.size {
		c.done = true
		return &textChunk{data: c.carry, off: c.off, line: c.line, clean: c.clean, rest: c.r}
	}
	var buf []byte
	select {
	case buf = <-c.free:
	default:
		buf = make([]byte, 0, c.max)
	}
	buf = append(buf[:0], c.carry...) // memmove: buf may be carry's own buffer
	c.carry = nil
	from := 0 // where the search for a boundary resumes
	for {
		if cut, ok := c.findBoundary(buf, &from); ok {
			return c.emit(buf, cut, true)
		}
		if c.err != nil {
			c.done = true
			end := len(buf)
			if c.err != io.EOF {
				// The line the error cut is dropped, as the line reader
				// drops it.
				end = bytes.LastIndexByte(buf, '\n') + 1
			}
			ch := c.emit(buf, end, false)
			if c.err != io.EOF {
				ch.err = c.err
			}
			return ch
		}
		if len(buf) >= c.max {
			i := bytes.LastIndexByte(buf, '\n')
			if i < 0 {
				c.done = true
				return &textChunk{data: buf, off: c.off, line: c.line, clean: c.clean, rest: c.r}
			}
			ch := c.emit(buf, i+1, false)
			if len(c.carry) > c.size {
				// A line longer than a chunk has begun: the rest of the
				// input is read as a stream, from the carry on, which
				// keeps this buffer.
				ch.buf = nil
			}
			return ch
		}
		n, err := c.r.Read(buf[len(buf):min(cap(buf), len(buf)+max(c.size/4, 1))])
		buf = buf[:len(buf)+n]
		if err != nil {
			c.err = err
		}
	}
}

// emit returns buf[:cut] as a chunk and carries the rest over to the next.
func (c *chunker) emit(buf []byte, cut int, nextClean bool) *textChunk {
	ch := &textChunk{data: buf[:cut:cut], buf: buf, off: c.off, line: c.line, clean: c.clean}
	c.carry = buf[cut:]
	c.off += int64(cut)
	c.line += bytes.Count(ch.data, []byte{'\n'})
	c.clean = nextClean
	return ch
}

// findBoundary looks for a clean boundary at c.size bytes into buf or
// later, from where the last search stopped (*from). It returns the
// offset of the boundary's header line.
func (c *chunker) findBoundary(buf []byte, from *int) (int, bool) {
	start := max(*from, c.size-2)
	for start < len(buf) {
		i := bytes.Index(buf[start:], boundary)
		if i < 0 {
			*from = max(start, len(buf)-len(boundary)+1)
			return 0, false
		}
		h := start + i + 2
		e := bytes.IndexByte(buf[h:], '\n')
		if e < 0 {
			*from = start + i // the header line is not all read yet
			return 0, false
		}
		if cleanHeader(buf[h : h+e]) {
			return h, true
		}
		start += i + 1
	}
	return 0, false
}

// cleanHeader reports whether line, which follows a blank line, is a
// goroutine header that every state of the text parser reads as a header
// and nothing else (no stack line, no prefix, markup, escaped dump or
// trailer): a worker can start a chunk there without knowing the state
// the lines before it left.
func cleanHeader(line []byte) bool {
	if len(line) > 4096 || len(line) < 2 || line[0] != 'g' || line[len(line)-1] != ':' || bytes.ContainsAny(line, "\r\x1b\\`<>") {
		return false
	}
	var h header
	if !parseHeader(line, &h) || h.trailer != nil || h.goleak {
		return false
	}
	var fl fileLine
	if _, _, ok := funcLine(line); ok || parseFileLine(line, &fl) {
		return false
	}
	return true
}
