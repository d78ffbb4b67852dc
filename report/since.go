package report

import (
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// blockedSince turns the root's wait into wall-clock time: the capture
// time of the snapshot the root was seen in (from a bundle manifest, a
// pprof profile's timestamp or a log's timestamp prefix) minus the wait the
// runtime printed. The runtime prints whole minutes rounded down, so the
// goroutine blocked at or before the returned time. It returns nil when
// either the capture time or the wait is unknown.
func blockedSince(c *parser.Capture, root detectors.Root) *time.Time {
	if c == nil || !root.WaitKnown || root.Group == nil || len(root.Group.Members) == 0 {
		return nil
	}
	first := root.Group.Members[0]
	for _, s := range c.Snapshots {
		if s.Source.Time.IsZero() {
			continue
		}
		for _, g := range s.Goroutines {
			if g == first {
				t := s.Source.Time.Add(-root.Wait).UTC()
				return &t
			}
		}
	}
	return nil
}

// sinceString renders a blocked-since time for people, "≤" because the
// runtime rounds waits down.
func sinceString(t time.Time) string {
	return "≤ " + t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// rootTime renders when a finding's root blocked, for people: the exact
// time a trace saw ("blocked at 2006-01-02 15:04:05.000 UTC (trace)"),
// else the bound from its wait ("blocked since ≤ ..."), else "".
func rootTime(r Root) string {
	switch {
	case r.BlockedAt != nil:
		return "blocked at " + atString(*r.BlockedAt) + " (trace)"
	case r.BlockedSince != nil:
		return "blocked since " + sinceString(*r.BlockedSince)
	}
	return ""
}

// atString renders an exact time a trace gave, to the millisecond.
func atString(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}
