package parser

import "fmt"

// Budgets: what one input may cost. Captures are untrusted; each limit is
// far above what the Go runtime writes for a real process, and reaching it
// gives a partial result with a warning (or, where nothing useful was read,
// an error), never unbounded memory or time.
const (
	// maxSnapshotsPerInput bounds the dumps read from one input: a log
	// with a SIGQUIT dump every minute for a day holds 1,440; a stream of
	// "goroutine 1" headers would otherwise be a snapshot per line.
	maxSnapshotsPerInput = 2000
	// maxGoroutinesPerInput bounds the goroutine records read from one
	// input, over all its dumps (proto samples count as records).
	maxGoroutinesPerInput = 1 << 20
	// maxFramesPerStack bounds one stack. The runtime prints at most 100
	// frames of a traceback and records at most 128 (Go 1.23+) in a
	// profile; the rest is counted as elided.
	maxFramesPerStack = 1024
	// maxFramesPerInput bounds the frames kept from one text input, over
	// all its goroutines: 32 per goroutine of maxGoroutinesPerInput, so
	// that a runtime dump of a million goroutines at the depths services
	// park at (10 to 30 frames) is read whole, and at most about 3 GB of
	// model.
	maxFramesPerInput = 32 << 20
	// maxSamplesPerProfile bounds the samples decoded from one pprof
	// profile: each distinct stack and label set of a goroutine profile is
	// one sample.
	maxSamplesPerProfile = 1 << 18
	// maxProtoBytes bounds a binary pprof profile, which is decoded whole
	// in memory; maxProtoField bounds one top-level field of it (a sample,
	// a location, one string), checked before the profile is buffered.
	maxProtoBytes = 256 << 20
	maxProtoField = 16 << 20
	// maxStdinGap bounds how much of standard input is read past the last
	// goroutine record (or from the start without one): a stream that
	// never carries a dump must not be read forever.
	maxStdinGap = 64 << 20
)

// overBudget reports whether ReadText must stop after the line at offset
// start, and says why on the snapshot (or, for standard input that never
// carried a dump, as the read error).
func (p *textParser) overBudget(start int64) bool {
	if p.b.open() {
		p.lastRecord = start
	}
	switch {
	case len(p.snaps) > maxSnapshotsPerInput:
		// The line just read started one dump too many: drop it.
		p.b.reset()
		p.snaps = p.snaps[:maxSnapshotsPerInput]
		p.cur = p.snaps[maxSnapshotsPerInput-1]
		p.warn(p.no, start, fmt.Sprintf("more than %d goroutine dumps in one input: the rest is not read", maxSnapshotsPerInput))
		return true
	case p.records >= maxGoroutinesPerInput:
		p.cur.Truncated = true
		p.warn(p.no, start, fmt.Sprintf("more than %d goroutines in one input: the rest is not read", maxGoroutinesPerInput))
		return true
	case p.frames >= p.maxFrames:
		p.cur.Truncated = true
		p.warn(p.no, start, fmt.Sprintf("more than %d stack frames in one input: the rest is not read", p.maxFrames))
		return true
	case p.name == "-" && start-p.lastRecord > maxStdinGap:
		if p.cur == nil {
			p.readErr = fmt.Errorf("no goroutine header in the first %d bytes of standard input: stopped reading", start)
			return true
		}
		p.warn(p.no, start, fmt.Sprintf("%d bytes of standard input without a goroutine record: stopped reading", start-p.lastRecord))
		return true
	}
	return false
}
