package detectors

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// repoRoot walks up from the package directory to the directory holding
// go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	return testrepo.MustRoot(t)
}

// fixtureExpect is the "expect" block the fixture generator writes from
// what it built.
type fixtureExpect struct {
	Category       string `json:"category"`
	RootFunction   string `json:"root_function"`
	WaiterFunction string `json:"waiter_function"`
	RootGoroutines int    `json:"root_goroutines"`
	Waiters        int    `json:"waiters"`
	MaxSeverity    string `json:"max_severity"`
	// LeakPerSecond is set by generators whose goroutines accumulate: the
	// principal finding must carry their growth.
	LeakPerSecond float64 `json:"leak_per_second"`
	// ResourceKind is, for a resource-leak incident, the kind of resource.
	ResourceKind string `json:"resource_kind"`
	// RootGrade is the evidence grade the principal finding's root must
	// carry; Severity, when set, its exact severity; HungTest the test a
	// "test timed out" capture must name.
	RootGrade string `json:"root_grade"`
	Severity  string `json:"severity"`
	HungTest  string `json:"hung_test"`
	// RootNeedsTrace marks a capture whose waiters are linked to their
	// root by a trace alone: the dump alone must still report the root's
	// hole, not necessarily first. LinkGrade is the grade the waiters'
	// link to the root must carry in the bundle.
	RootNeedsTrace bool   `json:"root_needs_trace"`
	LinkGrade      string `json:"link_grade"`
	// DegradeAfterSeconds is, for a service that starts healthy, when it
	// degraded after the manifest's onset_at: the bundle's root must be
	// timed there, to the wall clock, by its onset trace.
	DegradeAfterSeconds int `json:"degrade_after_seconds"`
}

func readExpect(t *testing.T, dir string) fixtureExpect {
	t.Helper()
	exp, _ := readExpectOnset(t, dir)
	return exp
}

