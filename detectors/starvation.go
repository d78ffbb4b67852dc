package detectors

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Scheduler starvation: CPU-bound goroutines hold every P, so goroutines
// that are ready to run wait in the run queues, and every timer, deadline
// and network wake runs late. Nothing is blocked, so no chain names it; an
// execution trace measures it directly (how long runnable goroutines
// waited for a P, how many waited per P, how late timer wakes ran, who ran
// meanwhile). A goroutine dump alone shows only its shape: many
// goroutines runnable at once in the same CPU-bound function.
const (
	// starvedP99 is the runnable→running latency (99th percentile) from
	// which a trace shows starvation: five of the scheduler's 10 ms time
	// slices. A healthy service's p99 is microseconds to a millisecond.
	starvedP99 = 50 * time.Millisecond
	// starvedSustained is the share of the trace's windows in which more
	// goroutines were runnable than there are Ps: starvation is a state,
	// not a burst.
	starvedSustained = 0.5
	// criticalP50 makes the finding critical: the median wait for a P is
	// ten time slices, so every deadline under a few hundred ms misses.
	criticalP50 = 100 * time.Millisecond
	// dumpRunnableMin is how many goroutines runnable in one start function
	// a dump must show for the weak, dump-only form.
	dumpRunnableMin = 16
	// hogShareMin is the share of the trace's CPU time the hog functions
	// named in the finding must have taken together.
	hogShareMin = 0.5
)

// starvation reports scheduler starvation: from the traces when there are
// any, else, as a guess, from a dump full of runnable goroutines.
func (a *analysis) starvation() error {
	if f := a.traceStarvation(); f != nil {
		a.findings = append(a.findings, f)
		return nil
	}
	if f := a.dumpStarvation(); f != nil {
		a.findings = append(a.findings, f)
	}
	return nil
}

// starvedTrace is one trace's verdict.
type starvedTrace struct {
	tr        *parser.Trace
	s         *parser.SchedStats
	over      int // windows with more runnable goroutines than Ps
	peakPerP  float64
	meanPerP  float64
	hogs      []parser.FuncCPU
	hogShare  float64
	totalCPU  time.Duration
	sustained float64
}

// judgeTrace measures one trace against the thresholds.
func judgeTrace(tr *parser.Trace) (starvedTrace, bool) {
	st := starvedTrace{tr: tr, s: tr.Sched}
	s := tr.Sched
	procs := max(tr.Procs, 1)
	if s == nil || len(s.Runnable) == 0 || s.LatencyP99 < starvedP99 {
		return st, false
	}
	sum := 0
	for _, n := range s.Runnable {
		if n > procs {
			st.over++
		}
		sum += n
		st.peakPerP = max(st.peakPerP, float64(n)/float64(procs))
	}
	st.meanPerP = float64(sum) / float64(len(s.Runnable)) / float64(procs)
	st.sustained = float64(st.over) / float64(len(s.Runnable))
	if st.sustained < starvedSustained {
		return st, false
	}
	for _, c := range s.CPU {
		st.totalCPU += c.Running
	}
	// The hogs: the application's start functions that ran the most, until
	// they account for most of the CPU (the runtime's own goroutines and
	// the tracer are never the cause).
	var got time.Duration
	for _, c := range s.CPU {
		if c.Func == "" || isRuntimeOrTracer(c.Func) {
			continue
		}
		st.hogs = append(st.hogs, c)
		got += c.Running
		if st.totalCPU > 0 && float64(got)/float64(st.totalCPU) >= 0.8 || len(st.hogs) == 3 {
			break
		}
	}
	if st.totalCPU > 0 {
		st.hogShare = float64(got) / float64(st.totalCPU)
	}
	return st, true
}

func isRuntimeOrTracer(fn string) bool {
	pkg := parser.FuncPackage(fn)
	return pkg == "runtime" || strings.HasPrefix(pkg, "runtime/") || strings.HasPrefix(pkg, "internal/")
}

