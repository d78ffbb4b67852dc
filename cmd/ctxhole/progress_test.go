package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

func TestRenderProgress(t *testing.T) {
	for _, tc := range []struct {
		p     parser.Progress
		width int
		want  string
	}{
		{parser.Progress{Phase: parser.PhaseReading, Bytes: 12_300_000, TotalBytes: 211_000_000, Goroutines: 12345}, 100,
			"ctxhole: reading 12.3 MB of 211.0 MB (5%) · 12,345 goroutines"},
		{parser.Progress{Phase: parser.PhaseReading, Bytes: 4_000}, 100, "ctxhole: reading 4.0 kB"},
		{parser.Progress{Phase: "locks", Bytes: 211_000_000, Goroutines: 100_000}, 100,
			"ctxhole: analyzing 100,000 goroutines (locks) · 211.0 MB read"},
		{parser.Progress{Phase: "locks", Bytes: 211_000_000, Goroutines: 100_000}, 30, "ctxhole: analyzing 100,000 g…"},
		{parser.Progress{Phase: "bad\x1b[2Jphase"}, 100, "ctxhole: analyzing (badphase)"},
	} {
		if got := renderProgress(tc.p, tc.width); got != tc.want {
			t.Errorf("renderProgress(%+v, %d) = %q, want %q", tc.p, tc.width, got, tc.want)
		}
	}
}

// TestProgressSilentWithoutTerminal: when stderr is not a terminal, there
// is no progress line and analyze writes nothing to stderr on success.
func TestProgressSilentWithoutTerminal(t *testing.T) {
	var buf bytes.Buffer
	if l := startProgress(&buf); l != nil {
		t.Fatal("a progress line on a buffer")
	}
	var l *progressLine
	if l.callback() != nil {
		t.Error("a silent line hands out a callback")
	}
	l.stop()
	code, out, errOut := runCmd(t, "", "analyze", "-o", "json", repoRoot(t)+"/fixtures/captures/mutex-convoy")
	if code != exitOK || out == "" {
		t.Fatalf("analyze: exit %d: %s", code, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr is not a terminal, yet analyze wrote %q", errOut)
	}
}

// lockedBuffer is a bytes.Buffer written by the progress goroutine and
// read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestProgressLineDrawsAndErases: a live line shows the latest report,
// keeps the bytes read once analysis starts, and is erased at the end.
func TestProgressLineDrawsAndErases(t *testing.T) {
	var w lockedBuffer
	l := newProgressLine(&w, 100, 0, time.Millisecond)
	l.update(parser.Progress{Phase: parser.PhaseReading, Bytes: 5_000_000, TotalBytes: 10_000_000, Goroutines: 7})
	waitFor(t, &w, "reading 5.0 MB of 10.0 MB (50%) · 7 goroutines")
	l.update(parser.Progress{Phase: "chains", Goroutines: 7})
	waitFor(t, &w, "\r\x1b[Kctxhole: analyzing 7 goroutines (chains) · 5.0 MB read")
	l.stop()
	if out := w.String(); !strings.HasSuffix(out, "\r\x1b[K") || strings.Contains(out, "\n") {
		t.Errorf("the line was not erased in place: %q", out)
	}
}

// TestProgressLineQuietWhenFast: work that ends before the delay draws
// nothing.
func TestProgressLineQuietWhenFast(t *testing.T) {
	var w lockedBuffer
	l := newProgressLine(&w, 100, time.Hour, time.Millisecond)
	l.update(parser.Progress{Phase: parser.PhaseReading, Bytes: 1})
	l.stop()
	if out := w.String(); out != "" {
		t.Errorf("a fast run drew %q", out)
	}
}

func waitFor(t *testing.T, w *lockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("the progress line never showed %q: %q", want, w.String())
		}
		time.Sleep(time.Millisecond)
	}
}
