package report

import (
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// TestBlockedSinceFromBundle checks that a bundle's capture times turn the
// root's "[IO wait, 2 minutes]" into a wall-clock time, and that a dump
// with no capture time gives none.
func TestBlockedSinceFromBundle(t *testing.T) {
	const dir = "../fixtures/captures/db-driver-no-ctx"
	c, err := parser.Load([]string{dir}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := detectors.Analyze(c, detectors.Options{})
	if err != nil || len(r.Findings) == 0 {
		t.Fatalf("analyze: %v, %d findings", err, len(r.Findings))
	}
	root := r.Findings[0].Root
	got := blockedSince(c, root)
	if got == nil {
		t.Fatal("no blocked-since time for a bundle with a manifest")
	}
	var snap *parser.Snapshot
	for _, s := range c.Snapshots {
		for _, g := range s.Goroutines {
			if g == root.Group.Members[0] {
				snap = s
			}
		}
	}
	if want := snap.Source.Time.Add(-root.Wait); !got.Equal(want) || root.Wait < 2*time.Minute {
		t.Errorf("blocked since %v, want capture %v minus wait %v", got, snap.Source.Time, root.Wait)
	}
	doc := Build(c, r, Tool{Name: "ctxhole"})
	if b := doc.Findings[0].Root.BlockedSince; b == nil || !b.Equal(*got) {
		t.Errorf("document root.blocked_since = %v, want %v", b, got)
	}

	// The same dump alone carries no capture time.
	alone, err := parser.Load([]string{dir + "/goroutine-debug2.txt"}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := detectors.Analyze(alone, detectors.Options{})
	if err != nil || len(r2.Findings) == 0 {
		t.Fatalf("analyze alone: %v", err)
	}
	if b := blockedSince(alone, r2.Findings[0].Root); b != nil {
		t.Errorf("blocked since %v from a dump with no capture time", b)
	}
}
