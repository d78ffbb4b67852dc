package parser

import (
	"bytes"
	"runtime/trace"
	"testing"
	"time"
)

// A flight-recorder snapshot (runtime/trace.FlightRecorder, Go 1.25+) is a
// trace that starts at a generation boundary in the middle of the process's
// life: goroutines blocked before it are stuck since before its start, with
// their stacks.
func TestReadTraceFlightRecorder(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the recorder to drop its first generations")
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 100 * time.Millisecond, MaxBytes: 1 << 20})
	if err := fr.Start(); err != nil {
		t.Skipf("no flight recorder: %v", err)
	}
	stranded := make(chan struct{})
	go strandedReceiver(stranded)
	defer close(stranded)
	waitParked(t, "strandedReceiver")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { pingPong(stop, time.Millisecond); close(done) }()
	// Generations last about a second; the recorder keeps only those
	// younger than MinAge plus the current one, so after 2.5 s the one in
	// which the receiver blocked is gone.
	time.Sleep(2500 * time.Millisecond)
	var buf bytes.Buffer
	_, err := fr.WriteTo(&buf)
	close(stop)
	<-done
	fr.Stop()
	if err != nil {
		t.Fatalf("flight recorder snapshot: %v", err)
	}
	tr, err := ReadTrace(&buf, Source{File: "flight.trace"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Truncated || tr.Duration <= 0 {
		t.Fatalf("snapshot: truncated=%v duration=%v warnings=%v", tr.Truncated, tr.Duration, tr.Warnings)
	}
	g := oneIn(t, tr, "strandedReceiver")
	if g.Stuck == nil || g.Stuck.Reason != "chan receive" || !g.Stuck.BeforeStart {
		t.Errorf("stranded receiver: %+v, want stuck in a receive since before the snapshot", g.Stuck)
	}
}

// TestReadTraceWallStart: a Go 1.25+ trace carries clock snapshots, so the
// trace's first event has a wall-clock time, between the moments the test
// started and stopped tracing.
func TestReadTraceWallStart(t *testing.T) {
	var buf bytes.Buffer
	before := time.Now()
	if err := trace.Start(&buf); err != nil {
		t.Skipf("tracer busy: %v", err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { pingPong(stop, time.Millisecond); close(done) }()
	time.Sleep(50 * time.Millisecond)
	close(stop)
	<-done
	trace.Stop()
	after := time.Now()
	tr, err := ReadTrace(&buf, Source{File: "live.trace"})
	if err != nil {
		t.Fatal(err)
	}
	// The wall clock may step a little between readings; a second of
	// slack still catches a start off by the trace clock's epoch.
	if tr.WallStart.IsZero() || tr.WallStart.Before(before.Add(-time.Second)) || tr.WallStart.After(after) {
		t.Errorf("WallStart = %v, want between %v and %v", tr.WallStart, before, after)
	}
	if end := tr.WallStart.Add(tr.Duration); end.After(after.Add(time.Second)) {
		t.Errorf("WallStart + Duration = %v, after tracing stopped at %v", end, after)
	}
}
