package parser

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
)

// A parallel text parse cuts the input into chunks at clean boundaries (a
// blank line, then a goroutine header; see chunker) and parses them on
// every core, each from the state such a boundary leaves in a runtime
// dump: inside a snapshot, the goroutine before closed after its blank
// line, nothing else pending. The merger takes the chunks in input order
// and keeps the parse that the single-threaded reader would make:
//
//   - the state the chunks before left must be that one (atBoundary: no
//     learned prefix, wrapped line, crash dump, goleak list, stray line or
//     preamble pending), and what the chunk read must not depend on the
//     chunks before (fold: no goroutine ID already in the snapshot, no
//     budget or warning limit reached over both);
//   - otherwise the merger reads the chunk itself, continuing the real
//     state, and the worker's parse is dropped.
//
// The result is the same snapshots, goroutines, warnings and positions
// ReadText gives on one core (TestParallelTextSame checks it on every
// capture the tests hold). Memory holds the model and a bounded number of
// chunks; the input is read once, as a stream.

// readTextParallel is ReadText on workers goroutines, with chunks of about
// size bytes.
func readTextParallel(r io.Reader, name string, workers, size int, stats *parallelStats) ([]*Snapshot, error) {
	if name == "-" {
		// Standard input may be a stream that never ends: its budget
		// (maxStdinGap) stops reading at a line, which a chunker blocked
		// in a read ahead could not.
		p := newTextParser(name, newLineReader(r), newInterner())
		p.readAll()
		return p.finish()
	}
	free := make(chan []byte, 3*workers+2)
	c := newChunker(r, size, free)
	first := c.next()
	if first.rest == nil && c.done {
		// One chunk: no one to share the work with.
		m := &textMerger{name: name, in: newInterner(), stats: stats}
		m.take(first)
		return m.finish(first)
	}
	t := &parallelText{
		name:    name,
		stats:   stats,
		chunker: c,
		work:    make(chan *textChunk, workers),
		ordered: make(chan *textChunk, 2*workers),
		stop:    make(chan struct{}),
		free:    free,
	}
	t.speculate.Store(true)
	var wg sync.WaitGroup
	wg.Go(func() { t.cut(first) })
	for range workers {
		wg.Go(t.parse)
	}
	snaps, err := t.merge()
	close(t.stop)
	for range t.ordered {
		// Unblock the chunker if the merge stopped early.
	}
	wg.Wait()
	return snaps, err
}

// parallelText is the state shared by the goroutines of one parallel
// parse.
type parallelText struct {
	name    string
	chunker *chunker
	work    chan *textChunk // clean chunks, for the workers
	ordered chan *textChunk // every chunk, in order, for the merger
	stop    chan struct{}   // closed when the merger is done
	free    chan []byte     // chunk buffers for reuse
	stats   *parallelStats
	// speculate is cleared once the real state holds something no later
	// boundary clears (a learned prefix, a wrapped line): workers would
	// parse every chunk for nothing.
	speculate atomic.Bool
}

// cut sends the chunks to the workers and, in order, to the merger.
func (t *parallelText) cut(ch *textChunk) {
	defer close(t.ordered)
	defer close(t.work)
	for ; ch != nil; ch = t.chunker.next() {
		if ch.clean && ch.rest == nil && t.speculate.Load() {
			ch.res = make(chan *textParser, 1)
			select {
			case t.work <- ch:
			case <-t.stop:
				return
			}
		}
		select {
		case t.ordered <- ch:
		case <-t.stop:
			return
		}
	}
}

// parse is a worker: it parses clean chunks ahead of the merger, with
// strings interned in its own table.
func (t *parallelText) parse() {
	var (
		in    *interner
		slabs *slabSet
	)
	for ch := range t.work {
		select {
		case <-t.stop:
			ch.res <- nil
			continue
		default:
		}
		if in == nil {
			in, slabs = newInterner(), newSlabSet()
		}
		ch.res <- speculate(t.name, ch, in, slabs)
	}
}

// speculate parses a clean chunk from the state a clean boundary leaves
// (see atBoundary): inside a snapshot, which the chunk's first goroutines
// continue (a placeholder stands for it), no goroutine open, the blank
// line before the header just read. It interns strings in in and carves
// the model from slabs, the worker's own.
func speculate(name string, ch *textChunk, in *interner, slabs *slabSet) *textParser {
	p := newTextParser(name, newSliceLineReader(ch.data, ch.off, ch.line), in)
	p.b.useSlabs(slabs)
	defer p.b.returnSlabs(slabs)
	p.cur = &Snapshot{}
	p.snaps = []*Snapshot{p.cur}
	p.gap.add(nil, nil, ch.line, nil)
	p.lastRecord = ch.off - 1
	p.end = p.run()
	p.endChunk()
	return p
}

// merge takes the chunks in order and returns what ReadText returns.
func (t *parallelText) merge() ([]*Snapshot, error) {
	m := &textMerger{name: t.name, in: newInterner(), stats: t.stats}
	var last *textChunk
	for ch := range t.ordered {
		last = ch
		stopped := m.take(ch)
		if !stopped && m.p != nil && (m.p.wrapSeen || m.p.prefix.learned != nil) {
			t.speculate.Store(false)
		}
		if ch.buf != nil {
			select {
			case t.free <- ch.buf[:0]:
			default:
			}
		}
		if stopped {
			break
		}
	}
	return m.finish(last)
}

// textMerger folds the chunks of a parallel parse together in order.
type textMerger struct {
	name string
	// p is the parser in the state after the chunks taken so far, with
	// the output of them all.
	p *textParser
	// in is the merger's own intern table, for the chunks it reads
	// itself: a worker's is in use for its next chunk.
	in *interner
	// end is why the last read stopped.
	end   runEnd
	stats *parallelStats
}

