package detectors

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// What the runtime itself declared. "fatal error: all goroutines are asleep
// - deadlock!" is a proof: the runtime found no goroutine that could ever
// run again. It gets one critical finding, the one that names the cycle
// (or, with none, the last waiter: the main goroutine), and says the
// runtime proved it. "panic: test timed out after D" is the testing
// package's alarm: the finding names the hung test and what it waits on.

// runtimeVerdicts applies the preamble's verdict to the findings: a
// proven global deadlock, or a hung test.
func (a *analysis) runtimeVerdicts() error {
	if a.snap == nil {
		return nil
	}
	if a.snap.Preamble.Deadlock() {
		a.provenDeadlock()
		return nil
	}
	if a.snap.Preamble.TestTimeout != "" {
		a.hungTest()
	}
	return nil
}

// provenDeadlock picks the finding that names the deadlock and marks it
// proven and critical; the others stay (every goroutine is asleep for
// good) but none of them is the principal.
func (a *analysis) provenDeadlock() {
	if len(a.findings) == 0 {
		return
	}
	var principal *Finding
	for _, f := range a.findings {
		if f.Category == CatLockCycle {
			principal = f
			break
		}
	}
	if principal == nil {
		// No cycle to name: the main goroutine (the lowest ID) is the
		// last waiter whose wait the runtime judged hopeless.
		lowest := int64(-1)
		for _, f := range a.findings {
			if f.Category == CatUnclassified && len(a.findings) > 1 {
				continue
			}
			for _, l := range f.Chain {
				if len(l.IDs) > 0 && (lowest < 0 || l.IDs[0] < lowest) {
					lowest, principal = l.IDs[0], f
				}
			}
		}
	}
	if principal == nil {
		principal = slices.MaxFunc(a.findings, func(x, y *Finding) int { return x.Goroutines - y.Goroutines })
	}
	f := principal
	verdict := "the runtime proved it: \"fatal error: all goroutines are asleep - deadlock!\" means no goroutine can ever run again"
	f.Root.Basis = verdict + "; " + f.Root.Basis
	f.Root.Grade, f.Chain[0].Grade = GradeProven, GradeProven
	f.Severity = SevCritical
	f.Confidence = gradeConfidence[GradeProven]
	f.Reasons = append([]string{"root proven: " + verdict}, f.Reasons...)
	what := f.Title
	if f.Category != CatLockCycle {
		what = fmt.Sprintf("%s; the last waiter, %s", f.Title, waiterName(f))
	}
	f.Title = "Deadlock proven by the runtime (all goroutines are asleep): " + what
	f.Evidence = append([]Evidence{{Kind: "preamble", Text: "fatal error: all goroutines are asleep - deadlock!"}}, f.Evidence...)
	if others := len(a.findings) - 1; others > 0 {
		f.Explanation += fmt.Sprintf(" Every other goroutine is asleep for good too (%d more findings); they cannot wake once this one is resolved either, but they are its consequences or bystanders.", others)
	}
	a.pinned = f
}

// waiterName names a finding's root as "goroutine N in F (reason)".
func waiterName(f *Finding) string {
	l := f.Chain[0]
	who := human.Plural(l.Goroutines, "goroutine")
	if len(l.IDs) == 1 && l.Goroutines == 1 {
		who = fmt.Sprintf("goroutine %d", l.IDs[0])
	}
	s := fmt.Sprintf("%s in %s", who, parser.ShortFunc(l.Function))
	if l.State != "" {
		s += " [" + l.State + "]"
	}
	return s + ", can never be woken"
}

// testRun is one test goroutine of a timed-out test binary.
type testRun struct {
	n    *node
	name string // the test function, short ("TestSync", "TestSync.func1")
	// waitsFor says why it is not the hung one: "" for a test blocked in
	// its own code, "subtest" when it waits in T.Run, "parallel" when it
	// is paused in T.Parallel.
	waitsFor string
}

// testFuncName matches the name of a test, benchmark, fuzz target or
// example, or of a closure inside one (a subtest): "TestSync",
// "TestSync.func1.2".
var testFuncName = regexp.MustCompile(`^(Test|Benchmark|Fuzz|Example)([A-Z0-9_]\w*)?(\.func\d+(\.\d+)*)?$`)

// testFrame returns the index of the innermost frame running a test
// function (not TestMain, which runs the others), or -1.
func testFrame(frames []parser.Frame) int {
	for i, f := range frames {
		pkg := f.Package()
		if pkg == "" || pkg == "testing" || len(f.Func) <= len(pkg)+1 {
			continue
		}
		name := f.Func[len(pkg)+1:]
		if strings.HasPrefix(name, "TestMain") {
			continue
		}
		if testFuncName.MatchString(name) {
			return i
		}
	}
	return -1
}

