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

// fixtureRoot returns fixtures/captures of the repository, skipping the
// test when it is absent.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	return testrepo.Path(t, "fixtures", "captures")
}

// traceIncident is one fixture incident with its traces.
type traceIncident struct {
	name, dir string
	// dump is its goroutine dump: goroutine-debug2.txt, or the last of a
	// series (goroutine-debug2.1.txt, .2.txt ...).
	dump   string
	expect struct {
		Category       string `json:"category"`
		RootFunction   string `json:"root_function"`
		WaiterFunction string `json:"waiter_function"`
		Waiters        int    `json:"waiters"`
	}
}

// traceIncidents lists the fixture incidents that have a dump and both
// traces.
func traceIncidents(t *testing.T) []traceIncident {
	t.Helper()
	root := fixtureRoot(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []traceIncident
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		dump := "goroutine-debug2.txt"
		if series, _ := filepath.Glob(filepath.Join(dir, "goroutine-debug2.*.txt")); len(series) > 0 {
			slices.Sort(series)
			dump = filepath.Base(series[len(series)-1])
		}
		need := []string{"manifest.json", dump, "trace-onset.out", "trace-steady.out"}
		ok := true
		for _, n := range need {
			if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
				ok = false
			}
		}
		if !ok {
			continue
		}
		inc := traceIncident{name: e.Name(), dir: dir, dump: dump}
		var m struct {
			Expect json.RawMessage `json:"expect"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if err := json.Unmarshal(m.Expect, &inc.expect); err != nil {
			t.Fatalf("%s: expect: %v", dir, err)
		}
		out = append(out, inc)
	}
	if len(out) == 0 {
		t.Skip("no fixture incident has traces yet")
	}
	return out
}

// analyzeFiles loads files (relative to dir) and diagnoses them.
func analyzeFiles(t *testing.T, dir string, names ...string) *Diagnosis {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join(dir, n))
	}
	c, err := parser.Load(paths, parser.Options{})
	if err != nil {
		t.Fatalf("load %v: %v", names, err)
	}
	r, err := Analyze(c, Options{})
	if err != nil {
		t.Fatalf("analyze %v: %v", names, err)
	}
	return r
}

// rootApp names a finding's root by its first application frame, or by
// its root link's function when it has none.
func rootApp(f *Finding) string {
	if f.Root.AppFrame >= 0 && f.Root.AppFrame < len(f.Root.Frames) {
		return f.Root.Frames[f.Root.AppFrame].Func
	}
	if len(f.Chain) > 0 {
		return f.Chain[0].Function
	}
	return ""
}

// highest returns the most severe finding's severity.
func highest(r *Diagnosis) Severity {
	s := SevInfo
	for _, f := range r.Findings {
		s = max(s, f.Severity)
	}
	return s
}

// traceBlind are the incidents a trace cannot diagnose alone, and why.
var traceBlind = map[string]string{
	"lock-cycle": "a trace records no lock addresses: a lock-order cycle shows only in a dump's argument words",
}

// onsetBlind are the incidents whose onset trace (5 s from just before the
// onset) cannot show them, and why.
var onsetBlind = map[string]string{
	"leaked-grpc-stream": "streams leak at 0.5 a second: the 5 s onset trace ends with two abandoned streams, too few to call a leak of (the steady trace and the dumps show it)",
	"otel-exporter-blocked": "the batch span processor first exports when its 5 s BatchTimeout fires, as the 5 s onset trace ends: " +
		"no export is stuck yet, no span.End blocked",
}

// steadyBlind are the incidents a steady trace alone (every goroutine
// blocked before it began) cannot name, and why; with the onset trace they
// are named (TestTraceOnsetAndSteadyTogether).
var steadyBlind = map[string]string{
	"nil-channel": "a trace states no reason for a goroutine blocked before it began, and the stack shows a receive, not that the channel is nil",
}

// rootHas reports whether fn is on a finding's root stack or names its root
// link.
func rootHas(f *Finding, fn string) bool {
	if len(f.Chain) > 0 && f.Chain[0].Function == fn {
		return true
	}
	for _, fr := range f.Root.Frames {
		if fr.Func == fn {
			return true
		}
	}
	return false
}

// A trace alone must be enough to diagnose: its principal category is the
// incident's (as the generator built it) or the one the dump of the same
// process gives, and the incident's root, or the dump's, is the root of
// one of its findings; the onset and the steady trace both do. A healthy
// service gets no high or critical finding from its traces.
func TestTraceAloneDiagnoses(t *testing.T) {
	for _, inc := range traceIncidents(t) {
		t.Run(inc.name, func(t *testing.T) {
			if why := traceBlind[inc.name]; why != "" {
				t.Skip(why)
			}
			dump := analyzeFiles(t, inc.dir, inc.dump)
			for _, kind := range []string{"trace-onset.out", "trace-steady.out"} {
				if why := steadyBlind[inc.name]; why != "" && kind == "trace-steady.out" {
					t.Logf("%s alone: %s", kind, why)
					continue
				}
				if why := onsetBlind[inc.name]; why != "" && kind == "trace-onset.out" {
					t.Logf("%s alone: %s", kind, why)
					continue
				}
				tr := analyzeFiles(t, inc.dir, kind)
				if inc.expect.Category == "" {
					if highest(tr) >= SevHigh {
						t.Errorf("%s: healthy service, yet the trace alone gives %s %s", kind, tr.Findings[0].Severity, tr.Findings[0].Category)
					}
					continue
				}
				if len(tr.Findings) == 0 {
					t.Errorf("%s: no finding from the trace alone", kind)
					continue
				}
				got := tr.Findings[0]
				cats := []Category{Category(inc.expect.Category)}
				if len(dump.Findings) > 0 {
					cats = append(cats, dump.Findings[0].Category)
				}
				if !slices.Contains(cats, got.Category) {
					t.Errorf("%s: principal category %s, want one of %v (the incident's, the dump's)", kind, got.Category, cats)
				}
				found := false
				var roots []string
				for _, f := range tr.Findings {
					roots = append(roots, rootApp(f))
					found = found || rootHas(f, inc.expect.RootFunction) || (len(dump.Findings) > 0 && rootApp(f) == rootApp(dump.Findings[0]))
				}
				if !found {
					t.Errorf("%s: neither the incident's root %s nor the dump's is a root of the trace's findings %v", kind, inc.expect.RootFunction, roots)
				}
				if !got.Root.Timed || got.TraceEnd <= 0 {
					t.Errorf("%s: principal finding not timed: root %+v trace end %v", kind, got.Root.Timed, got.TraceEnd)
				}
			}
		})
	}
}

// On an onset trace the root blocks after the incident began (the harness
// starts the trace 300 ms before it) and, in a lock or pool queue, no
// waiter queues long before it: the holder takes the lock and blocks inside
// it within moments, which the trace resolves to a few milliseconds. Every
// link is still blocked when the trace ends.
func TestTraceOnsetTiming(t *testing.T) {
	const (
		onset    = 250 * time.Millisecond
		lockToIO = 50 * time.Millisecond
	)
	for _, inc := range traceIncidents(t) {
		if inc.expect.Category == "" {
			continue
		}
		t.Run(inc.name, func(t *testing.T) {
			if why := traceBlind[inc.name]; why != "" {
				t.Skip(why)
			}
			if why := onsetBlind[inc.name]; why != "" {
				t.Skip(why)
			}
			r := analyzeFiles(t, inc.dir, "trace-onset.out")
			if len(r.Findings) == 0 {
				t.Fatal("no finding")
			}
			f := r.Findings[0]
			if !f.Root.Timed || f.Root.Since < onset || f.Root.Since > f.TraceEnd {
				t.Errorf("root blocked at +%v (timed %v), want after the onset at +%v and before the end +%v", f.Root.Since, f.Root.Timed, onset, f.TraceEnd)
			}
			for _, l := range f.Chain {
				if !l.Timed {
					t.Errorf("link %s %s not timed", l.Relation, l.Function)
					continue
				}
				if l.End != -1 || l.Start < 0 || l.Start > f.TraceEnd {
					t.Errorf("link %s: %v..%v outside a stuck span of a %v trace", l.Function, l.Start, l.End, f.TraceEnd)
				}
				queue := l.Category == CatMutexConvoy || l.Category == CatDBPoolExhausted
				if l.Depth > 0 && l.Relation == RelWaitsOn && queue && l.Start < f.Chain[0].Start-lockToIO {
					t.Errorf("waiters %s queued at +%v, before their holder blocked at +%v", l.Function, l.Start, f.Chain[0].Start)
				}
			}
			if !hasEvidence(f, "trace: ") {
				t.Error("no trace evidence")
			}
			checkWaiters(t, inc, f)
		})
	}
}

// checkWaiters asserts that a finding's chain links the incident's waiters
// under its root.
func checkWaiters(t *testing.T, inc traceIncident, f *Finding) {
	t.Helper()
	if inc.expect.WaiterFunction == "" || inc.expect.Waiters == 0 {
		return
	}
	for _, l := range f.Chain {
		if l.Depth > 0 && l.Group != nil && (l.Function == inc.expect.WaiterFunction || hasFrame(l.Group.Frames, inc.expect.WaiterFunction)) {
			return
		}
	}
	var links []string
	for _, l := range f.Chain {
		links = append(links, fmt.Sprintf("%d:%s", l.Depth, l.Function))
	}
	t.Errorf("no waiters in %s under the root; chain %v", inc.expect.WaiterFunction, links)
}

func hasEvidence(f *Finding, prefix string) bool {
	for _, e := range f.Evidence {
		if strings.HasPrefix(e.Text, prefix) {
			return true
		}
	}
	return false
}

// A dump and a trace of the same process join by goroutine ID: the dump's
// chain gets the trace's times.
func TestTraceJoinsDump(t *testing.T) {
	for _, inc := range traceIncidents(t) {
		if inc.name != "mutex-convoy" {
			continue
		}
		r := analyzeFiles(t, inc.dir, inc.dump, "trace-steady.out")
		if len(r.Findings) == 0 {
			t.Fatal("no finding")
		}
		f := r.Findings[0]
		if f.Category != CatMutexConvoy || !f.Root.Timed || f.Root.Since != 0 {
			t.Fatalf("principal %s root timed=%v since=%v; want a mutex convoy whose holder was blocked before the steady trace began",
				f.Category, f.Root.Timed, f.Root.Since)
		}
		for _, l := range f.Chain {
			if !l.Timed || l.Start != 0 || l.End != -1 {
				t.Errorf("link %s: timed=%v %v..%v, want blocked through the whole trace", l.Function, l.Timed, l.Start, l.End)
			}
		}
		if !hasEvidence(f, "trace: of ") {
			t.Error("no per-site wait statistics in the evidence")
		}
		return
	}
	t.Skip("no mutex-convoy fixture")
}

// A trace of another process shares low goroutine IDs with any dump (the
// runtime's own goroutines, main) but not where they are blocked: it must
// not time the dump's chain.
func TestTraceOfAnotherProcessNotJoined(t *testing.T) {
	root := fixtureRoot(t)
	convoy, pool := filepath.Join(root, "mutex-convoy"), filepath.Join(root, "db-pool-exhausted")
	for _, p := range []string{filepath.Join(convoy, "goroutine-debug2.txt"), filepath.Join(pool, "trace-steady.out")} {
		if _, err := os.Stat(p); err != nil {
			t.Skip(err)
		}
	}
	c, err := parser.Load([]string{filepath.Join(convoy, "goroutine-debug2.txt"), filepath.Join(pool, "trace-steady.out")}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, g := range c.Snapshots[0].Goroutines {
		if c.Traces[0].Goroutine(g.ID) != nil {
			shared++
		}
	}
	if shared == 0 {
		t.Skip("the two processes share no goroutine ID; nothing to test")
	}
	r, err := Analyze(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Root.Timed || f.TraceEnd != 0 {
			t.Errorf("%s: timed by another process's trace (%d IDs shared)", f.Category, shared)
		}
		for _, l := range f.Chain {
			if l.Timed {
				t.Errorf("%s link %s timed by another process's trace", f.Category, l.Function)
			}
		}
	}
}

// A steady trace alone knows nothing of goroutines created before it began;
// with the onset trace of the same process, its goroutines get their
// creation records (goroutine IDs are never reused): the db pool's holders,
// whose open transactions' helpers they created, and the WaitGroup's
// workers link to their waiters again, and the diagnosis is the
// incident's. The onset trace dates the root where it saw it block.
func TestTraceOnsetAndSteadyTogether(t *testing.T) {
	dated := 0
	for _, inc := range traceIncidents(t) {
		if inc.expect.Category == "" {
			continue
		}
		t.Run(inc.name, func(t *testing.T) {
			if why := traceBlind[inc.name]; why != "" {
				t.Skip(why)
			}
			r := analyzeFiles(t, inc.dir, "trace-onset.out", "trace-steady.out")
			if len(r.Findings) == 0 {
				t.Fatal("no finding")
			}
			f := r.Findings[0]
			if f.Category != Category(inc.expect.Category) || !rootHas(f, inc.expect.RootFunction) {
				t.Errorf("onset+steady: %s rooted at %s, want %s rooted at %s", f.Category, rootApp(f), inc.expect.Category, inc.expect.RootFunction)
			}
			// A polling loop blocks anew at every turn; anything else
			// has been blocked since long before the steady trace.
			if !f.Root.Timed || (f.Root.Since != 0 && f.Category != CatSleepPoll) {
				t.Errorf("root since +%v (timed %v): the steady trace began long after it blocked", f.Root.Since, f.Root.Timed)
			}
			// The onset trace, when it saw the root block, dates it from
			// its clock, within the onset trace's seconds.
			if onset := onsetBlock(t, inc, f); onset != nil && f.Category != CatSleepPoll {
				if f.Root.BlockedAt.IsZero() || !f.Root.BlockedAt.Equal(onset.at) {
					t.Errorf("root blocked at %v, want %v from the onset trace", f.Root.BlockedAt, onset.at)
				}
				dated++
			}
			checkWaiters(t, inc, f)
		})
	}
	if dated == 0 {
		t.Error("no root was dated by its onset trace")
	}
}

// block is when a goroutine blocked, by a trace's clock.
type block struct{ at time.Time }

// onsetBlock returns when the onset trace of inc saw f's root goroutine
// block where the dump shows it blocked, or nil when it did not (blocked
// before it, elsewhere, or not in it).
func onsetBlock(t *testing.T, inc traceIncident, f *Finding) *block {
	t.Helper()
	file, err := os.Open(filepath.Join(inc.dir, "trace-onset.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	tr, err := parser.ReadTrace(file, parser.Source{File: "trace-onset.out"})
	if err != nil {
		t.Fatal(err)
	}
	tg := tr.Goroutine(f.Root.GoroutineID)
	if tg == nil || tg.Stuck == nil || tg.Stuck.BeforeStart || tr.WallStart.IsZero() {
		return nil
	}
	i := parser.TellingFrame(f.Root.Frames)
	if i < 0 || !slices.ContainsFunc(tg.Stuck.Frames, func(fr parser.Frame) bool { return fr.Func == f.Root.Frames[i].Func }) {
		return nil // it blocked there again since: the wait the dump shows began later
	}
	return &block{at: tr.WallStart.Add(tg.Stuck.Start)}
}

// A trace is a continuous series of snapshots: the leak fixture's steady
// trace alone shows the group growing at the rate the generator leaks, as
// an attribute of the finding that explains the goroutines.
func TestTraceLeakRate(t *testing.T) {
	for _, inc := range traceIncidents(t) {
		data, err := os.ReadFile(filepath.Join(inc.dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Expect struct {
				LeakPerSecond float64 `json:"leak_per_second"`
			} `json:"expect"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Expect.LeakPerSecond <= 0 {
			continue
		}
		for _, kind := range []string{"trace-onset.out", "trace-steady.out"} {
			r := analyzeFiles(t, inc.dir, kind)
			if len(r.Findings) == 0 || r.Findings[0].Growth == nil {
				t.Errorf("%s: principal finding carries no growth\n%s", kind, describe(r, 3))
				continue
			}
			g := r.Findings[0].Growth
			want := m.Expect.LeakPerSecond * 60
			if !g.RateKnown || g.PerMinute < want/2 || g.PerMinute > want*2 || g.To <= g.From {
				t.Errorf("%s: growth %d -> %d at %.1f/min (known %v), want about %.0f/min", kind, g.From, g.To, g.PerMinute, g.RateKnown, want)
			}
		}
		return
	}
	t.Skip("no goroutine-leak fixture")
}
