package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// How the progress line behaves: it appears once work has run
// progressDelay (fast runs never show it) and is redrawn every
// progressEvery.
const (
	progressDelay = 300 * time.Millisecond
	progressEvery = 100 * time.Millisecond
)

// progressLine shows how far a long read and analysis has come on a
// terminal: one line on stderr (phase, bytes read, goroutines), rewritten
// in place and erased when the work ends. When stderr is not a terminal (a
// pipe, a file, CI logs) there is no progress line at all: startProgress
// returns nil, whose methods do nothing.
type progressLine struct {
	w     io.Writer
	width int
	quit  chan struct{}
	done  chan struct{}

	mu    sync.Mutex
	p     parser.Progress // the latest report
	shown bool            // a line is on screen
}

// startProgress returns the progress line for stderr, nil unless stderr is
// a terminal.
func startProgress(stderr io.Writer) *progressLine {
	tty, width := terminalWidth(stderr)
	if !tty {
		return nil
	}
	return newProgressLine(stderr, width, progressDelay, progressEvery)
}

// newProgressLine starts a progress line on w, width columns wide, drawn
// after delay and then every every.
func newProgressLine(w io.Writer, width int, delay, every time.Duration) *progressLine {
	l := &progressLine{w: w, width: width, quit: make(chan struct{}), done: make(chan struct{})}
	go l.run(delay, every)
	return l
}

func (l *progressLine) run(delay, every time.Duration) {
	defer close(l.done)
	wait := time.NewTimer(delay)
	defer wait.Stop()
	select {
	case <-l.quit:
		return
	case <-wait.C:
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		l.draw()
		select {
		case <-l.quit:
			return
		case <-tick.C:
		}
	}
}

// draw rewrites the line with the latest report.
func (l *progressLine) draw() {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprint(l.w, "\r\x1b[K"+renderProgress(l.p, l.width))
	l.shown = true
}

// update records a report from parser.Load or detectors.Analyze; it may
// be called from any goroutine. The analysis' reports keep the bytes read
// and the goroutine count of the reading when they carry none.
func (l *progressLine) update(p parser.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.Phase != parser.PhaseReading {
		p.Bytes, p.TotalBytes, p.File = l.p.Bytes, l.p.TotalBytes, ""
		if p.Goroutines == 0 {
			p.Goroutines = l.p.Goroutines
		}
	}
	l.p = p
}

// callback is the function to hand parser.Options.Progress and
// detectors.Options.Progress: nil when there is no line, so that nothing
// is tracked for nobody.
func (l *progressLine) callback() func(parser.Progress) {
	if l == nil {
		return nil
	}
	return l.update
}

// stop ends the line, erasing it if it was drawn.
func (l *progressLine) stop() {
	if l == nil {
		return
	}
	close(l.quit)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shown {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.shown = false
	}
}

// renderProgress is the progress line's text for a report, cut to fit in
// width columns without wrapping:
//
//	ctxhole: reading 12.3 MB of 211.0 MB (5%) · 12,345 goroutines
//	ctxhole: analyzing 100,000 goroutines (locks) · 211.0 MB read
func renderProgress(p parser.Progress, width int) string {
	var b strings.Builder
	b.WriteString("ctxhole: ")
	switch p.Phase {
	case parser.PhaseReading, "":
		b.WriteString("reading " + human.Bytes(p.Bytes))
		if p.TotalBytes > 0 {
			fmt.Fprintf(&b, " of %s (%d%%)", human.Bytes(p.TotalBytes), min(100, p.Bytes*100/p.TotalBytes))
		}
		if p.Goroutines > 0 {
			b.WriteString(" · " + human.Plural(p.Goroutines, "goroutine"))
		}
	default:
		b.WriteString("analyzing")
		if p.Goroutines > 0 {
			b.WriteString(" " + human.Plural(p.Goroutines, "goroutine"))
		}
		fmt.Fprintf(&b, " (%s)", parser.CleanText(p.Phase))
		if p.Bytes > 0 {
			b.WriteString(" · " + human.Bytes(p.Bytes) + " read")
		}
	}
	return ansi.Truncate(b.String(), max(1, width-1), "…")
}
