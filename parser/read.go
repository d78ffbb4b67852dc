package parser

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Read reads one input stream, whatever its format: the format is sniffed
// from the content (gzip is removed transparently) and the matching reader
// fills a Capture. name is what errors and warnings call the input. Errors
// are *Error values naming name and a line or byte offset.
func Read(r io.Reader, name string, opts Options) (*Capture, error) {
	c, err := readSniffed(r, name, opts)
	if err != nil {
		return nil, fileError(name, err)
	}
	return c, nil
}

func readSniffed(r io.Reader, name string, opts Options) (*Capture, error) {
	kind, br, what, gz, err := sniff(r, opts.maxDecompressed())
	if err != nil {
		return nil, err
	}
	c, err := readKind(kind, br, what, name, opts)
	if gzErr := gz.failed(); gzErr != nil {
		// Whatever the reader made of the bytes before the failure, a
		// corrupt stream or a breached cap is the answer.
		return nil, gzErr
	}
	return c, err
}

// readKind reads a sniffed input with the reader for its kind.
func readKind(kind inputKind, br *bufio.Reader, what, name string, opts Options) (*Capture, error) {
	c := &Capture{}
	switch kind {
	case kindEmpty:
		return nil, &Error{File: name, Offset: 0, Err: errors.New("empty input")}
	case kindExecTrace:
		tr, err := ReadTrace(br, Source{File: name, Format: FormatExecTrace})
		if err != nil {
			return nil, err
		}
		c.Traces = append(c.Traces, tr)
	case kindBinary:
		snap, prof, err := readProto(br, name, opts.maxDecompressed())
		if err != nil {
			return nil, err
		}
		if snap != nil {
			c.Snapshots = append(c.Snapshots, snap)
		}
		if prof != nil {
			c.Contention = append(c.Contention, prof)
		}
	case kindDebug1:
		snaps, err := readDebug1(br, name)
		if err != nil {
			return nil, err
		}
		c.Snapshots = append(c.Snapshots, snaps...)
	case kindContentionText:
		prof, err := readContentionText(br, name)
		if err != nil {
			return nil, err
		}
		c.Contention = append(c.Contention, prof)
	case kindPprofTraces:
		snaps, err := readPprofTraces(br, name)
		if err != nil {
			return nil, err
		}
		c.Snapshots = append(c.Snapshots, snaps...)
	case kindGoroutineText, kindText:
		snaps, err := ReadText(br, name)
		var pe *Error
		if err != nil && kind == kindText && errors.As(err, &pe) {
			// Nothing in the first bytes looked like a dump, and the
			// text reader found none further on either.
			return nil, &Error{File: pe.File, Line: pe.Line, Offset: pe.Offset, Err: fmt.Errorf("%w: %w", ErrUnknownFormat, pe.Err)}
		}
		if err != nil {
			return nil, err
		}
		if len(snaps) == 0 {
			return nil, &Error{File: name, Offset: -1, Err: fmt.Errorf("%w: text without a goroutine header (\"goroutine N [...]:\")", ErrUnknownFormat)}
		}
		c.Snapshots = append(c.Snapshots, snaps...)
	default:
		if what != "" {
			return nil, &Error{File: name, Offset: 0, Err: fmt.Errorf("%w: this is %s", ErrUnknownFormat, what)}
		}
		return nil, &Error{File: name, Offset: 0, Err: ErrUnknownFormat}
	}
	return c, nil
}

// fileError makes err an *Error about the file name. A gzip failure is
// reported at its offset in the compressed file, whatever reader met it: the
// compressed stream is the cause, not the text line being read.
func fileError(name string, err error) error {
	var ge *gzipError
	if errors.As(err, &ge) {
		return &Error{File: name, Offset: ge.Offset, Err: ge}
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return &Error{File: name, Offset: -1, Err: err}
}
