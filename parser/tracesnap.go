package parser

// A trace alone must be enough to diagnose: the goroutines alive at the end
// of a trace, described as a goroutine snapshot, are what the detectors
// work on when a capture holds traces but no dump.

// SnapshotFromTrace describes the goroutines alive at the end of tr as a
// goroutine snapshot. A goroutine created before tr began has no creation
// record in it; an earlier trace of the same process (goroutine IDs are
// never reused) may have one.
func SnapshotFromTrace(tr *Trace, all []*Trace) *Snapshot {
	snap := &Snapshot{
		Source: Source{File: tr.Source.File, Format: FormatExecTrace, Time: tr.Source.Time},
		groups: new(groupCache),
	}
	sites := blockSites(tr)
	for _, tg := range tr.Goroutines {
		if tg.Exited {
			continue
		}
		g := &Goroutine{ID: tg.ID, Count: 1, M: -1, CreatedBy: tg.CreatedBy}
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
			if st.BeforeStart {
				// Stated with the runtime's frames; goroutines that block
				// at the same place while tracing are recorded with fewer.
				// One place, one stack, one group.
				if site, ok := sites[StackKey(st.Frames)]; ok {
					g.Frames = site.frames
					if g.CreatedBy == nil && site.createdBy != nil && site.fn == tg.Func {
						// Those created while tracing name the go
						// statement; the parent goroutine stays unknown.
						cb := *site.createdBy
						cb.Parent = 0
						g.CreatedBy = &cb
					}
				}
			}
			g.Wait = st.Duration(tr.Duration)
			g.WaitKnown = true
			if st.Syscall {
				g.Status, g.State = StatusSyscall, "syscall"
			} else {
				reason := st.Reason
				if st.BeforeStart {
					reason = earlierReason(tg, all, reason)
				}
				g.Status, g.State, g.Reason = StatusWaiting, reason, reason
				if g.State == "" {
					g.State = "waiting"
				}
			}
		} else {
			g.Status = tg.EndStatus
			if g.Status == StatusSyscall {
				// In a system call too short to count as a block: the
				// goroutine is executing, not stuck.
				g.Status = StatusRunning
			}
			g.State = g.Status.String()
		}
		snap.Goroutines = append(snap.Goroutines, g)
	}
	return snap
}

// LatestTrace returns the trace captured last: by capture time when every
// trace has one, else the last given.
func LatestTrace(traces []*Trace) *Trace {
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

// earlierReason returns the wait reason an earlier trace of the process
// recorded for the block tg was already in when its own trace began. A
// trace states no reason for such a goroutine and its stack cannot tell a
// nil channel from a live one; the trace in which it blocked can. The
// earlier block counts only if it was still open at the end of that trace
// at the same place in the application's code.
func earlierReason(tg *TraceGoroutine, all []*Trace, reason string) string {
	for _, other := range all {
		og := other.Goroutine(tg.ID)
		if og == nil || og.Stuck == nil || og.Stuck.BeforeStart || og.Stuck.Reason == "" {
			continue
		}
		if k := StackKey(og.Stuck.Frames); k != "" && k == StackKey(tg.Stuck.Frames) {
			return og.Stuck.Reason
		}
	}
	return reason
}

// blockSite is a place goroutines blocked at while the trace ran.
type blockSite struct {
	frames    []Frame
	fn        string     // start function of a goroutine that blocked there
	createdBy *CreatedBy // its creation, when the trace saw it
}

// blockSites indexes the stacks goroutines blocked in while the trace ran,
// by their frames without the runtime's, preferring goroutines whose
// creation the trace saw.
func blockSites(tr *Trace) map[string]blockSite {
	sites := make(map[string]blockSite)
	add := func(tg *TraceGoroutine, b *BlockInterval) {
		if b.BeforeStart || len(b.Frames) == 0 {
			return
		}
		k := StackKey(b.Frames)
		if old, ok := sites[k]; ok && (old.createdBy != nil || tg.CreatedBy == nil) {
			return
		}
		sites[k] = blockSite{frames: b.Frames, fn: tg.Func, createdBy: tg.CreatedBy}
	}
	for _, tg := range tr.Goroutines {
		if tg.Stuck != nil {
			add(tg, tg.Stuck)
		}
		for i := range tg.Blocks {
			add(tg, &tg.Blocks[i])
		}
	}
	return sites
}