// parallelStats counts what a parallel parse did with its chunks, for
// tests; nil when not wanted.
type parallelStats struct {
	folded   int // parsed by a worker and kept
	readSelf int // read by the merger (worker's parse dropped, or none)
}

// take reads the next chunk into m.p: the worker's parse when it is the
// one m.p would make, else by continuing m.p over the chunk. It reports
// whether reading must stop (a budget).
func (m *textMerger) take(ch *textChunk) bool {
	var spec *textParser
	if ch.res != nil {
		spec = <-ch.res
	}
	if m.p == nil {
		m.p = newTextParser(m.name, nil, m.in)
	} else if spec != nil && spec.end == endInput && m.p.atBoundary() {
		m.p.closeAtBoundary()
		if m.p.fold(spec) {
			spec.textOut, spec.interner = m.p.textOut, m.in
			m.p, m.end = spec, spec.end
			if m.stats != nil {
				m.stats.folded++
			}
			return false
		}
	}
	if m.stats != nil {
		m.stats.readSelf++
	}
	p := m.p
	// Until the chunk's reader returns a line, the last line read is the
	// previous chunk's: an empty last chunk must not make the input look
	// cut after a line that did end with its newline.
	eol := p.lr != nil && p.lr.eofNewline
	if ch.rest != nil {
		p.lr = newLineReader(io.MultiReader(bytes.NewReader(ch.data), ch.rest))
		p.lr.off, p.lr.no = ch.off, ch.line
	} else {
		p.lr = newSliceLineReader(ch.data, ch.off, ch.line)
	}
	p.lr.eofNewline = eol
	m.end = p.run()
	p.endChunk()
	return m.end == endBudget
}

// finish finishes the parse after the last chunk taken, last.
func (m *textMerger) finish(last *textChunk) ([]*Snapshot, error) {
	p := m.p
	if last != nil && last.err != nil && m.end == endInput {
		p.readError(last.err, p.lr.no+1, p.lr.off)
	}
	if m.end != endBudget && p.held.active {
		p.flushHeld()
	}
	return p.finish()
}

// endChunk moves the line reader's counts into the output before the
// reader of the next chunk replaces it.
func (p *textParser) endChunk() {
	p.escaped += p.lr.escaped
	p.lr.escaped = 0
}

// atBoundary reports whether p, at the end of a chunk that a clean
// boundary follows, is in the state speculate starts from, once the
// boundary's header closes the open goroutine (closeAtBoundary).
func (p *textParser) atBoundary() bool {
	b := &p.b
	return b.open() && b.blank && len(b.strays) == 0 && b.goleakTop == "" &&
		!p.held.active && p.join == nil && p.prefix.learned == nil &&
		!p.crash && !p.goleak && !p.wrapSeen && p.gap.pristine()
}

// closeAtBoundary does what the header after a clean boundary does first:
// close the open goroutine and note the blank line before the header.
func (p *textParser) closeAtBoundary() {
	p.closeGoroutine()
	p.gap.add(nil, nil, p.no, nil)
}

// fold appends the output of spec, a worker's parse of the chunk after
// p's, to p's output, when it is what p would have read: no goroutine of
// the snapshot it continues (including the one still open at the chunk's
// end, which the next boundary closes) has an ID the snapshot already
// holds (which would have started a new dump), and no budget or warning
// limit is reached over both. It reports whether it folded.
func (p *textParser) fold(spec *textParser) bool {
	o, c := p.textOut, spec.textOut
	ph := c.snaps[0] // the placeholder for o.cur
	dup := func(id int64) bool {
		_, ok := o.seen[id]
		return ok && id != 0
	}
	for _, g := range ph.Goroutines {
		if dup(g.ID) {
			return false
		}
	}
	if len(c.snaps) == 1 && spec.b.open() && dup(spec.b.a.g.ID) {
		return false // the goroutine open at the chunk's end
	}
	if o.records+c.records >= maxGoroutinesPerInput || o.frames+c.frames >= p.maxFrames ||
		len(o.snaps)+len(c.snaps)-1 > maxSnapshotsPerInput {
		return false
	}
	phSuppressed := 0
	if len(c.snaps) == 1 {
		phSuppressed = c.suppressed
	}
	if phSuppressed > 0 || len(ph.Warnings) > 0 && (o.suppressed > 0 || len(o.cur.Warnings)+len(ph.Warnings) > maxWarnings) {
		return false
	}
	base := len(o.cur.Goroutines)
	o.cur.Goroutines = append(o.cur.Goroutines, ph.Goroutines...)
	o.cur.Warnings = append(o.cur.Warnings, ph.Warnings...)
	o.cur.Truncated = o.cur.Truncated || ph.Truncated
	o.cur.Preamble.Goleak = o.cur.Preamble.Goleak || ph.Preamble.Goleak
	if len(c.snaps) == 1 {
		for i, g := range ph.Goroutines {
			o.seen[g.ID] = base + i
		}
	} else {
		p.flushSuppressed()
		for _, s := range c.snaps[1:] {
			s.Source.Index = len(o.snaps)
			o.snaps = append(o.snaps, s)
		}
		o.cur, o.curFrom, o.seen, o.suppressed = c.cur, c.curFrom, c.seen, c.suppressed
	}
	o.records += c.records
	o.frames += c.frames
	o.escaped += c.escaped
	return true
}

// pristine reports whether the gap is as reset leaves it.
func (g *gapState) pristine() bool {
	return len(g.items) == 0 && !g.text && !g.blankLast && !g.crashCont && !g.inRace &&
		!g.sysStack && !g.inTests && g.contPanic == -1 && g.contLines == 0 &&
		g.unknownSince == 0 && g.unknown == 0
}
