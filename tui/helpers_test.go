package tui

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

var update = flag.Bool("update", false, "rewrite the golden frames in testdata/")

// repoRoot walks up from the package directory to the module root.
func repoRoot(t testing.TB) string {
	t.Helper()
	return testrepo.MustRoot(t)
}

// loadFixture parses one capture file of an incident fixture.
func loadFixture(t testing.TB, incident, file string) *parser.Capture {
	t.Helper()
	path := filepath.Join(repoRoot(t), "fixtures", "captures", incident, file)
	// Load by a path relative to the package, so that frames name it the
	// same way on every machine.
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil {
			path = rel
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("fixture %s not present: %v", path, err)
	}
	c, err := parser.Load([]string{path}, parser.Options{})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return c
}

// groupWith returns the first group of the snapshot whose stack calls fn.
func groupWith(t testing.TB, groups []*parser.Group, fn string) *parser.Group {
	t.Helper()
	for _, g := range groups {
		for _, f := range g.Frames {
			if f.Func == fn {
				return g
			}
		}
	}
	t.Fatalf("no group calls %s", fn)
	return nil
}

func frameIndex(frames []parser.Frame, fn string) int {
	for i, f := range frames {
		if f.Func == fn {
			return i
		}
	}
	return -1
}

// pqFinding builds, from the real groups of the db-driver-no-ctx dump, the
// finding the detectors are specified to produce for it: handlers stuck in
// lib/pq's start-up (the root), background queries queued for a pool slot
// behind them, and the pool's opener sharing the *sql.DB. The goldens use
// it rather than detectors.Analyze so that they change only when the UI
// does.
func pqFinding(t testing.TB, c *parser.Capture) *detectors.Diagnosis {
	t.Helper()
	groups := parser.GroupGoroutines(c.Snapshots[0].Goroutines)
	root := groupWith(t, groups, "github.com/lib/pq.(*conn).startup")
	waiters := groupWith(t, groups, "main.(*server).reconcile")
	opener := groupWith(t, groups, "database/sql.(*DB).connectionOpener")
	rf := root.First()
	link := func(depth int, rel detectors.Relation, cat detectors.Category, g *parser.Group, fn string) detectors.Link {
		fr := g.Frames[frameIndex(g.Frames, fn)]
		return detectors.Link{Depth: depth, Relation: rel, Category: cat, Goroutines: g.Count, IDs: g.IDs,
			Function: fr.Func, File: fr.File, Line: fr.Line, State: g.State, WaitMax: g.WaitMax,
			WaitKnown: g.WaitKnown > 0, Group: g, End: -1}
	}
	f := &detectors.Finding{
		Category:   detectors.CatDBDriverNoCtx,
		Severity:   detectors.SevCritical,
		Confidence: 0.9,
		Reasons:    []string{"lib/pq start-up frame matched", "blocked in IO wait for 2 minutes"},
		Title:      "4 goroutines stuck in lib/pq (*conn).startup, which the request context cannot interrupt",
		Explanation: "lib/pq reads the server's start-up reply with no deadline: without connect_timeout " +
			"a silent server holds the pool's connections for as long as TCP keeps the socket open.",
		Goroutines: root.Count + waiters.Count + opener.Count,
		IDs:        root.IDs,
		WaitMin:    root.WaitMin,
		WaitMax:    root.WaitMax,
		WaitKnown:  true,
		Root: detectors.Root{GoroutineID: rf.ID, Group: root, Frames: root.Frames,
			AppFrame: frameIndex(root.Frames, "main.(*server).orderStatus"), State: rf.State, Wait: rf.Wait, WaitKnown: rf.WaitKnown},
		Chain: []detectors.Link{
			link(0, detectors.RelRoot, detectors.CatDBDriverNoCtx, root, "github.com/lib/pq.(*conn).startup"),
			link(1, detectors.RelWaitsOn, detectors.CatDBPoolExhausted, waiters, "database/sql.(*DB).conn"),
			link(1, detectors.RelSameObject, detectors.CatDBPoolExhausted, opener, "database/sql.(*DB).connectionOpener"),
		},
		Evidence: []detectors.Evidence{
			{Kind: "frame", Text: "github.com/lib/pq.(*conn).startup at conn.go:1255", GoroutineID: rf.ID},
			{Kind: "wait", Text: "IO wait for 2 minutes"},
		},
		Fix: detectors.Fix{
			Summary: "Set connect_timeout in the lib/pq connection string",
			Detail:  "connect_timeout bounds the dial and the start-up exchange.",
			Code:    "db, err := sql.Open(\"postgres\",\n\t\"host=db user=app connect_timeout=5\")",
		},
	}
	second := &detectors.Finding{
		Category: detectors.CatDBPoolExhausted, Severity: detectors.SevHigh, Confidence: 0.7,
		Title: "background queries queued for a connection", Goroutines: waiters.Count,
		WaitMax: waiters.WaitMax, WaitKnown: true,
		Root:  detectors.Root{Group: waiters, Frames: waiters.Frames, AppFrame: frameIndex(waiters.Frames, "main.(*server).reconcile")},
		Chain: []detectors.Link{link(0, detectors.RelRoot, detectors.CatDBPoolExhausted, waiters, "database/sql.(*DB).conn")},
		Fix:   detectors.Fix{Summary: "Bound the query with a context deadline"},
	}
	return &detectors.Diagnosis{Findings: []*detectors.Finding{f, second}}
}

