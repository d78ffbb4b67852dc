package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressDelay is how long work runs before a progress line appears: fast
// runs stay silent.
const progressDelay = time.Second

// progress prints a line on stderr when a long step takes more than
// progressDelay, and how long it took when it ends.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	what    string
	start   time.Time
	timer   *time.Timer
	printed bool
	done    bool
}

// startProgress starts timing a step that announces itself on w after
// progressDelay.
func startProgress(w io.Writer, what string) *progress {
	return startProgressAfter(w, what, progressDelay)
}

// startProgressAfter is startProgress with a chosen delay.
func startProgressAfter(w io.Writer, what string, delay time.Duration) *progress {
	p := &progress{w: w, what: what, start: time.Now()}
	p.timer = time.AfterFunc(delay, p.announce)
	return p
}

// announced reports whether the step's start has been announced.
func (p *progress) announced() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.printed
}

func (p *progress) announce() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.printed = true
	fmt.Fprintf(p.w, "ctxhole: %s...\n", p.what)
}

// stop ends the step; if its start was announced, it reports the time taken.
func (p *progress) stop() {
	p.timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	if p.printed {
		fmt.Fprintf(p.w, "ctxhole: %s took %s\n", p.what, time.Since(p.start).Round(time.Millisecond))
	}
}