// testRuns lists the goroutines running a test function, skipping the
// testing package's own runner and TestMain (a truncated dump may have
// lost the testing.tRunner frame, so the test is found by its name).
func (a *analysis) testRuns() []testRun {
	var out []testRun
	for _, n := range a.nodes {
		k := testFrame(n.grp.Frames)
		if k < 0 {
			continue
		}
		fn := n.grp.Frames[k]
		tr := testRun{n: n, name: fn.Func[len(fn.Package())+1:]}
		for _, f := range n.grp.Frames[:k] {
			switch f.Func {
			case "testing.(*T).Run":
				tr.waitsFor = "subtest"
			case "testing.(*T).Parallel":
				tr.waitsFor = "parallel"
			}
		}
		out = append(out, tr)
	}
	return out
}

// hungTest names the test a "test timed out" dump is about: a test
// goroutine blocked in its own code (not waiting for a subtest, not paused
// as a parallel test), the longest-blocked first; failing that, the
// innermost test waiting for a subtest whose goroutine the dump lacks.
func (a *analysis) hungTest() {
	runs := a.testRuns()
	if len(runs) == 0 {
		return
	}
	rank := func(t testRun) int {
		switch t.waitsFor {
		case "":
			return 0
		case "subtest":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(runs, func(x, y testRun) int {
		if rx, ry := rank(x), rank(y); rx != ry {
			return rx - ry
		}
		if x.n.grp.WaitMax != y.n.grp.WaitMax {
			if x.n.grp.WaitMax > y.n.grp.WaitMax {
				return -1
			}
			return 1
		}
		return len(y.n.grp.Frames) - len(x.n.grp.Frames) // the deeper test is the inner one
	})
	t := runs[0]
	timeout := "test timed out after " + a.snap.Preamble.TestTimeout
	f := t.n.finding
	if f != nil && t.waitsFor != "" && len(f.Chain) == 1 {
		// Its wait is the testing package's own (a subtest, a parallel
		// pause), not a hole of its own.
		f.Category, f.Fix, f.Title = CatUnclassified, fixHungTest, ""
	}
	if f == nil {
		f = &Finding{}
		a.attachTree(f, t.n, 0, RelRoot, nil, map[*node]bool{})
		if !t.n.cls.hole() || t.waitsFor != "" {
			f.Category, f.Fix = CatUnclassified, fixHungTest
		}
		a.fillFinding(f, t.n)
		if t.waitsFor != "" {
			f.Title = ""
		}
		a.findings = append(a.findings, f)
	}
	var waits string
	switch t.waitsFor {
	case "subtest":
		waits = "it waits in testing.(*T).Run for a subtest that never finished (the subtest's goroutine is not in the dump)"
	case "parallel":
		waits = "it is paused in testing.(*T).Parallel, waiting for the sequential tests to finish (the test that hung is not in the dump)"
	default:
		state := t.n.grp.State
		if state == "" {
			state = t.n.cls.reason
		}
		if state == "" {
			state = "blocked"
		}
		waits = fmt.Sprintf("it waits [%s] in %s", state, parser.ShortFunc(blockingFunc(t.n)))
	}
	name := t.name
	var others []string
	for _, r := range a.snap.Preamble.RunningTests {
		// "TestX (2m30s)": the test itself, or another one still running.
		if !strings.HasPrefix(r, t.name+" ") && r != t.name {
			others = append(others, r)
		}
	}
	if len(others) > 0 {
		name += " (also running: " + strings.Join(others, ", ") + ")"
	}
	switch {
	case t.waitsFor == "parallel":
		f.Title = fmt.Sprintf("Tests timed out (%s): the test that hung is not in the dump; %s is paused in testing.(*T).Parallel, waiting for the sequential tests to finish", timeout, name)
	case f.Title == "":
		f.Title = fmt.Sprintf("Test %s hung (%s): %s", name, timeout, waits)
	default:
		f.Title = fmt.Sprintf("Test %s hung (%s): %s; %s", name, timeout, waits, f.Title)
	}
	f.Severity = max(f.Severity, SevHigh)
	if t.waitsFor != "" && len(f.Chain) == 1 {
		// The goroutine that hung is not in the dump: only the test
		// waiting for it is, so what it waits on is not known.
		f.Root.Grade, f.Chain[0].Grade = GradeInferred, GradeInferred
		f.Root.Basis = "the hung test's own goroutine is not in the dump; " + t.name + " only waits for it (" + t.waitsFor + ")"
		f.Confidence = min(f.Confidence, gradeConfidence[GradeInferred])
	}
	f.Evidence = append([]Evidence{{Kind: "preamble", GoroutineID: firstID(t.n.grp), Text: "panic: " + timeout}}, f.Evidence...)
	f.Reasons = append(f.Reasons, "the testing package's alarm fired: "+timeout)
	a.pinned = f
}
