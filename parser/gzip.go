package parser

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// gzipError is a failure of the gzip layer: corrupt compressed data, or more
// decompressed bytes than the cap allows. It carries the byte offset in the
// compressed stream where it was detected, so Read can report it against the
// file rather than against a line of the decompressed text.
type gzipError struct {
	Offset       int64 // in the compressed input
	Decompressed int64 // bytes decompressed before the failure
	Err          error
}

func (e *gzipError) Error() string {
	return fmt.Sprintf("gzip: %v (after %d decompressed bytes)", e.Err, e.Decompressed)
}

func (e *gzipError) Unwrap() error { return e.Err }

// errGzipCap is wrapped by the gzipError returned when decompression would
// exceed Options.MaxDecompressed.
var errGzipCap = errors.New("decompressed size exceeds the limit")

// gzipSource counts the compressed bytes the gzip decoder consumes. It
// implements io.ByteReader, so compress/gzip reads through it directly and
// does not buffer ahead: the count is the exact decoder position.
type gzipSource struct {
	r *bufio.Reader
	n int64
}

func (c *gzipSource) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *gzipSource) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// gunzipReader streams the decompressed content of a gzip input, stopping
// with an error once more than max bytes have come out.
type gunzipReader struct {
	src *gzipSource
	z   *gzip.Reader
	n   int64 // decompressed bytes returned so far
	max int64
	err error // sticky
}

// newGunzip starts decompressing br, which must begin with the gzip magic.
func newGunzip(br *bufio.Reader, max int64) (*gunzipReader, error) {
	src := &gzipSource{r: br}
	z, err := gzip.NewReader(src)
	if err != nil {
		return nil, &gzipError{Offset: src.n, Err: err}
	}
	return &gunzipReader{src: src, z: z, max: max}, nil
}

// failed returns the error that stopped decompression, if any (io.EOF is
// not a failure).
func (g *gunzipReader) failed() error {
	if g == nil {
		return nil
	}
	return g.err
}

func (g *gunzipReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	// Read at most one byte past the cap, so exceeding it is detected
	// without decompressing further.
	if room := g.max + 1 - g.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := g.z.Read(p)
	g.n += int64(n)
	if g.n > g.max {
		n -= int(g.n - g.max)
		g.n = g.max
		g.err = &gzipError{Offset: g.src.n, Decompressed: g.n,
			Err: fmt.Errorf("%w of %d bytes (possible gzip bomb; raise the limit if the capture is genuine)", errGzipCap, g.max)}
		return n, g.err
	}
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("compressed stream ends early: %w", err)
		}
		g.err = &gzipError{Offset: g.src.n, Decompressed: g.n, Err: err}
		return n, g.err
	}
	return n, err
}
