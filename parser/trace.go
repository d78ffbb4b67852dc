package parser

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"golang.org/x/exp/trace"
)

// ReadTrace analyzes a Go execution trace (raw bytes; the loader has
// already removed any gzip layer) in one streaming pass and returns what
// ctxhole keeps of it: per-goroutine block intervals with their wakers,
// aggregated wake edges and per-site wait statistics (see [Trace]).
//
// It reads every format golang.org/x/exp/trace reads: the Go 1.22–1.26
// traces generation by generation, holding one generation (about a second
// of events) at a time, and the Go 1.11–1.21 formats, which that package
// converts after reading the whole trace into memory.
//
// A trace that breaks part way (cut short, corrupt bytes) is analyzed up to
// the break: the result has Truncated set and a Warning saying at which
// byte and trace time it broke. ReadTrace fails only when nothing could be
// read: a bad header or no event at all.
//
// With more than one P (GOMAXPROCS), decoding and analysis run on two
// goroutines; the result is the same either way.
func ReadTrace(r io.Reader, src Source) (*Trace, error) {
	return readTrace(r, src, runtime.GOMAXPROCS(0) > 1)
}

// readTrace is ReadTrace, decoding on a second goroutine when pipelined.
func readTrace(r io.Reader, src Source, pipelined bool) (*Trace, error) {
	cr := &countingReader{r: r}
	// The trace package keeps using this bufio.Reader (it is big enough),
	// so peeking the header here consumes nothing.
	br := bufio.NewReaderSize(cr, 64<<10)
	version := traceVersion(br)
	rd, err := newTraceReader(br)
	if err != nil {
		return nil, &Error{File: src.File, Offset: 0, Err: fmt.Errorf("not a readable Go execution trace: %w", err)}
	}
	tr := &Trace{Source: src, Version: version}
	if src.Format == "" {
		tr.Source.Format = FormatExecTrace
	}
	b := newTraceBuilder()
	if offset, err := foldTrace(rd, cr, b, pipelined); err != io.EOF {
		if b.events == int64(b.gens) {
			return nil, &Error{File: src.File, Offset: offset, Err: fmt.Errorf("reading execution trace: %w", err)}
		}
		tr.Truncated = true
		tr.Warnings = append(tr.Warnings, Warning{
			File:   src.File,
			Offset: offset,
			Msg: fmt.Sprintf("execution trace broken after %d complete generation(s), at +%s of trace time (within the first %d bytes): %s; analyzed up to the break",
				max(b.gens-1, 0), b.last.Sub(b.origin).Round(time.Microsecond), offset, CleanText(firstLine(err.Error()))),
		})
	}
	if b.events == int64(b.gens) {
		// Nothing but the Sync events the reader always emits.
		return nil, &Error{File: src.File, Offset: cr.n, Err: errors.New("execution trace holds no events")}
	}
	b.finish(tr)
	return tr, nil
}

// newTraceReader opens a trace reader, turning a panic of the trace
// package on malformed input into an error.
func newTraceReader(r io.Reader) (rd *trace.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			rd, err = nil, fmt.Errorf("malformed trace: %v", p)
		}
	}()
	return trace.NewReader(r)
}

// traceVersion returns the Go version a trace header names ("go1.26"), or
// "" if the header is unreadable; the trace reader reports that.
func traceVersion(br *bufio.Reader) string {
	head, _ := br.Peek(16)
	var minor int
	if _, err := fmt.Sscanf(string(head), "go 1.%d trace", &minor); err != nil {
		return ""
	}
	return fmt.Sprintf("go1.%d", minor)
}

// firstLine returns s up to its first newline: the trace package appends
// multi-line dumps of its internal state to some errors.
func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// countingReader counts the bytes read through it, to say where a broken
// trace broke.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
