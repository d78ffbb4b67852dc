package parser

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const zooPkg = "github.com/ctxhole/ctxhole/parser."

// findByFrame returns the goroutines with a frame whose function is fn.
func findByFrame(gs []*Goroutine, fn string) []*Goroutine {
	var out []*Goroutine
	for _, g := range gs {
		for _, f := range g.Frames {
			if f.Func == fn {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// frameOf returns g's first frame whose function is fn.
func frameOf(g *Goroutine, fn string) (Frame, bool) {
	for _, f := range g.Frames {
		if f.Func == fn {
			return f, true
		}
	}
	return Frame{}, false
}

// readOne parses raw and requires exactly one snapshot whose goroutine
// count equals the headers in raw.
func readOne(t *testing.T, raw []byte) *Snapshot {
	t.Helper()
	snaps, err := ReadText(bytes.NewReader(raw), "child")
	if err != nil {
		t.Fatalf("ReadText: %v\n%s", err, raw)
	}
	if len(snaps) != 1 {
		t.Fatalf("got %d snapshots, want 1", len(snaps))
	}
	if got, want := len(snaps[0].Goroutines), uniqueHeaders(raw); got != want {
		t.Fatalf("parsed %d goroutines, %d distinct goroutines in the dump's headers", got, want)
	}
	seen := map[int64]bool{}
	for _, g := range snaps[0].Goroutines {
		if seen[g.ID] && g.ID != 0 {
			t.Errorf("goroutine %d listed twice", g.ID)
		}
		seen[g.ID] = true
	}
	return snaps[0]
}

// uniqueHeaders counts the goroutines a single dump's headers name: each
// ID once (a GOTRACEBACK=crash dump lists running goroutines again in
// their thread's section), every "goroutine 0" (a thread's g0).
func uniqueHeaders(raw []byte) int {
	ids := map[string]bool{}
	n := 0
	for _, h := range headerLine.FindAll(raw, -1) {
		id := strings.Fields(string(h))[1]
		if id == "0" || !ids[id] {
			n++
		}
		ids[id] = true
	}
	return n
}

// zooExpect is what each zoo goroutine must parse to.
var zooExpect = []struct {
	fn     string
	n      int
	state  string
	reason string
}{
	{"zooChanRecv", 3, "chan receive", "chan receive"},
	{"zooChanSend", 1, "chan send", "chan send"},
	{"zooSelect", 1, "select", "select"},
	{"zooNilChan", 1, "chan receive (nil chan)", "chan receive (nil chan)"},
	{"zooMutex", 2, "sync.Mutex.Lock", "sync.Mutex.Lock"},
	{"zooRLock", 1, "sync.RWMutex.RLock", "sync.RWMutex.RLock"},
	{"zooWaitGroup", 1, "sync.WaitGroup.Wait", "sync.WaitGroup.Wait"},
	{"zooCond", 1, "sync.Cond.Wait", "sync.Cond.Wait"},
	{"zooSleep", 1, "sleep", "sleep"},
	{"zooLocked", 1, "chan receive", "chan receive"},
	{"zooLabelled", 1, "chan receive", "chan receive"},
}

// checkZoo asserts the fields every dump of the zoo must carry.
func checkZoo(t *testing.T, d childDump, s *Snapshot, withNet bool) {
	t.Helper()
	gs := s.Goroutines
	for _, want := range zooExpect {
		got := findByFrame(gs, zooPkg+want.fn)
		if len(got) != want.n {
			t.Errorf("%s: %d goroutines, want %d", want.fn, len(got), want.n)
			continue
		}
		for _, g := range got {
			if g.State != want.state || g.Status != StatusWaiting || g.Reason != want.reason {
				t.Errorf("%s: goroutine %d state %q status %v reason %q, want %q waiting %q", want.fn, g.ID, g.State, g.Status, g.Reason, want.state, want.reason)
			}
			if g.Count != 1 || g.ID <= 0 || g.Line <= 0 {
				t.Errorf("%s: count %d id %d line %d", want.fn, g.Count, g.ID, g.Line)
			}
			cb := g.CreatedBy
			if cb == nil || !strings.HasPrefix(cb.Func, zooPkg+"(*zoo).start") || cb.Parent <= 0 || !strings.HasSuffix(cb.File, "textchild_test.go") || cb.Line <= 0 || cb.Offset == 0 {
				t.Errorf("%s: created by %+v", want.fn, cb)
			}
			for _, f := range g.Frames {
				if f.File == "" || f.Line <= 0 || (!f.Inlined && f.Offset == 0 && f.Func != "runtime.goexit") {
					t.Errorf("%s: frame %+v incomplete", want.fn, f)
				}
			}
		}
	}
	// The waiters of one lock carry its address in the lock frame's first
	// argument word.
	for _, g := range findByFrame(gs, zooPkg+"zooMutex") {
		i := slices.IndexFunc(g.Frames, func(f Frame) bool { return f.Func == "internal/sync.(*Mutex).lockSlow" })
		if i < 0 || len(g.Args(i)) == 0 || g.Args(i)[0].Value != d.addrs["mutex"] {
			t.Errorf("zooMutex goroutine %d: lockSlow frame %d of %+v, want first arg %#x", g.ID, i, g.Frames, d.addrs["mutex"])
		}
	}
	if g := findByFrame(gs, zooPkg+"zooLocked"); len(g) == 1 && !g[0].LockedToThread {
		t.Errorf("zooLocked: LockedToThread false")
	}
	if g := findByFrame(gs, zooPkg+"zooDeep"); len(g) == 1 {
		// The runtime prints the innermost 50 and outermost 50 frames.
		if g[0].Elided <= 0 || len(g[0].Frames) != 100 {
			t.Errorf("zooDeep: elided %d with %d frames, want > 0 with 100", g[0].Elided, len(g[0].Frames))
		}
	}
	if withNet {
		g := findByFrame(gs, zooPkg+"zooNetRead")
		if len(g) != 1 || g[0].Reason != "IO wait" {
			t.Fatalf("zooNetRead: %d goroutines %+v", len(g), g)
		}
		f, ok := frameOf(g[0], "internal/poll.(*pollDesc).waitRead")
		if !ok || !f.Inlined || f.Offset != 0 || f.ArgCount() != 0 || f.Line <= 0 {
			t.Errorf("inlined waitRead frame: %+v", f)
		}
	}
	// Identical goroutines group together even though they were created
	// by one goroutine each time ("in goroutine N" is a link, not identity).
	for _, grp := range GroupGoroutines(gs) {
		if _, ok := frameOf(grp.First(), zooPkg+"zooChanRecv"); ok && grp.Count != 3 {
			t.Errorf("zooChanRecv group has %d members, want 3", grp.Count)
		}
	}
}

func TestReadTextLive(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		env     []string
		sigquit bool
		stderr  bool
		withNet bool
		check   func(t *testing.T, d childDump, s *Snapshot)
	}{
		{name: "runtime.Stack", mode: "stack", withNet: true, check: func(t *testing.T, d childDump, s *Snapshot) {
			if s.Goroutines[0].Status != StatusRunning || s.Goroutines[0].M != -1 || s.Goroutines[0].GP != 0 {
				t.Errorf("first goroutine %+v, want the running caller without gp/m", s.Goroutines[0])
			}
		}},
		{name: "pprof debug=2 with labels", mode: "pprof", withNet: true, env: []string{"GODEBUG=tracebacklabels=1"}, check: func(t *testing.T, d childDump, s *Snapshot) {
			g := findByFrame(s.Goroutines, zooPkg+"zooLabelled")
			want := []Label{{"job", "sync"}, {"request", "r-42"}}
			if len(g) != 1 || !slices.Equal(g[0].Labels, want) {
				t.Errorf("labels: %+v, want %v", g, want)
			}
		}},
		{name: "ancestors", mode: "stack", env: []string{"GODEBUG=tracebackancestors=2"}, check: func(t *testing.T, d childDump, s *Snapshot) {
			for _, g := range findByFrame(s.Goroutines, zooPkg+"zooChanRecv") {
				if len(g.Ancestors) == 0 || g.Ancestors[0].ID != g.CreatedBy.Parent || len(g.Ancestors[0].Frames) == 0 || g.Ancestors[0].Frames[0].Inlined {
					t.Errorf("goroutine %d ancestors %+v, want the creator %d first", g.ID, g.Ancestors, g.CreatedBy.Parent)
				}
			}
		}},
		{name: "panic system", mode: "panic", stderr: true, env: []string{"GOTRACEBACK=system"}, check: func(t *testing.T, d childDump, s *Snapshot) {
			if !slices.Equal(s.Preamble.Panic, []string{"boom [recovered, repanicked]"}) {
				t.Errorf("panic preamble %q", s.Preamble.Panic)
			}
			checkSystem(t, s)
		}},
		{name: "repanic", mode: "repanic", stderr: true, check: func(t *testing.T, d childDump, s *Snapshot) {
			p := s.Preamble.Panic
			if len(p) != 2 || p[0] != "first [recovered]" || p[1] != "first again [recovered, repanicked]" {
				t.Errorf("panic preamble %q", p)
			}
		}},
		{name: "SIGQUIT system", mode: "sigquit", sigquit: true, stderr: true, withNet: true, env: []string{"GOTRACEBACK=system"}, check: func(t *testing.T, d childDump, s *Snapshot) {
			if s.Preamble.Signal != "SIGQUIT: quit" {
				t.Errorf("signal %q", s.Preamble.Signal)
			}
			checkSystem(t, s)
		}},
		{name: "SIGQUIT crash", mode: "sigquit", sigquit: true, stderr: true, withNet: true, env: []string{"GOTRACEBACK=crash"}, check: func(t *testing.T, d childDump, s *Snapshot) {
			if s.Preamble.Signal != "SIGQUIT: quit" || !bytes.Contains(d.stderr, []byte("\n-----\n")) {
				t.Errorf("signal %q", s.Preamble.Signal)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := runChild(t, tt.mode, tt.sigquit, nil, tt.env...)
			raw := d.stdout
			if tt.stderr {
				raw = d.stderr
			}
			s := readOne(t, raw)
			for _, w := range s.Warnings {
				t.Errorf("warning: %v", w)
			}
			if s.Truncated {
				t.Errorf("truncated")
			}
			checkZoo(t, d, s, tt.withNet)
			if tt.check != nil {
				tt.check(t, d, s)
			}
		})
	}
}

// checkSystem asserts the GOTRACEBACK=system fields: gp/m on every header
// and pc on every frame that is not inlined.
func checkSystem(t *testing.T, s *Snapshot) {
	t.Helper()
	for _, g := range s.Goroutines {
		if g.GP == 0 {
			t.Errorf("goroutine %d: no gp", g.ID)
		}
		if g.Status == StatusRunning && g.M < 0 && !g.StackUnavailable {
			t.Errorf("running goroutine %d: m %d", g.ID, g.M)
		}
		for _, f := range g.Frames {
			if !f.Inlined && f.PC == 0 {
				t.Errorf("goroutine %d frame %s: no pc", g.ID, f.Func)
			}
		}
	}
}

// deadlockProgram is a program the runtime declares deadlocked: the test
// binary cannot be, its signal handling goroutine keeps a thread in the
// scheduler's eyes.
const deadlockProgram = `package main

func worker(ch chan int) { <-ch }

func main() {
	ch := make(chan int)
	go worker(ch)
	select {}
}
`

// buildProgram builds src as a main package with the go command and
// returns the executable's path.
func buildProgram(t *testing.T, src string, env []string, buildFlags ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a program")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command(goCmd, append(append([]string{"build", "-o", "prog"}, buildFlags...), "main.go")...)
	build.Dir = dir
	build.Env = append(append(os.Environ(), "GO111MODULE=off", "GOFLAGS="), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cannot build with %v: %v\n%s", buildFlags, err, out)
	}
	return filepath.Join(dir, "prog")
}

// runFailing runs a program expected to fail and returns its standard
// error.
func runFailing(t *testing.T, prog string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(prog, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("%s %v exited cleanly", prog, args)
	}
	return stderr.Bytes()
}

// runProgram builds and runs src and returns its standard error; the
// program is expected to fail.
func runProgram(t *testing.T, src string, env []string, buildFlags ...string) []byte {
	t.Helper()
	return runFailing(t, buildProgram(t, src, env, buildFlags...))
}

// crashProgram dies in the way its argument names.
const crashProgram = `package main

import (
	"errors"
	"os"
)

type node struct{ next *node }

func recurse(n int) int { return recurse(n+1) + 1 }

func main() {
	switch os.Args[1] {
	case "nil":
		var n *node
		println(n.next)
	case "multiline":
		panic(errors.New("first line\nsecond line"))
	case "overflow":
		recurse(0)
	}
}
`

// TestReadTextCrashPreambles reads the preambles of real crashes: a nil
// dereference (a "[signal SIGSEGV ...]" line), a panic value over several
// lines, and a stack overflow (runtime diagnostics, "fatal error:" and a
// "runtime stack:" section before the goroutines).
func TestReadTextCrashPreambles(t *testing.T) {
	t.Parallel()
	prog := buildProgram(t, crashProgram, nil)
	tests := []struct {
		mode string
		want func(p Preamble) bool
	}{
		{"nil", func(p Preamble) bool {
			return slices.Equal(p.Panic, []string{"runtime error: invalid memory address or nil pointer dereference"}) &&
				strings.HasPrefix(p.Signal, "SIGSEGV: segmentation violation code=")
		}},
		{"multiline", func(p Preamble) bool { return slices.Equal(p.Panic, []string{"first line\nsecond line"}) }},
		{"overflow", func(p Preamble) bool { return p.Fatal == "stack overflow" && p.Panic == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			raw := runFailing(t, prog, tt.mode)
			s := readOne(t, raw)
			if !tt.want(s.Preamble) {
				t.Errorf("preamble %+v\n%s", s.Preamble, raw[:min(len(raw), 600)])
			}
			if len(s.Warnings) != 0 || s.Source.Line != 1 && tt.mode != "overflow" {
				t.Errorf("warnings %v, starts at line %d", s.Warnings, s.Source.Line)
			}
			if g := s.Goroutines[0]; g.ID != 1 || g.Status != StatusRunning || len(g.Frames) == 0 {
				t.Errorf("first goroutine %+v", g)
			}
		})
	}
}

func TestReadTextDeadlock(t *testing.T) {
	t.Parallel()
	s := readOne(t, runProgram(t, deadlockProgram, nil))
	if s.Preamble.Fatal != "all goroutines are asleep - deadlock!" || !s.Preamble.Deadlock() {
		t.Errorf("preamble %+v", s.Preamble)
	}
	if len(s.Warnings) != 0 || s.Source.Line != 1 || len(s.Goroutines) != 2 {
		t.Errorf("warnings %v, snapshot line %d, %d goroutines", s.Warnings, s.Source.Line, len(s.Goroutines))
	}
	if w := findByFrame(s.Goroutines, "main.worker"); len(w) != 1 || w[0].Reason != "chan receive" || w[0].CreatedBy == nil || w[0].CreatedBy.Parent != 1 {
		t.Errorf("worker: %+v", w)
	}
}

// raceProgram reports a data race, prints all stacks, then panics: the
// race report must not derail either dump.
const raceProgram = `package main

import (
	"os"
	"runtime"
	"time"
)

var x int

func writer() { x++ }

func parked(ch chan int) { <-ch }

func main() {
	ch := make(chan int)
	for range 3 {
		go parked(ch)
	}
	go writer()
	go writer()
	time.Sleep(200 * time.Millisecond)
	buf := make([]byte, 1<<20)
	os.Stderr.Write(buf[:runtime.Stack(buf, true)])
	panic("after race")
}
`

func TestReadTextRaceReport(t *testing.T) {
	t.Parallel()
	raw := runProgram(t, raceProgram, nil, "-race")
	if !bytes.Contains(raw, []byte("WARNING: DATA RACE")) {
		t.Fatalf("no race report:\n%s", raw)
	}
	snaps, err := ReadText(bytes.NewReader(raw), "race")
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots, want the Stack dump and the panic", len(snaps))
	}
	total := 0
	for i, s := range snaps {
		total += len(s.Goroutines)
		if len(s.Warnings) != 0 {
			t.Errorf("snapshot %d warnings %v", i, s.Warnings)
		}
	}
	// The panic prints only the panicking goroutine (GOTRACEBACK=single).
	if p := findByFrame(snaps[0].Goroutines, "main.parked"); len(p) != 3 || len(snaps[1].Goroutines) != 1 {
		t.Errorf("%d parked goroutines in the Stack dump, want 3; %d in the panic, want 1", len(p), len(snaps[1].Goroutines))
	}
	if total != countHeaders(raw) {
		t.Errorf("%d goroutines, %d headers", total, countHeaders(raw))
	}
	if snaps[0].Preamble.Panic != nil || !slices.Equal(snaps[1].Preamble.Panic, []string{"after race"}) {
		t.Errorf("preambles %+v / %+v", snaps[0].Preamble, snaps[1].Preamble)
	}
}

func TestReadTextTestTimeout(t *testing.T) {
	t.Parallel()
	d := runChild(t, "hang", false, []string{"-test.run=^TestTextChild$", "-test.timeout=1s"})
	raw := append(append([]byte(nil), d.stdout...), d.stderr...)
	s := readOne(t, raw)
	if s.Preamble.TestTimeout != "1s" || len(s.Preamble.RunningTests) != 1 || !strings.HasPrefix(s.Preamble.RunningTests[0], "TestTextChild (") {
		t.Errorf("preamble %+v", s.Preamble)
	}
	if !slices.Equal(s.Preamble.Panic, []string{"test timed out after 1s"}) {
		t.Errorf("panic %q", s.Preamble.Panic)
	}
	checkZoo(t, d, s, false)
}

// TestReadTextTwoDumps reads two runtime.Stack dumps of one process with a
// log line between them: two snapshots, each complete.
func TestReadTextTwoDumps(t *testing.T) {
	t.Parallel()
	d := runChild(t, "stack2", false, nil)
	snaps, err := ReadText(bytes.NewReader(d.stdout), "two")
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots, want 2", len(snaps))
	}
	total := 0
	for i, s := range snaps {
		total += len(s.Goroutines)
		if s.Source.Index != i || s.Goroutines[0].Status != StatusRunning || len(s.Warnings) != 0 {
			t.Errorf("snapshot %d: index %d first %v warnings %v", i, s.Source.Index, s.Goroutines[0].Status, s.Warnings)
		}
		checkZoo(t, d, s, false)
	}
	if want := countHeaders(d.stdout); total != want {
		t.Errorf("%d goroutines in all, %d headers", total, want)
	}
	if snaps[1].Source.Line <= snaps[0].Goroutines[len(snaps[0].Goroutines)-1].Line {
		t.Errorf("second snapshot starts at line %d", snaps[1].Source.Line)
	}
}

// leakProgram writes the Go 1.26 goroutine leak profile at debug=2: the
// goroutines blocked on channels nothing can reach print "(leaked)".
const leakProgram = `package main

import (
	"os"
	"runtime/pprof"
	"time"
)

func leak() {
	ch := make(chan int)
	<-ch
}

func main() {
	for range 4 {
		go leak()
	}
	time.Sleep(100 * time.Millisecond)
	pprof.Lookup("goroutineleak").WriteTo(os.Stderr, 2)
	os.Exit(1)
}
`

func TestReadTextLeakProfile(t *testing.T) {
	t.Parallel()
	raw := runProgram(t, leakProgram, []string{"GOEXPERIMENT=goroutineleakprofile"})
	s := readOne(t, raw)
	leaked := findByFrame(s.Goroutines, "main.leak")
	if len(leaked) != 4 {
		t.Fatalf("%d leaked goroutines, want 4:\n%s", len(leaked), raw)
	}
	for _, g := range leaked {
		if g.Status != StatusLeaked || g.Reason != "chan receive" || g.State != "chan receive" || !g.Blocked() {
			t.Errorf("goroutine %d: status %v reason %q state %q", g.ID, g.Status, g.Reason, g.State)
		}
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings %v", s.Warnings)
	}
}

// TestReadTextSynctest reads a dump taken inside a testing/synctest
// bubble: bubbled goroutines carry the bubble ID and durable waits.
func TestReadTextSynctest(t *testing.T) {
	t.Parallel()
	d := runChild(t, "synctest", false, nil)
	s := readOne(t, dumpPart(t, d.stdout))
	recv := findByFrame(s.Goroutines, zooPkg+"zooBubbleRecv")
	cond := findByFrame(s.Goroutines, zooPkg+"zooBubbleCond")
	if len(recv) != 1 || len(cond) != 1 {
		t.Fatalf("%d receivers, %d cond waiters", len(recv), len(cond))
	}
	r, c := recv[0], cond[0]
	if r.Bubble == 0 || r.Bubble != c.Bubble || !r.Durable || r.Reason != "chan receive (durable)" || r.Status != StatusWaiting {
		t.Errorf("receiver: bubble %d durable %v reason %q", r.Bubble, r.Durable, r.Reason)
	}
	if !c.Durable || c.Reason != "sync.Cond.Wait" || c.State != "sync.Cond.Wait" {
		t.Errorf("cond waiter: durable %v reason %q state %q", c.Durable, c.Reason, c.State)
	}
}
