package parser

import (
	"fmt"

	"golang.org/x/exp/trace"
)

// With a spare core, the trace is decoded on one goroutine and folded on
// another, so that the analysis costs little more wall time than the
// decoding alone. Events pass in batches through a fixed pool: memory stays
// bounded whatever the trace's length. With one core the same batches are
// decoded and folded in turn on the caller's goroutine: the two paths see
// the same batches, so they give the same result, warnings and offsets.
// A batch is large enough that handing it over (the folding goroutine
// parks when it catches up and is woken for the next batch) costs little:
// at 2,048 events the hand-overs made the pipelined analysis 1.23x the bare
// read loop's wall time and 1.88x its CPU, at 16,384 1.07-1.14x and
// 1.65-1.76x (BenchmarkTraceAnalysis/paired); a batch holds about 1.3 MB
// of events.
const (
	eventBatchSize = 16384
	pipelineDepth  = 4
)

// eventBatch is a run of decoded events. The last batch of a trace carries
// the error that ended the decoding (io.EOF at a clean end).
type eventBatch struct {
	events []trace.Event
	err    error
	// offset is how many bytes of the input had been read when the batch
	// was complete: where a break lies, to the reader's buffer size.
	offset int64
}

func newEventBatch() *eventBatch {
	return &eventBatch{events: make([]trace.Event, 0, eventBatchSize)}
}

// foldTrace decodes every event of rd and folds it into b, on a second
// goroutine when pipelined. It returns the byte offset reached and the
// error that ended the trace (io.EOF at a clean end).
func foldTrace(rd *trace.Reader, cr *countingReader, b *traceBuilder, pipelined bool) (int64, error) {
	if pipelined {
		return foldPipelined(rd, cr, b)
	}
	return foldSequential(rd, cr, b)
}

// foldSequential decodes a batch, folds it, and so on.
func foldSequential(rd *trace.Reader, cr *countingReader, b *traceBuilder) (int64, error) {
	batch := newEventBatch()
	for {
		decodeInto(rd, batch)
		batch.offset = cr.n
		if err := foldBatch(b, batch.events); err != nil {
			return batch.offset, err
		}
		if batch.err != nil {
			return batch.offset, batch.err
		}
		batch.events = batch.events[:0]
	}
}

// foldPipelined folds batches while decodeBatches decodes the next ones.
//
// The builder may only use the event accessors that read the generation's
// tables (Kind, Time, Goroutine, Proc, Stack, StateTransition): the decoder
// goroutine is writing later events meanwhile, and those tables are
// immutable once a generation is read.
func foldPipelined(rd *trace.Reader, cr *countingReader, b *traceBuilder) (int64, error) {
	full := make(chan *eventBatch, pipelineDepth)
	free := make(chan *eventBatch, pipelineDepth+1)
	for range pipelineDepth + 1 {
		free <- newEventBatch()
	}
	stop := make(chan struct{})
	go decodeBatches(rd, cr, full, free, stop)
	defer func() {
		close(stop)
		for range full {
		}
	}()
	for batch := range full {
		if err := foldBatch(b, batch.events); err != nil {
			return batch.offset, err
		}
		if batch.err != nil {
			return batch.offset, batch.err
		}
		// The events are overwritten by the next fill; until then they
		// keep at most one generation's tables alive.
		batch.events = batch.events[:0]
		free <- batch
	}
	// The decoder closed full without an error batch: only when stopped.
	return cr.n, fmt.Errorf("trace decoding stopped")
}

// decodeBatches fills batches from free with decoded events and sends them
// on full, until the trace ends or stop is closed. It closes full.
func decodeBatches(rd *trace.Reader, cr *countingReader, full chan<- *eventBatch, free <-chan *eventBatch, stop <-chan struct{}) {
	defer close(full)
	for {
		var batch *eventBatch
		select {
		case batch = <-free:
		case <-stop:
			return
		}
		decodeInto(rd, batch)
		batch.offset = cr.n
		select {
		case full <- batch:
		case <-stop:
			return
		}
		if batch.err != nil {
			return
		}
	}
}

// decodeInto appends events to batch until it is full or the trace ends.
// A panic of the trace package on malformed input ends the trace with an
// error; the events decoded before it are kept.
func decodeInto(rd *trace.Reader, batch *eventBatch) {
	defer func() {
		if p := recover(); p != nil {
			batch.err = fmt.Errorf("malformed trace: %v", p)
		}
	}()
	for len(batch.events) < cap(batch.events) {
		ev, err := rd.ReadEvent()
		if err != nil {
			batch.err = err
			return
		}
		batch.events = append(batch.events, ev)
	}
}

// foldBatch folds events into b. Decoding an event the trace package let
// through can still panic on corrupt input; that ends the trace with an
// error instead of crashing.
func foldBatch(b *traceBuilder, events []trace.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed trace event: %v", p)
		}
	}()
	for i := range events {
		b.event(&events[i])
	}
	return nil
}