// readExpectOnset reads a capture's expect block and the manifest's
// onset_at (zero when absent).
func readExpectOnset(t *testing.T, dir string) (fixtureExpect, time.Time) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OnsetAt time.Time     `json:"onset_at"`
		Expect  fixtureExpect `json:"expect"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return m.Expect, m.OnsetAt
}

// fixtureDirs lists the incident capture directories present.
func fixtureDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(repoRoot(t), "fixtures", "captures", "*", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Skip("no fixture captures present")
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

// analyzeLoaded loads the named captures and analyzes them.
func analyzeLoaded(t *testing.T, paths ...string) *Diagnosis {
	t.Helper()
	c, err := parser.Load(paths, parser.Options{})
	if err != nil {
		t.Fatalf("load %v: %v", paths, err)
	}
	r, err := Analyze(c, Options{})
	if err != nil {
		t.Fatalf("analyze %v: %v", paths, err)
	}
	return r
}

// describe renders a report compactly for failure messages.
func describe(r *Diagnosis, limit int) string {
	var b strings.Builder
	for i, f := range r.Findings {
		if i == limit {
			break
		}
		fmt.Fprintf(&b, "#%d %s %s conf=%.2f n=%d score=%.1f: %s\n", i, f.Severity, f.Category, f.Confidence, f.Goroutines, f.Score, f.Title)
		for _, l := range f.Chain {
			fmt.Fprintf(&b, "   %s%s %s n=%d %s obj=%x\n", strings.Repeat("  ", l.Depth), l.Relation, l.Category, l.Goroutines, l.Function, l.Object)
		}
	}
	return b.String()
}

func rootHasFunction(f *Finding, fn string) bool {
	for _, fr := range f.Root.Frames {
		if fr.Func == fn {
			return true
		}
	}
	return false
}

// rootGoroutines counts the goroutines of the root link, of the links that
// share its object (the same hole reached from other stacks) and, for a lock
// cycle, of every member of the cycle.
func rootGoroutines(f *Finding) int {
	n := 0
	for _, l := range f.Chain {
		inCycle := f.Category == CatLockCycle && l.Category == CatLockCycle && l.Relation != RelCycle
		if l.Relation == RelRoot || (l.Depth == 1 && (l.Relation == RelSameObject || l.Relation == RelSameSite)) || inCycle {
			n += l.Goroutines
		}
	}
	return n
}

// chainWaiters counts the goroutines of chain links (below the root) whose
// group's stack contains fn.
func chainWaiters(f *Finding, fn string) int {
	n := 0
	for _, l := range f.Chain[1:] {
		if l.Group == nil || l.Relation == RelCycle {
			continue
		}
		for _, fr := range l.Group.Frames {
			if fr.Func == fn {
				n += l.Goroutines
				break
			}
		}
	}
	return n
}

// aggregatedGaps are the incidents whose principal cause an aggregated
// capture (debug=1, proto) cannot show: they carry no goroutine IDs, so no
// "created by ... in goroutine N" link and no argument words; the
// WaitGroup's workers (plain functions, not closures of the waiter) are
// linked only through those, so debug=1 and proto both put the stranded
// senders first. A leak needs several snapshots. (A plain channel send or
// receive, whose runtime frames debug=1 hides, is read from the hidden
// PCs: parser/debug1chan.go.)
var aggregatedGaps = map[string]bool{
	"waitgroup-stuck/root":                 true,
	"waitgroup-stuck/goroutine.pb.gz":      true,
	"waitgroup-stuck/goroutine-debug1.txt": true,
	"goroutine-leak/goroutine-debug1.txt":  true,
	"goroutine-leak/goroutine.pb.gz":       true,
	"goroutine-leak/root":                  true,
	// debug=1 and proto print no wait state and no argument words: a
	// nil channel parks at its own site in chansend or chanrecv, which
	// the hidden PCs do not tell from a live channel's, and a lock cycle
	// needs the lock and owner addresses.
	"nil-channel/goroutine-debug1.txt": true,
	"nil-channel/goroutine.pb.gz":      true,
	"lock-cycle/goroutine-debug1.txt":  true,
	"lock-cycle/goroutine.pb.gz":       true,
	// Starvation is measured from traces; the weak dump-only form needs
	// the goroutines' states (runnable), which aggregated formats do not
	// print.
	"sched-starvation/goroutine-debug1.txt": true,
	"sched-starvation/goroutine.pb.gz":      true,
}

// TestFixtureAggregated analyzes the debug=1 and proto captures of every
// incident: with no waits printed severity is capped, but the principal
// category must be the same as from the full dump.
func TestFixtureAggregated(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		name := filepath.Base(dir)
		exp := readExpect(t, dir)
		for _, file := range []string{"goroutine-debug1.txt", "goroutine.pb.gz"} {
			path := filepath.Join(dir, file)
			if _, err := os.Stat(path); err != nil {
				continue
			}
			t.Run(name+"/"+file, func(t *testing.T) {
				r := analyzeLoaded(t, path)
				for _, f := range r.Findings {
					if f.Severity >= SevHigh && f.Goroutines < 1000 {
						t.Errorf("%s finding from a capture with no wait durations: %s", f.Severity, f.Title)
					}
				}
				if exp.Category == "" || aggregatedGaps[name+"/"+file] {
					return
				}
				if exp.RootNeedsTrace {
					requireHole(t, r, exp)
					return
				}
				if len(r.Findings) == 0 {
					t.Fatalf("no findings; want %s", exp.Category)
				}
				f := r.Findings[0]
				if string(f.Category) != exp.Category {
					t.Errorf("first finding category %s, want %s\n%s", f.Category, exp.Category, describe(r, 4))
				}
				if !aggregatedGaps[name+"/root"] && !rootHasFunction(f, exp.RootFunction) {
					t.Errorf("root stack lacks %s\n%s", exp.RootFunction, describe(r, 4))
				}
			})
		}
	}
}

// requireHole checks that a capture analyzed without the trace that links
// its waiters to their root still reports the root's hole.
func requireHole(t *testing.T, r *Diagnosis, exp fixtureExpect) {
	t.Helper()
	for _, f := range r.Findings {
		if string(f.Category) == exp.Category && rootHasFunction(f, exp.RootFunction) {
			return
		}
	}
	t.Errorf("no %s finding rooted in %s\n%s", exp.Category, exp.RootFunction, describe(r, 4))
}

// checkLinkGrade checks the link of the waiters in exp.WaiterFunction to
// the root: its grade, and for a proven one, the trace evidence.
func checkLinkGrade(t *testing.T, r *Diagnosis, f *Finding, exp fixtureExpect) {
	t.Helper()
	for _, l := range f.Chain {
		if l.Depth == 0 || l.Group == nil || !slices.ContainsFunc(l.Group.Frames, func(fr parser.Frame) bool { return fr.Func == exp.WaiterFunction }) {
			continue
		}
		if string(l.Grade) != exp.LinkGrade {
			t.Errorf("the link of %s to the root is %s (%s), want %s\n%s", exp.WaiterFunction, l.Grade, l.Relation, exp.LinkGrade, describe(r, 4))
		}
		return
	}
	t.Errorf("no link of %s in the principal chain\n%s", exp.WaiterFunction, describe(r, 4))
}

// checkOnsetTime checks that the root is timed by a trace that saw it
// block, at the wall-clock time the service degraded (the peer stalls
// then; the root blocks at its next request, within a second).
func checkOnsetTime(t *testing.T, f *Finding, degraded time.Time) {
	t.Helper()
	at := f.Root.BlockedAt
	if at.IsZero() || at.Before(degraded.Add(-time.Second)) || at.After(degraded.Add(2*time.Second)) {
		t.Errorf("root blocked at %v (since +%v, timed %v), want within a second or two of the degradation at %v", at, f.Root.Since, f.Root.Timed, degraded)
	}
}

// TestFixtureIncidents runs the analysis on every real incident capture:
// each bundle directory as a user would pass it, and its debug=2 dump alone.
func TestFixtureIncidents(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		name := filepath.Base(dir)
		exp := readExpect(t, dir)
		inputs := map[string][]string{"bundle": {dir}}
		if _, err := os.Stat(filepath.Join(dir, "goroutine-debug2.txt")); err == nil {
			inputs["debug2"] = []string{filepath.Join(dir, "goroutine-debug2.txt")}
		}
		for kind, paths := range inputs {
			t.Run(name+"/"+kind, func(t *testing.T) {
				r := analyzeLoaded(t, paths...)
				if exp.LeakPerSecond == 0 {
					// A bundle holds one moment in several dumps (debug=2,
					// SIGQUIT): they must not look like growth.
					for _, f := range r.Findings {
						if f.Growth != nil {
							t.Errorf("growth across dumps of one moment: %s", f.Title)
						}
					}
				} else if kind == "bundle" && len(r.Findings) > 0 && r.Findings[0].Growth == nil {
					// Growth is an attribute of the finding that explains
					// the goroutines, never a competing finding.
					t.Errorf("the principal finding carries no growth\n%s", describe(r, 4))
				}
				if exp.Category == "" {
					for _, f := range r.Findings {
						if f.Severity >= SevHigh {
							t.Errorf("healthy service got a %s finding:\n%s", f.Severity, describe(r, 5))
						}
					}
					return
				}
				if len(r.Findings) == 0 {
					t.Fatalf("no findings; want %s", exp.Category)
				}
				if exp.RootNeedsTrace && kind != "bundle" {
					requireHole(t, r, exp)
					return
				}
				f := r.Findings[0]
				if string(f.Category) != exp.Category {
					t.Errorf("first finding category %s, want %s\n%s", f.Category, exp.Category, describe(r, 4))
				}
				if !rootHasFunction(f, exp.RootFunction) {
					t.Errorf("root goroutine %d stack lacks %s\n%s", f.Root.GoroutineID, exp.RootFunction, describe(r, 4))
				}
				if exp.LinkGrade != "" {
					checkLinkGrade(t, r, f, exp)
				}
				if exp.DegradeAfterSeconds > 0 {
					_, onset := readExpectOnset(t, dir)
					checkOnsetTime(t, f, onset.Add(time.Duration(exp.DegradeAfterSeconds)*time.Second))
				}
				if exp.ResourceKind != "" && f.Resource != exp.ResourceKind {
					t.Errorf("resource %q, want %q", f.Resource, exp.ResourceKind)
				}
				if got := rootGoroutines(f); got < exp.RootGoroutines {
					t.Errorf("root links hold %d goroutines, want ≥ %d\n%s", got, exp.RootGoroutines, describe(r, 4))
				}
				if exp.WaiterFunction != "" {
					if got := chainWaiters(f, exp.WaiterFunction); got < exp.Waiters {
						t.Errorf("chain links %d waiters in %s, want ≥ %d\n%s", got, exp.WaiterFunction, exp.Waiters, describe(r, 4))
					}
				}
				switch {
				case f.Category == CatSleepPoll:
					if f.Severity > SevLow {
						t.Errorf("sleep-poll severity %s, want low", f.Severity)
					}
				case f.WaitKnown && f.Severity < SevHigh:
					t.Errorf("principal finding severity %s with waits of %s, want ≥ high", f.Severity, f.WaitMax)
				}
				if f.Fix.Summary == "" || f.Explanation == "" || f.Title == "" {
					t.Errorf("finding lacks fix, title or explanation: %+v", f)
				}
				if exp.RootGrade != "" && string(f.Root.Grade) != exp.RootGrade {
					t.Errorf("root grade %s (%s), want %s\n%s", f.Root.Grade, f.Root.Basis, exp.RootGrade, describe(r, 4))
				}
				if exp.Severity != "" && f.Severity.String() != exp.Severity {
					t.Errorf("severity %s, want %s", f.Severity, exp.Severity)
				}
				if exp.HungTest != "" && !strings.Contains(f.Title, "Test "+exp.HungTest+" hung") {
					t.Errorf("title %q does not name the hung test %s", f.Title, exp.HungTest)
				}
			})
		}
	}
}
