package detectors

import (
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/internal/testrepo"
	"github.com/ctxhole/ctxhole/parser"
)

func analyzeGoroutines(t *testing.T, p parser.Preamble, gs ...[]*parser.Goroutine) *Diagnosis {
	t.Helper()
	var all []*parser.Goroutine
	for _, g := range gs {
		all = append(all, g...)
	}
	r, err := Analyze(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: all, Preamble: p}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestProvenBeatsInferred is the incident a guess once outranked: a
// goroutine sleeps inside a locking function past its Lock call with 25
// goroutines queued behind it, while in another part of the service 15
// goroutines queue on a lock whose holder can only be guessed (HTTP calls
// in a sibling closure). The structural chain ranks first; the guess says
// it is one, in its title and its grade.
func TestProvenBeatsInferred(t *testing.T) {
	storeWaiter := []parser.Frame{
		{Func: "sync.(*Mutex).Lock", File: "sync/mutex.go", Line: 46},
		{Func: "main.(*store).update", File: "main.go", Line: 40},
	}
	storeHolder := []parser.Frame{
		{Func: "time.Sleep", File: "runtime/time.go", Line: 300},
		{Func: "main.(*store).update", File: "main.go", Line: 44},
	}
	refreshWaiter := []parser.Frame{
		{Func: "sync.(*Mutex).Lock", File: "sync/mutex.go", Line: 46},
		{Func: "main.refresh.func2", File: "main.go", Line: 80},
	}
	refreshGuess := append([]parser.Frame{
		{Func: "net/http.(*persistConn).roundTrip", File: "net/http/transport.go", Line: 2911},
		{Func: "net/http.(*Client).Do", File: "net/http/client.go", Line: 592},
	}, parser.Frame{Func: "main.refresh.func1", File: "main.go", Line: 70})
	r := analyzeGoroutines(t, parser.Preamble{},
		goroutinesOf(1000, 8, "select", 10*time.Minute, refreshGuess),
		goroutinesOf(2000, 15, "sync.Mutex.Lock", 9*time.Minute, refreshWaiter),
		goroutinesOf(1, 1, "sleep", 10*time.Minute, storeHolder),
		goroutinesOf(10, 25, "sync.Mutex.Lock", 9*time.Minute, storeWaiter),
	)
	if len(r.Findings) < 2 {
		t.Fatalf("want two findings\n%s", describe(r, 5))
	}
	first := r.Findings[0]
	if first.Root.GoroutineID != 1 || first.Root.Grade != GradeStructural {
		t.Errorf("first finding is not the sleeping holder with a structural root\n%s", describe(r, 5))
	}
	var guess *Finding
	for _, f := range r.Findings {
		if rootHasFunction(f, "main.refresh.func1") {
			guess = f
		}
	}
	if guess == nil {
		t.Fatalf("no finding rooted at the guessed holder\n%s", describe(r, 5))
	}
	if guess.Root.Grade != GradeInferred || !strings.Contains(guess.Title, "holder not proven") {
		t.Errorf("guessed holder graded %s, title %q: want inferred and said so", guess.Root.Grade, guess.Title)
	}
	if guess.Confidence >= first.Confidence {
		t.Errorf("guess confidence %.2f ≥ structural %.2f", guess.Confidence, first.Confidence)
	}
}

// TestScoreWeighsGrade pins the ranking rule on its own: at equal size and
// wait, a proven root outranks an inferred one a severity above it.
func TestScoreWeighsGrade(t *testing.T) {
	mk := func(sev Severity, g Grade) *Finding {
		return &Finding{Severity: sev, Goroutines: 20, WaitKnown: true, WaitMax: 5 * time.Minute,
			Confidence: gradeConfidence[g], Root: Root{Grade: g},
			Chain: []Link{{Relation: RelRoot}, {Depth: 1, Relation: RelWaitsOn, Goroutines: 19}}}
	}
	for _, tt := range []struct {
		proven, guess Severity
	}{{SevMedium, SevHigh}, {SevHigh, SevCritical}, {SevLow, SevMedium}} {
		if p, g := score(mk(tt.proven, GradeProven)), score(mk(tt.guess, GradeInferred)); g >= p {
			t.Errorf("inferred %s scores %.2f ≥ proven %s %.2f", tt.guess, g, tt.proven, p)
		}
	}
	if s, i := score(mk(SevHigh, GradeStructural)), score(mk(SevHigh, GradeInferred)); i >= s {
		t.Errorf("inferred scores %.2f ≥ structural %.2f", i, s)
	}
}

// TestOneLockOneFinding: readers and writers of one RWMutex, from
// different stacks, with a holder proven by address for only one of them,
// form one finding with that holder.
func TestOneLockOneFinding(t *testing.T) {
	const lock = 0xc000120000
	readers, readersArgs := []parser.Frame{
		{Func: "sync.(*RWMutex).RLock", File: "sync/rwmutex.go", Line: 71},
		{Func: "main.(*cache).get", File: "main.go", Line: 20},
		{Func: "main.handler", File: "main.go", Line: 90},
	}, wordAt(0, lock)
	writers, writersArgs := []parser.Frame{
		{Func: "sync.(*RWMutex).Lock", File: "sync/rwmutex.go", Line: 153},
		{Func: "main.(*cache).put", File: "main.go", Line: 30},
		{Func: "main.loader", File: "main.go", Line: 120},
	}, wordAt(0, lock)
	holder, holderArgs := []parser.Frame{
		{Func: "net/http.(*persistConn).roundTrip", File: "net/http/transport.go", Line: 2911},
		{Func: "main.(*cache).refresh", File: "main.go", Line: 50},
	}, wordAt(1, lock)
	r := analyzeGoroutines(t, parser.Preamble{},
		goroutinesOf(100, 40, "sync.RWMutex.RLock", 4*time.Minute, readers, readersArgs...),
		goroutinesOf(200, 3, "sync.RWMutex.Lock", 4*time.Minute, writers, writersArgs...),
		goroutinesOf(1, 1, "select", 5*time.Minute, holder, holderArgs...),
	)
	var lockFindings []*Finding
	for _, f := range r.Findings {
		for _, l := range f.Chain {
			if l.Object == lock {
				lockFindings = append(lockFindings, f)
				break
			}
		}
	}
	if len(lockFindings) != 1 {
		t.Fatalf("lock 0x%x appears in %d findings, want 1\n%s", uint64(lock), len(lockFindings), describe(r, 5))
	}
	f := lockFindings[0]
	if f.Goroutines != 44 || f.Root.GoroutineID != 1 || f.Root.Grade != GradeProven {
		t.Errorf("finding covers %d goroutines rooted at %d (%s), want 44 rooted at 1 (proven)\n%s",
			f.Goroutines, f.Root.GoroutineID, f.Root.Grade, describe(r, 5))
	}
}

// TestHolderUnknownSaysWhatWasLookedFor: a queue with no holder in sight
// is one inferred finding that says what the analysis looked for.
func TestHolderUnknownSaysWhatWasLookedFor(t *testing.T) {
	waiter, waiterArgs := []parser.Frame{
		{Func: "sync.(*Mutex).Lock", File: "sync/mutex.go", Line: 46},
		{Func: "main.(*pool).take", File: "main.go", Line: 20},
	}, wordAt(0, 0xc000200000)
	r := analyzeGoroutines(t, parser.Preamble{}, goroutinesOf(10, 12, "sync.Mutex.Lock", 3*time.Minute, waiter, waiterArgs...))
	if len(r.Findings) != 1 {
		t.Fatalf("want 1 finding\n%s", describe(r, 5))
	}
	f := r.Findings[0]
	if f.Root.Grade != GradeInferred || !strings.HasSuffix(f.Title, "holder unknown") {
		t.Errorf("grade %s, title %q: want inferred, holder unknown", f.Root.Grade, f.Title)
	}
	for _, want := range []string{"0xc000200000", "past the Lock call", "trace wake edges"} {
		if !strings.Contains(f.Root.Basis, want) {
			t.Errorf("basis %q does not say it looked for %q", f.Root.Basis, want)
		}
	}
}

// TestRecursiveLocks: a goroutine asking for a Mutex it took further up its
// own stack waits for itself; a reader re-entering its read lock behind a
// queued writer deadlocks with that writer.
func TestRecursiveLocks(t *testing.T) {
	t.Run("mutex", func(t *testing.T) {
		frames := []parser.Frame{
			{Func: "sync.(*Mutex).Lock", File: "sync/mutex.go", Line: 46},
			{Func: "main.(*logger).setOutput", File: "main.go", Line: 18},
			{Func: "main.(*logger).setOutput", File: "main.go", Line: 21},
			{Func: "main.main", File: "main.go", Line: 40},
		}
		r := analyzeGoroutines(t, parser.Preamble{}, goroutinesOf(1, 1, "sync.Mutex.Lock", 0, frames))
		if len(r.Findings) == 0 || r.Findings[0].Category != CatLockCycle || !strings.HasPrefix(r.Findings[0].Title, "Recursive lock") ||
			r.Findings[0].Root.Grade != GradeStructural {
			t.Fatalf("want a structural recursive-lock finding first\n%s", describe(r, 3))
		}
		if r.Findings[0].Fix.Summary != fixRecursiveLock.Summary {
			t.Errorf("fix %q, want the recursive-lock fix", r.Findings[0].Fix.Summary)
		}
	})
	t.Run("rlock behind a writer", func(t *testing.T) {
		const lock, obj = 0xc000300010, 0xc000300000
		reader := []parser.Frame{
			{Func: "sync.(*RWMutex).RLock", File: "sync/rwmutex.go", Line: 71},
			{Func: "main.(*store).size", File: "main.go", Line: 30},
			{Func: "main.(*store).snapshot", File: "main.go", Line: 45},
		}
		writer := []parser.Frame{
			{Func: "sync.(*RWMutex).Lock", File: "sync/rwmutex.go", Line: 153},
			{Func: "main.(*store).put", File: "main.go", Line: 60},
		}
		others := []parser.Frame{
			{Func: "sync.(*RWMutex).RLock", File: "sync/rwmutex.go", Line: 71},
			{Func: "main.(*store).get", File: "main.go", Line: 20},
		}
		r := analyzeGoroutines(t, parser.Preamble{},
			goroutinesOf(1, 1, "sync.RWMutex.RLock", 5*time.Minute, reader, word(lock), word(obj), word(obj)),
			goroutinesOf(2, 1, "sync.RWMutex.Lock", 5*time.Minute, writer, word(lock), word(obj)),
			goroutinesOf(10, 30, "sync.RWMutex.RLock", 4*time.Minute, others, word(lock), word(obj)),
		)
		f := r.Findings[0]
		if f.Category != CatLockCycle || !strings.HasPrefix(f.Title, "Recursive read lock deadlock") || f.Goroutines != 32 {
			t.Fatalf("want one recursive read-lock deadlock of 32 goroutines first\n%s", describe(r, 4))
		}
		if len(r.Findings) != 1 {
			t.Errorf("the lock's waiters are split across %d findings\n%s", len(r.Findings), describe(r, 4))
		}
	})
}

// TestRuntimeProvedDeadlock: "all goroutines are asleep" gives one
// critical finding that says the runtime proved it, naming the last
// waiter when there is no cycle.
func TestRuntimeProvedDeadlock(t *testing.T) {
	mainWait := []parser.Frame{
		{Func: "runtime.chanrecv1", File: "runtime/chan.go", Line: 489},
		{Func: "main.main", File: "main.go", Line: 12},
	}
	worker := []parser.Frame{
		{Func: "runtime.chansend1", File: "runtime/chan.go", Line: 161},
		{Func: "main.worker", File: "main.go", Line: 30},
	}
	r := analyzeGoroutines(t, parser.Preamble{Fatal: "all goroutines are asleep - deadlock!"},
		goroutinesOf(1, 1, "chan receive", 0, mainWait),
		goroutinesOf(5, 3, "chan send", 0, worker))
	critical := 0
	for _, f := range r.Findings {
		if f.Severity == SevCritical {
			critical++
		}
	}
	f := r.Findings[0]
	if critical != 1 || f.Severity != SevCritical || f.Root.Grade != GradeProven ||
		!strings.HasPrefix(f.Title, "Deadlock proven by the runtime") || !strings.Contains(f.Title, "goroutine 1 in main.main") {
		t.Errorf("want one critical, proven finding naming goroutine 1 first (%d critical)\n%s", critical, describe(r, 4))
	}
}

// TestEmptySelectIsItsOwnWait: select {} is not a nil channel; in main it
// keeps a daemon alive, in a request it is a hang.
func TestEmptySelectIsItsOwnWait(t *testing.T) {
	inMain := []parser.Frame{{Func: "runtime.block", File: "runtime/select.go", Line: 104}, {Func: "main.main", File: "main.go", Line: 30}}
	inHandler := []parser.Frame{
		{Func: "runtime.block", File: "runtime/select.go", Line: 104},
		{Func: "main.(*api).wait", File: "main.go", Line: 50},
		{Func: "net/http.(*conn).serve", File: "net/http/server.go", Line: 2067},
	}
	r := analyzeGoroutines(t, parser.Preamble{},
		goroutinesOf(1, 1, "select (no cases)", 30*time.Minute, inMain),
		goroutinesOf(10, 4, "select (no cases)", 30*time.Minute, inHandler))
	if len(r.Findings) != 2 {
		t.Fatalf("want a finding for each select {}\n%s", describe(r, 3))
	}
	for _, f := range r.Findings {
		if f.Category != CatEmptySelect {
			t.Errorf("category %s, want empty-select: %s", f.Category, f.Title)
		}
		if rootHasFunction(f, "main.main") && f.Severity != SevInfo {
			t.Errorf("select {} in main is %s, want info", f.Severity)
		}
		if rootHasFunction(f, "main.(*api).wait") && f.Severity < SevHigh {
			t.Errorf("select {} in a handler for 30 minutes is %s, want ≥ high", f.Severity)
		}
	}
}

// TestNothingLongBlockedDropped: every group blocked a minute or more is in
// some finding; what no category explains is unclassified-blocked, its
// longest wait in the title.
func TestNothingLongBlockedDropped(t *testing.T) {
	odd := []parser.Frame{
		{Func: "runtime.gopark", File: "runtime/proc.go", Line: 435},
		{Func: "main.(*ring).await", File: "main.go", Line: 20},
	}
	idleLoop := []parser.Frame{
		{Func: "runtime.selectgo", File: "runtime/select.go", Line: 335},
		{Func: "main.(*hub).run", File: "main.go", Line: 70},
	}
	gs := goroutinesOf(10, 3, "GC assist wait", 42*time.Minute, odd)
	loop := goroutinesOf(20, 1, "select", 90*time.Minute, idleLoop)
	loop[0].CreatedBy = &parser.CreatedBy{Func: "main.main", Parent: 1}
	parent := goroutinesOf(1, 1, "select", 90*time.Minute, []parser.Frame{{Func: "runtime.selectgo"}, {Func: "main.main", Line: 9}})
	r := analyzeGoroutines(t, parser.Preamble{}, gs, loop, parent)
	covered := make(map[int64]bool)
	for _, f := range r.Findings {
		for _, l := range f.Chain {
			for _, id := range l.Group.IDs {
				covered[id] = true
			}
		}
	}
	for _, id := range []int64{10, 11, 12, 20} {
		if !covered[id] {
			t.Errorf("goroutine %d, blocked for over a minute, is in no finding\n%s", id, describe(r, 6))
		}
	}
	for _, f := range r.Findings {
		if rootHasFunction(f, "main.(*ring).await") {
			if f.Category != CatUnclassified || !strings.Contains(f.Title, ">=42m") {
				t.Errorf("unexplained group: %s %q", f.Category, f.Title)
			}
		}
	}
}

// TestBlameTitles: stranded senders are the subject, their victims follow,
// counts are grouped.
func TestBlameTitles(t *testing.T) {
	senders := []parser.Frame{
		{Func: "runtime.chansend1", File: "runtime/chan.go", Line: 161},
		{Func: "main.gather.func1", File: "main.go", Line: 30},
	}
	gs := goroutinesOf(100, 1200, "chan send", 7*time.Minute, senders)
	for _, g := range gs {
		g.CreatedBy = &parser.CreatedBy{Func: "main.gather", Parent: 7}
	}
	r := analyzeGoroutines(t, parser.Preamble{}, gs)
	want := "1,200 goroutines stranded on a channel send in main.gather.func1 for >=7m: their receivers returned"
	if len(r.Findings) == 0 || !strings.HasPrefix(r.Findings[0].Title, want) {
		t.Errorf("title does not read in the direction of blame, want prefix %q\n%s", want, describe(r, 3))
	}
}

// TestRealworldProofs runs the runtime's own verdicts found in public
// issue threads: a recursive mutex the runtime declared a deadlock, tests
// that timed out, a convoy of 190,000 readers and writers on one RWMutex.
func TestRealworldProofs(t *testing.T) {
	t.Run("recursive mutex, all asleep", func(t *testing.T) {
		r := analyzeLoaded(t, testrepo.RealWorld(t, "34-logsip-18-recursive-mutex-all-asleep.txt"))
		f := r.Findings[0]
		if f.Category != CatLockCycle || f.Severity != SevCritical || f.Root.Grade != GradeProven ||
			!strings.Contains(f.Title, "Deadlock proven by the runtime") || !strings.Contains(f.Title, "Recursive lock") {
			t.Errorf("want a proven, critical recursive-lock deadlock\n%s", describe(r, 3))
		}
	})
	t.Run("test timeout waiting on a subtest", func(t *testing.T) {
		r := analyzeLoaded(t, testrepo.RealWorld(t, "36-hive-270-sync-test-timeout-fragment.txt"))
		if len(r.Findings) == 0 || !strings.HasPrefix(r.Findings[0].Title, "Test TestSync hung (test timed out after 10m0s)") {
			t.Errorf("the hung test is not named first\n%s", describe(r, 3))
		}
	})
	t.Run("test timeout, parallel test paused", func(t *testing.T) {
		r := analyzeLoaded(t, testrepo.RealWorld(t, "35-boulder-6577-semaphore-test-timeout-fragment.txt"))
		if len(r.Findings) == 0 || !strings.Contains(r.Findings[0].Title, "TestWeighted is paused in testing.(*T).Parallel") {
			t.Errorf("the paused parallel test is not reported as such\n%s", describe(r, 3))
		}
	})
	t.Run("one RWMutex, readers and writers", func(t *testing.T) {
		r := analyzeLoaded(t, testrepo.RealWorld(t, "19-neuvector-nvshas9810-cachemutex-convoy-pprof-traces.txt"))
		f := r.Findings[0]
		if f.Goroutines < 190000 || chainWaiters(f, "sync.(*RWMutex).Lock") < 50000 || f.Root.Grade != GradeInferred {
			t.Errorf("readers and writers of the cache RWMutex are not one inferred finding\n%s", describe(r, 3))
		}
	})
	t.Run("guessed holder says so", func(t *testing.T) {
		r := analyzeLoaded(t, testrepo.RealWorld(t, "26-raft-kvstore-mutex-wait-windows-debug2.txt"))
		f := findingWith(r, CatMutexConvoy, "sync.(*Mutex).Lock")
		if f == nil || f.Root.Grade != GradeInferred || !strings.Contains(f.Title, "holder not proven") {
			t.Errorf("the sibling-closure holder is not marked as a guess\n%s", describe(r, 4))
		}
	})
}