// newTestModel builds a model at a fixed size with colour off, so frames
// are plain text.
func newTestModel(t testing.TB, c *parser.Capture, r *detectors.Diagnosis, w, h int) *model {
	t.Helper()
	m := newModel(c, r, Options{ExportDir: t.TempDir()}, newRenderer(io.Discard, true))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// keyMsg turns a key name as the key map spells it into a tea.KeyMsg.
func keyMsg(k string) tea.KeyMsg {
	special := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"backspace": tea.KeyBackspace, "pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
		"ctrl+c": tea.KeyCtrlC, "ctrl+u": tea.KeyCtrlU, "home": tea.KeyHome, "end": tea.KeyEnd,
	}
	if t, ok := special[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends keys in order and returns the command of the last one.
func press(m *model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

// typeText sends each rune of s as a key.
func typeText(m *model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// screen renders the model's frame.
func screen(m *model) string { return m.View() }

func mustContain(t *testing.T, frame string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(frame, w) {
			t.Errorf("frame lacks %q:\n%s", w, frame)
		}
	}
}

// traceFinding builds, from the real trace of the db-driver-no-ctx
// incident, the timed chain the trace pass is specified to produce: the
// lib/pq start-ups blocked first, then the queries queued behind them.
func traceFinding(t testing.TB, c *parser.Capture) *detectors.Diagnosis {
	t.Helper()
	if len(c.Traces) == 0 {
		t.Fatal("no trace in the capture")
	}
	tr := c.Traces[0]
	link := func(depth int, rel detectors.Relation, cat detectors.Category, fn string, entry string) detectors.Link {
		l := detectors.Link{Depth: depth, Relation: rel, Category: cat, Function: fn, Timed: true, Start: -1, End: -1}
		for _, g := range tr.Goroutines {
			if g.Stuck == nil || tellingFunc(g.Stuck.Frames) != fn || (entry != "" && g.Func != entry) {
				continue
			}
			l.Goroutines++
			l.IDs = append(l.IDs, g.ID)
			if l.Start < 0 || g.Stuck.Start < l.Start {
				l.Start = g.Stuck.Start
			}
		}
		for _, e := range tr.Edges {
			if len(e.WaiterFrames) > 0 && tellingFunc(e.WaiterFrames) == fn {
				l.Wakes = append(l.Wakes, e)
			}
		}
		if l.Goroutines == 0 {
			t.Fatalf("no goroutine of the trace is stuck in %s", fn)
		}
		return l
	}
	f := &detectors.Finding{
		Category: detectors.CatDBDriverNoCtx, Severity: detectors.SevCritical, Confidence: 0.9,
		Title: "lib/pq start-ups blocked from the onset, queries queued behind them",
		Root:  detectors.Root{AppFrame: -1, Timed: true},
		Chain: []detectors.Link{
			link(0, detectors.RelRoot, detectors.CatDBDriverNoCtx, "github.com/lib/pq.(*conn).recvMessage", ""),
			link(1, detectors.RelWaitsOn, detectors.CatDBPoolExhausted, "database/sql.(*DB).conn", "main.(*server).reconcile"),
			link(1, detectors.RelWaitsOn, detectors.CatDBPoolExhausted, "database/sql.(*DB).conn", "net/http.(*conn).serve"),
		},
		Fix: detectors.Fix{Summary: "Set connect_timeout in the lib/pq connection string"},
	}
	f.Root.Since = f.Chain[0].Start
	return &detectors.Diagnosis{Findings: []*detectors.Finding{f}}
}