// traceStarvation builds the finding from the most starved trace.
func (a *analysis) traceStarvation() *Finding {
	var best starvedTrace
	found, starved := false, 0
	for _, tr := range a.capture.Traces {
		st, ok := judgeTrace(tr)
		if !ok {
			continue
		}
		starved++
		if !found || st.s.LatencyP99 > best.s.LatencyP99 {
			best, found = st, true
		}
	}
	if !found {
		return nil
	}
	s, tr := best.s, best.tr
	procs := max(tr.Procs, 1)
	f := &Finding{Category: CatSchedStarvation, Fix: fixStarvation, TraceEnd: tr.Duration}
	hogFuncs := make([]string, 0, len(best.hogs))
	for _, h := range best.hogs {
		hogFuncs = append(hogFuncs, h.Func)
	}
	a.starvationChain(f, hogFuncs, parser.StatusUnknown)
	// The starvation began with the first of three windows in a row in
	// which more goroutines were runnable than there are Ps (a burst of
	// wakes is not starvation), and lasts to the trace's end when its last
	// window is starved too.
	since := time.Duration(0)
	for i := range s.Runnable {
		if i+2 < len(s.Runnable) && s.Runnable[i] > procs && s.Runnable[i+1] > procs && s.Runnable[i+2] > procs {
			since = time.Duration(i) * s.Window
			break
		}
	}
	f.Root.Since, f.Root.Timed = since, true
	f.Root.Grade = GradeProven
	f.Root.Basis = "the execution trace measures it: how long runnable goroutines waited for a P, and which goroutines ran meanwhile"
	f.Chain[0].Grade = f.Root.Grade
	for i := range f.Chain {
		l := &f.Chain[i]
		l.Timed, l.Start, l.End = true, since, -1
		if last := s.Runnable[len(s.Runnable)-1]; last <= procs {
			l.End = min(tr.Duration, time.Duration(len(s.Runnable))*s.Window)
		}
	}
	f.Severity = SevHigh
	if s.LatencyP50 >= criticalP50 {
		f.Severity = SevCritical
	}
	f.Confidence = 0.9
	if best.hogShare < hogShareMin {
		f.Confidence = 0.75
		f.Reasons = append(f.Reasons, fmt.Sprintf("no few functions dominate the CPU (the top ones took %.0f%%): the Ps are shared by many kinds of work", 100*best.hogShare))
	}
	f.Reasons = append(f.Reasons,
		fmt.Sprintf("trace: runnable→running latency p99 %s ≥ %s", human.Duration(s.LatencyP99), starvedP99),
		fmt.Sprintf("trace: more goroutines runnable than Ps in %.0f%% of %s windows", 100*best.sustained, s.Window))
	if starved > 1 {
		f.Reasons = append(f.Reasons, fmt.Sprintf("%d traces of the capture show it", starved))
	}
	src := filepathBase(tr.Source.File)
	f.Evidence = append(f.Evidence,
		Evidence{Kind: "trace", Text: fmt.Sprintf("trace: runnable goroutines waited for a P p50 %s, p99 %s, max %s over %s (%d waits measured in %s)",
			human.Duration(s.LatencyP50), human.Duration(s.LatencyP99), human.Duration(tr.SchedLatencyMax), human.Duration(tr.Duration), tr.SchedCount, src)},
		Evidence{Kind: "trace", Text: fmt.Sprintf("trace: runnable goroutines per P (GOMAXPROCS %d): mean %.1f, peak %.1f; more than one per P in %d of %d windows of %s, from +%s",
			procs, best.meanPerP, best.peakPerP, best.over, len(s.Runnable), s.Window, human.Duration(since))},
	)
	if s.TimerWakes > 0 {
		f.Evidence = append(f.Evidence, Evidence{Kind: "trace", Text: fmt.Sprintf(
			"trace: %d of %d timer-driven wakes (sleeps, time.After, tickers, context deadlines) waited over %s for a P after their timer fired; p99 %s, max %s late",
			s.TimerLate, s.TimerWakes, parser.LateThreshold, human.Duration(s.TimerLatencyP99), human.Duration(s.TimerLatencyMax))})
	}
	for _, h := range best.hogs {
		share := 0.0
		if best.totalCPU > 0 {
			share = 100 * float64(h.Running) / float64(best.totalCPU)
		}
		f.Evidence = append(f.Evidence, Evidence{Kind: "trace", Text: fmt.Sprintf(
			"trace: CPU hog %s: %s in %s ran %s of the %s the Ps ran (%.0f%%)",
			parser.ShortFunc(h.Func), human.Plural(h.Goroutines, "goroutine"), h.Func, human.Duration(h.Running), human.Duration(best.totalCPU), share)})
	}
	hogNames := "CPU-bound goroutines"
	if len(best.hogs) > 0 {
		var names []string
		n := 0
		for _, h := range best.hogs {
			names = append(names, parser.ShortFunc(h.Func))
			n += h.Goroutines
		}
		hogNames = fmt.Sprintf("%s in %s", human.Plural(n, "goroutine"), strings.Join(names, ", "))
	}
	f.Title = fmt.Sprintf("CPU starvation: %s hold the %s; runnable goroutines wait p50 %s, p99 %s, max %s for a P, so deadlines and timers fire late",
		hogNames, human.Plural(procs, "P"), human.Duration(s.LatencyP50), human.Duration(s.LatencyP99), human.Duration(tr.SchedLatencyMax))
	f.Explanation = fmt.Sprintf("Nothing is blocked: the goroutines are ready to run and wait for a processor. "+
		"With GOMAXPROCS %d, the trace shows on average %.1f goroutines runnable per P (peak %.1f), and a runnable goroutine "+
		"waited %s at the median and %s at the 99th percentile before it ran, against microseconds in a healthy service. "+
		"A deadline that fires still has to be run: a context timeout, a time.After or a ticker wakes its goroutine on time, "+
		"and that goroutine then queues behind the CPU-bound work, so every timeout in the service overshoots by the queue's length "+
		"and requests fail at their deadlines while doing almost nothing. The Ps are held by %s. "+
		"Go's scheduler preempts every 10 ms, so the queue, not any single goroutine, is the cost: each CPU-bound goroutine added "+
		"lengthens every other goroutine's wait.",
		procs, best.meanPerP, best.peakPerP, human.Duration(s.LatencyP50), human.Duration(s.LatencyP99), hogNames)
	return f
}

