package parser

import (
	"io"
	"sync"
)

// Progress reports how far a long read or analysis has come, for a
// progress display (a line on a terminal, the TUI's loading screen). It
// says what is being done, never what was found.
type Progress struct {
	// Phase is what is being done: PhaseReading while inputs are read,
	// then the analysis passes' names (see detectors.Options.Progress).
	Phase string
	// File is the input read last; "" outside reading.
	File string
	// Bytes is how many input bytes were read so far, over every input.
	Bytes int64
	// TotalBytes is the size of every input, when each is a regular file
	// whose size is known; 0 when not.
	TotalBytes int64
	// Goroutines is how many goroutines the inputs read so far hold (while
	// reading), or how many the analyzed snapshot holds (while analyzing).
	Goroutines int
}

// PhaseReading is Progress.Phase while inputs are read.
const PhaseReading = "reading"

// progressStep is how many bytes are read between two progress reports of
// one load: frequent enough for a display, rare enough to cost nothing.
const progressStep = 1 << 20

// progressTracker adds up what concurrent reads of one Load have done and
// reports it through Options.Progress, one call at a time.
type progressTracker struct {
	mu   sync.Mutex
	fn   func(Progress)
	p    Progress
	next int64 // Bytes at which the next report is due
}

// newProgressTracker returns a tracker reporting to fn, nil when fn is nil
// (every method of a nil tracker does nothing).
func newProgressTracker(fn func(Progress), total int64) *progressTracker {
	if fn == nil {
		return nil
	}
	return &progressTracker{fn: fn, p: Progress{Phase: PhaseReading, TotalBytes: total}}
}

// read counts n bytes read from file, reporting every progressStep bytes.
func (t *progressTracker) read(file string, n int) {
	if t == nil || n <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Bytes += int64(n)
	t.p.File = file
	if t.p.Bytes >= t.next {
		t.next = t.p.Bytes + progressStep
		t.fn(t.p)
	}
}

// done counts the goroutines of a read input and reports.
func (t *progressTracker) done(file string, part *Capture) {
	if t == nil || part == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range part.Snapshots {
		t.p.Goroutines += s.Count()
	}
	t.p.File = file
	t.fn(t.p)
}

// progressReader counts the bytes read through it into a tracker.
type progressReader struct {
	r    io.Reader
	file string
	t    *progressTracker
}

func (c *progressReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.t.read(c.file, n)
	return n, err
}
