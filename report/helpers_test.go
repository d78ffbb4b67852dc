package report

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// liveSnapshot captures a real goroutine dump of this test process while it
// holds a small incident: one goroutine holds a mutex while blocked on a
// channel receive, three goroutines queue on that mutex. It returns the
// parsed snapshot and a release function.
func liveSnapshot(t *testing.T) (*parser.Snapshot, func()) {
	t.Helper()
	var mu sync.Mutex
	var entered int
	block := make(chan struct{})
	held := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		holdLockAndWait(&mu, held, block)
	}()
	<-held
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			queueOnLock(&mu, &entered)
		}()
	}
	// Wait until the queued goroutines are parked on the lock.
	deadline := time.Now().Add(5 * time.Second)
	var dump []byte
	for {
		buf := make([]byte, 1<<20)
		dump = buf[:runtime.Stack(buf, true)]
		if bytes.Count(dump, []byte("report.queueOnLock")) >= 3 && bytes.Count(dump, []byte("sync.Mutex.Lock]")) >= 3 ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	release := func() {
		close(block)
		wg.Wait()
	}
	snaps, err := parser.ReadText(bytes.NewReader(dump), "live.txt")
	if err != nil {
		release()
		t.Fatalf("parsing the live dump: %v", err)
	}
	if len(snaps) != 1 {
		release()
		t.Fatalf("live dump: got %d snapshots, want 1", len(snaps))
	}
	return snaps[0], release
}

//go:noinline
func holdLockAndWait(mu *sync.Mutex, held chan<- struct{}, block <-chan struct{}) {
	mu.Lock()
	defer mu.Unlock()
	close(held)
	<-block
}

// queueOnLock takes the lock to count itself in *n (guarded by mu).
//
//go:noinline
func queueOnLock(mu *sync.Mutex, n *int) {
	mu.Lock()
	*n++
	mu.Unlock()
}

// groupWith returns the first group of s whose frames mention fn.
func groupWith(t *testing.T, groups []*parser.Group, fn string) *parser.Group {
	t.Helper()
	for _, g := range groups {
		for _, f := range g.Frames {
			if strings.Contains(f.Func, fn) {
				return g
			}
		}
	}
	t.Fatalf("no group with a frame in %s", fn)
	return nil
}

// findingFor builds the finding the detectors would report for the live
// incident: the holder blocked on a channel at the root, the three lock
// waiters below it. Strings carry terminal escapes to prove they are
// stripped. When timed, the links carry trace offsets and wake edges.
func findingFor(t *testing.T, s *parser.Snapshot, timed bool) *detectors.Finding {
	t.Helper()
	groups := parser.GroupGoroutines(s.Goroutines)
	holder := groupWith(t, groups, "holdLockAndWait")
	waiters := groupWith(t, groups, "queueOnLock")
	appIdx := -1
	for i, f := range holder.Frames {
		if strings.Contains(f.Func, "holdLockAndWait") {
			appIdx = i
		}
	}
	hf := holder.Frames[appIdx]
	wf := waiters.Frames[0]
	for _, f := range waiters.Frames {
		if strings.Contains(f.Func, "queueOnLock") {
			wf = f
		}
	}
	f := &detectors.Finding{
		Category:    detectors.CatMutexConvoy,
		Severity:    detectors.SevCritical,
		Confidence:  0.85,
		Reasons:     []string{"3 goroutines wait on one lock", "the holder is inside a locking method"},
		Title:       "3 goroutines queue on a lock held by a goroutine blocked on a channel\x1b]0;pwned\x07",
		Explanation: "The holder waits for a channel nobody sends on.\nThe waiters cannot see their context.",
		Goroutines:  holder.Count + waiters.Count,
		IDs:         append(append([]int64{}, holder.IDs...), waiters.IDs...),
		WaitMax:     3 * time.Minute,
		WaitMin:     2 * time.Minute,
		WaitKnown:   true,
		Root: detectors.Root{
			GoroutineID: holder.IDs[0],
			Group:       holder,
			Frames:      holder.Frames,
			AppFrame:    appIdx,
			State:       holder.State,
			Wait:        3 * time.Minute,
			WaitKnown:   true,
			Grade:       detectors.GradeProven,
			Basis:       "goroutine holds the lock's owner\x1b[2J",
		},
		Chain: []detectors.Link{
			{Depth: 0, Relation: detectors.RelRoot, Grade: detectors.GradeProven, Category: detectors.CatChanRecvBlocked, Goroutines: holder.Count,
				IDs: holder.IDs, Function: hf.Func, File: hf.File, Line: hf.Line, State: holder.State,
				WaitMax: 3 * time.Minute, WaitKnown: true, Group: holder},
			{Depth: 1, Relation: detectors.RelWaitsOn, Grade: detectors.GradeProven, Category: detectors.CatMutexConvoy, Goroutines: waiters.Count,
				IDs: waiters.IDs, Function: wf.Func, File: wf.File, Line: wf.Line, State: waiters.State,
				WaitMax: 2 * time.Minute, WaitKnown: true, Group: waiters, Object: 0xc000123450},
		},
		Evidence: []detectors.Evidence{
			{Kind: "frame", Text: "holder inside a locking method\x1b[2J", GoroutineID: holder.IDs[0], Frame: &hf},
			{Kind: "argument", Text: "waiters share the lock word 0xc000123450"},
		},
		Fix: detectors.Fix{
			Summary: "Do not block on a channel while holding a lock",
			Detail:  "Release the lock before waiting, or wait with a select on ctx.Done().",
			Code:    "select {\ncase <-ch:\ncase <-ctx.Done():\n\treturn ctx.Err()\n}",
		},
		Contention: []detectors.ContentionCite{{Kind: "mutex", Function: hf.Func, File: hf.File, Line: hf.Line, Count: 12, Delay: 1500 * time.Millisecond}},
		Score:      42,
	}
	if timed {
		f.TraceEnd = 5 * time.Second
		f.Root.Timed, f.Root.Since = true, 840*time.Millisecond
		f.Chain[0].Timed, f.Chain[0].Start, f.Chain[0].End = true, 840*time.Millisecond, -1
		f.Chain[1].Timed, f.Chain[1].Start, f.Chain[1].End = true, 850*time.Millisecond, 2850*time.Millisecond
		f.Chain[1].Wakes = []*parser.WakeEdge{{
			WaiterFrames: waiters.Frames, Reason: "sync.Mutex.Lock", Kind: parser.WakeDeadline,
			Count: 3, First: 2850 * time.Millisecond, Last: 2850 * time.Millisecond,
			MaxWait: 2 * time.Second, TotalWait: 6 * time.Second, Waiters: waiters.IDs,
		}}
	}
	return f
}

// aggregatedSnapshot is a debug=1-style snapshot: records standing for
// several goroutines each, with no IDs, frames copied from s.
func aggregatedSnapshot(s *parser.Snapshot) *parser.Snapshot {
	agg := &parser.Snapshot{Source: parser.Source{File: "debug1.txt", Format: parser.FormatGoroutineDebug1}}
	for i, g := range s.Goroutines {
		c := *g
		c.ID, c.Count, c.WaitKnown, c.Wait = 0, i+2, false, 0
		agg.Goroutines = append(agg.Goroutines, &c)
		agg.DeclaredTotal += c.Count
	}
	return agg
}