// dumpStarvation is the weak form: a dump shows many goroutines runnable
// at once in one start function (a CPU-bound fan-out), and, when present,
// context deadline timers that fired and whose callbacks have not run. It
// cannot measure latency and says so.
func (a *analysis) dumpStarvation() *Finding {
	if a.snap == nil {
		return nil
	}
	byStart := make(map[string]int)
	queued := make(map[string]int)
	runnable, firedDeadlines := 0, 0
	for _, g := range a.snap.Goroutines {
		if g.Status == parser.StatusWaiting && slices.Contains(lockReasons, g.Reason) {
			// Queued on a lock: part of the pile when the lock's holder is
			// one of the runnable goroutines of the same function (a
			// holder preempted inside its critical section).
			if si := startFrame(g.Frames); si >= 0 {
				queued[g.Frames[si].Func]++
				continue
			}
		}
		if g.Status != parser.StatusRunnable && g.Status != parser.StatusRunning {
			continue
		}
		si := startFrame(g.Frames)
		runnable++
		if hasFrame(g.Frames, "context.WithDeadlineCause.func*") {
			firedDeadlines++
			continue
		}
		if si >= 0 && appFrame(g.Frames, a.libPrefixes) >= 0 {
			byStart[g.Frames[si].Func]++
		}
	}
	for fn, n := range queued {
		if byStart[fn] >= 2 {
			byStart[fn] += n
		} else {
			delete(queued, fn)
		}
	}
	var hog string
	for fn, n := range byStart {
		if n >= dumpRunnableMin && (hog == "" || n > byStart[hog] || (n == byStart[hog] && fn < hog)) {
			hog = fn
		}
	}
	if hog == "" {
		return nil
	}
	f := &Finding{Category: CatSchedStarvation, Fix: fixStarvation, Severity: SevMedium, Confidence: 0.45}
	a.starvationChain(f, []string{hog}, parser.StatusRunnable)
	f.Root.Grade = GradeInferred
	f.Root.Basis = "a goroutine dump shows only the shape (many goroutines runnable in one function); it cannot measure the wait"
	f.Chain[0].Grade = f.Root.Grade
	f.Reasons = append(f.Reasons, "a guess from one goroutine dump: no execution trace measures how long runnable goroutines waited")
	f.Evidence = append(f.Evidence, Evidence{Kind: "state", Text: fmt.Sprintf("%d goroutines runnable or running at the moment of the dump, %d of them started at %s",
		runnable, byStart[hog]-queued[hog], hog)})
	if queued[hog] > 0 {
		f.Evidence = append(f.Evidence, Evidence{Kind: "state", Text: fmt.Sprintf(
			"%d more goroutines started at %s queue on a lock whose holder is runnable: preempted inside its critical section", queued[hog], hog)})
	}
	if firedDeadlines > 0 {
		f.Confidence += 0.15
		f.Evidence = append(f.Evidence, Evidence{Kind: "state", Text: fmt.Sprintf(
			"%s runnable in context.WithDeadlineCause's timer callback: deadlines that fired and have not yet run", human.Plural(firedDeadlines, "goroutine"))})
	}
	f.Title = fmt.Sprintf("Likely CPU starvation: %d goroutines of %s runnable at once or queued behind a runnable one (a dump cannot measure the wait; capture a trace to confirm)",
		byStart[hog], parser.ShortFunc(hog))
	f.Explanation = fmt.Sprintf("A goroutine dump normally shows about as many runnable goroutines as there are Ps; this one shows %d "+
		"runnable in %s alone. That is the shape of CPU-bound work fanned out with no bound: while those goroutines hold the Ps, "+
		"everything else that is ready to run waits, and timers and deadlines fire late. A dump cannot tell how long they wait: "+
		"capture a 5-second execution trace (/debug/pprof/trace?seconds=5) to measure the scheduler latency.", byStart[hog]-queued[hog], hog)
	return f
}

