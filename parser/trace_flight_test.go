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
