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
	tr := latestTrace(a.capture.Traces)
	snap := snapshotFromTrace(tr, a.capture.Traces)
	if len(snap.Goroutines) == 0 {
		return nil
	}
	c := *a.capture
	c.Snapshots = []*parser.Snapshot{snap}
	*a = *newAnalysis(&c, a.opts)
	return nil
}

// snapshotFromTrace describes the goroutines alive at the end of tr as a
// goroutine snapshot. A goroutine created before tr began has no creation
// record in it; an earlier trace of the same process (goroutine IDs are
// never reused) may have one.
func snapshotFromTrace(tr *parser.Trace, all []*parser.Trace) *parser.Snapshot {
	snap := &parser.Snapshot{
		Source: parser.Source{File: tr.Source.File, Format: parser.FormatExecTrace, Time: tr.Source.Time},
	}
	for _, tg := range tr.Goroutines {
		if tg.Exited {
			continue
		}
		g := &parser.Goroutine{ID: tg.ID, Count: 1, M: -1, CreatedBy: tg.CreatedBy}
		for _, other := range all {
			if g.CreatedBy != nil {
				break
			}
			if og := other.Goroutine(tg.ID); other != tr && og != nil {
				g.CreatedBy = og.CreatedBy
			}
		}
		if st := tg.Stuck; st != nil {
			g.Frames = st.Frames
			g.Wait = st.Duration(tr.Duration)
			g.WaitKnown = true
			if st.Syscall {
				g.Status, g.State = parser.StatusSyscall, "syscall"
			} else {
				g.Status, g.State, g.Reason = parser.StatusWaiting, st.Reason, st.Reason
				if g.State == "" {
					g.State = "waiting"
				}
			}
		} else {
			g.Status = tg.EndStatus
			g.State = tg.EndStatus.String()
		}
		snap.Goroutines = append(snap.Goroutines, g)
	}
	return snap
}

// latestTrace returns the trace captured last: by capture time when every
// trace has one, else the last given.
func latestTrace(traces []*parser.Trace) *parser.Trace {
	latest := traces[len(traces)-1]
	for _, tr := range traces {
		if tr.Source.Time.IsZero() {
			return traces[len(traces)-1]
		}
		if tr.Source.Time.After(latest.Source.Time) {
			latest = tr
		}
	}
	return latest
}