// starvationChain makes the hog goroutines of the analyzed snapshot the
// finding's root and chain: the largest group running one of the hog
// functions is the root, the other groups running them are the same
// cause. With none in the snapshot, the chain names the functions alone.
func (a *analysis) starvationChain(f *Finding, hogFuncs []string, want parser.Status) {
	// A finding rooted at a goroutine that is runnable in a hog function
	// is a symptom: a lock holder preempted inside its critical section,
	// with a convoy behind it. It joins the starvation, its waiters below
	// the hogs.
	var absorbed []Link
	kept := a.findings[:0]
	for _, old := range a.findings {
		rg := old.Root.Group
		if rg != nil && (rg.Status == parser.StatusRunnable || rg.Status == parser.StatusRunning) && hogFrame(rg.Frames, hogFuncs) >= 0 {
			for _, l := range old.Chain {
				if n := a.nodeByGroup(l); n != nil {
					n.finding = nil
				}
			}
			absorbed = append(absorbed, old.Chain...)
			f.Evidence = append(f.Evidence, Evidence{Kind: "frame", GoroutineID: old.Root.GoroutineID,
				Text: fmt.Sprintf("%s: its root is runnable, not blocked: a lock holder preempted by the scheduler, not a hole of its own", old.Title)})
			continue
		}
		kept = append(kept, old)
	}
	a.findings = kept
	var hogs []*node
	for _, n := range a.nodes {
		if n.finding != nil || (want != parser.StatusUnknown && n.grp.Status != want && n.grp.Status != parser.StatusRunning) {
			continue
		}
		if n.grp.Status != parser.StatusRunnable && n.grp.Status != parser.StatusRunning && n.grp.Status != parser.StatusUnknown {
			continue
		}
		for _, fn := range hogFuncs {
			if hasFunc(n.grp.Frames, fn) {
				hogs = append(hogs, n)
				break
			}
		}
	}
	defer func() {
		// The absorbed convoys' waiters hang below the hogs.
		for _, l := range absorbed {
			n := a.nodeByGroup(l)
			if l.Depth == 0 || n == nil || n.finding != nil {
				continue
			}
			l.Depth = 1
			f.Chain = append(f.Chain, l)
			f.Goroutines += l.Goroutines
			n.finding = f
		}
	}()
	slices.SortStableFunc(hogs, func(x, y *node) int { return cmp.Compare(y.grp.Count, x.grp.Count) })
	// One link for all of them: their stacks differ only below the hog
	// function (wherever preemption caught them).
	var ids []int64
	for _, n := range hogs {
		f.Goroutines += n.grp.Count
		ids = append(ids, n.grp.IDs...)
		n.finding = f
	}
	if len(hogs) > 0 {
		l := a.link(hogs[0], 0, RelRoot)
		l.Category = CatSchedStarvation
		l.Goroutines = f.Goroutines
		if fi := hogFrame(hogs[0].grp.Frames, hogFuncs); fi >= 0 {
			fr := hogs[0].grp.Frames[fi]
			l.Function, l.File, l.Line = fr.Func, fr.File, fr.Line
		}
		slices.Sort(ids)
		l.IDs = sampleIDs(ids, a.opts.maxIDs())
		l.State = "runnable"
		f.Chain = append(f.Chain, l)
	}
	slices.Sort(ids)
	f.IDs = sampleIDs(ids, a.opts.maxIDs())
	if len(hogs) == 0 {
		fn := ""
		if len(hogFuncs) > 0 {
			fn = hogFuncs[0]
		}
		f.Chain = append(f.Chain, Link{Relation: RelRoot, Category: CatSchedStarvation, Function: fn, State: "running", End: -1})
		f.Root = Root{AppFrame: -1, State: "running"}
		return
	}
	root := hogs[0]
	first := root.grp.First()
	f.Root = Root{GoroutineID: first.ID, Group: root.grp, Frames: first.Frames, AppFrame: root.cls.app, State: root.grp.State}
	if fi := hogFrame(first.Frames, hogFuncs); fi >= 0 {
		fr := first.Frames[fi]
		f.Evidence = append(f.Evidence, Evidence{Kind: "frame", GoroutineID: first.ID, Frame: &fr,
			Text: fmt.Sprintf("%s %s in %s at the moment of the dump", human.Plural(f.Goroutines, "goroutine"), "runnable or running", fr.Func)})
	}
}

// hogFrame is the index of the first frame running one of the hog
// functions; a go-statement wrapper (".gowrap1") names the function it
// wraps, the frame inside it.
func hogFrame(frames []parser.Frame, funcs []string) int {
	for i, fr := range frames {
		if slices.Contains(funcs, fr.Func) {
			for i > 0 && isGoWrapper(frames[i].Func) {
				i--
			}
			return i
		}
	}
	return -1
}

// startFrame is the index of a goroutine's start function: its outermost
// frame that is not a go-statement wrapper; -1 for no frames.
func startFrame(frames []parser.Frame) int {
	for i := len(frames) - 1; i >= 0; i-- {
		if !isGoWrapper(frames[i].Func) && frames[i].Func != "runtime.goexit" {
			return i
		}
	}
	return -1
}

func isGoWrapper(fn string) bool {
	return strings.Contains(fn, ".gowrap") || strings.Contains(fn, ".deferwrap")
}

// filepathBase is the last element of a slash- or backslash-separated
// path, so that evidence names the trace without the user's directories.
func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
