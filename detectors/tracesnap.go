package detectors

import (
	"github.com/ctxhole/ctxhole/parser"
)

// A trace alone must be enough to diagnose. When a capture holds execution
// traces but no goroutine dump, the goroutines alive at the end of the
// latest trace become the snapshot every other pass works on: the stuck
// ones with the stack and reason of their open block and their exact wait,
// the others with their state only, so that "created by" links still find
// their parents. One model, one taxonomy: the same signatures, chains and
// ranking apply.

// traceSnapshot installs the synthetic snapshot when there is no dump.
func (a *analysis) traceSnapshot() error {
	if a.snap != nil || len(a.capture.Traces) == 0 {
		return nil
	}
	tr := parser.LatestTrace(a.capture.Traces)
	snap := parser.SnapshotFromTrace(tr, a.capture.Traces)
	if len(snap.Goroutines) == 0 {
		return nil
	}
	c := *a.capture
	c.Snapshots = []*parser.Snapshot{snap}
	*a = *newAnalysis(&c, a.opts)
	return nil
}
