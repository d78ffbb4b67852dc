package tui

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
)

func TestFindingsNavigation(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	r := pqFinding(t, c)
	tests := []struct {
		name      string
		keys      []string
		cursor    int
		focus     focus
		node      int
		frame     int // -1: the last frame; with fromStart, counted from where the cursor enters the stack
		fromStart bool
		collapsed bool
	}{
		{"opening screen", nil, 0, focusList, 0, 0, false, false},
		{"down moves the list", []string{"j"}, 1, focusList, 0, 0, false, false},
		{"down stops at the end", []string{"j", "j", "down", "G"}, 1, focusList, 0, 0, false, false},
		{"up stops at the top", []string{"k", "up", "g"}, 0, focusList, 0, 0, false, false},
		{"enter focuses the chain", []string{"enter"}, 0, focusChain, 0, 0, false, false},
		{"down walks the chain", []string{"enter", "j", "j"}, 0, focusChain, 2, 0, false, false},
		{"chain cursor stops at the last link", []string{"enter", "j", "j", "j"}, 0, focusChain, 2, 0, false, false},
		{"enter opens the link's stack", []string{"enter", "j", "enter", "j", "j"}, 0, focusStack, 1, 2, true, false},
		{"stack cursor is clamped", []string{"enter", "enter", "G", "j"}, 0, focusStack, 0, -1, false, false},
		{"esc backs out of the stack", []string{"enter", "enter", "esc"}, 0, focusChain, 0, 0, true, false},
		{"the stack opens on the blocking call (pq startup)", []string{"enter", "enter"}, 0, focusStack, 0, 11, false, false},
		{"backspace backs out to the list", []string{"enter", "enter", "backspace", "backspace"}, 0, focusList, 0, 0, true, false},
		{"left collapses the root", []string{"enter", "h"}, 0, focusChain, 0, 0, false, true},
		{"down on a collapsed root stays", []string{"enter", "h", "j"}, 0, focusChain, 0, 0, false, true},
		{"right expands again", []string{"enter", "h", "l", "j"}, 0, focusChain, 1, 0, false, false},
		{"left on a leaf moves to its parent", []string{"enter", "j", "j", "h"}, 0, focusChain, 0, 0, false, false},
		{"moving the list resets the chain", []string{"enter", "j", "esc", "j", "k"}, 0, focusList, 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, c, r, 80, 24)
			press(m, tt.keys...)
			fs := m.fv
			stack := m.currentFinding().nodes[fs.node].frames()
			switch {
			case tt.frame < 0:
				tt.frame = len(stack) - 1
			case tt.fromStart:
				tt.frame += startFrame(stack)
			}
			if fs.list.cursor != tt.cursor || fs.focus != tt.focus || fs.node != tt.node || fs.frame != tt.frame {
				t.Errorf("cursor %d focus %d node %d frame %d; want %d %d %d %d",
					fs.list.cursor, fs.focus, fs.node, fs.frame, tt.cursor, tt.focus, tt.node, tt.frame)
			}
			if got := fs.collapsed[[2]int{1, 0}]; got != tt.collapsed {
				t.Errorf("root collapsed = %v, want %v", got, tt.collapsed)
			}
		})
	}
}

func TestViewSwitching(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	steps := []struct {
		key  string
		want view
	}{
		{"tab", viewBrowser}, {"tab", viewTimeline}, {"tab", viewFindings},
		{"shift+tab", viewTimeline}, {"1", viewFindings}, {"3", viewTimeline}, {"2", viewBrowser},
	}
	for _, s := range steps {
		press(m, s.key)
		if m.view != s.want {
			t.Fatalf("after %q: view %d, want %d", s.key, m.view, s.want)
		}
	}
	if cmd := press(m, "q"); !isQuit(cmd) {
		t.Error("q does not quit")
	}
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

func TestHelpOverlay(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 100, 40)
	press(m, "?")
	frame := screen(m)
	for _, sec := range m.keys.helpSections() {
		for _, b := range sec.keys {
			mustContain(t, frame, b.Help().Key, b.Help().Desc)
		}
	}
	press(m, "j") // scrolls the help, does not move the list
	if !m.help || m.fv.list.cursor != 0 {
		t.Fatalf("help %v cursor %d after j in help", m.help, m.fv.list.cursor)
	}
	press(m, "esc")
	if m.help {
		t.Error("esc does not close the help")
	}
}

func TestBrowserFilters(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	groups := parser.GroupGoroutines(c.Snapshots[0].Goroutines)
	count := func(pred func(*parser.Group) bool) int {
		n := 0
		for _, g := range groups {
			if pred(g) {
				n++
			}
		}
		return n
	}
	calls := func(sub string) func(*parser.Group) bool {
		return func(g *parser.Group) bool {
			for _, f := range g.Frames {
				if strings.Contains(strings.ToLower(f.Func+" "+f.File), sub) {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name string
		keys []string
		text string
		want int
	}{
		{"no filter", nil, "", len(groups)},
		{"package text", []string{"/"}, "lib/pq", count(calls("lib/pq"))},
		{"case-insensitive function", []string{"/"}, "CONNECTIONOPENER", 1},
		{"file name", []string{"/"}, "server.go", count(calls("server.go"))},
		{"two tokens must both match", []string{"/"}, "pq reconcile", 0},
		{"state cycle starts with the most goroutines", []string{"s"}, "", count(func(g *parser.Group) bool { return g.State == "select" })},
		{"state cycle goes on by size", []string{"s", "s"}, "", count(func(g *parser.Group) bool { return g.State == "IO wait" })},
		{"minimum wait 1m", []string{"w"}, "", count(func(g *parser.Group) bool { return g.WaitKnown > 0 && g.WaitMax >= time.Minute })},
		{"minimum wait 5m", []string{"w", "w"}, "", 0},
		{"esc clears", []string{"w", "s", "esc"}, "", len(groups)},
		{"state cycles back to all", []string{"s", "s", "s", "s", "s", "s"}, "", len(groups)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, c, nil, 80, 24)
			press(m, "2")
			press(m, tt.keys...)
			if tt.text != "" {
				typeText(m, tt.text)
				press(m, "enter")
			}
			if got := len(m.bv.visible); got != tt.want {
				t.Errorf("%d groups visible, want %d (filter %s)", got, tt.want, m.bv.filter.describe())
			}
		})
	}
}

func TestBrowserOpenGroup(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, nil, 80, 60)
	press(m, "2", "/")
	typeText(m, "startup")
	press(m, "enter", "enter")
	if !m.bv.open {
		t.Fatal("enter does not open the group")
	}
	g := m.currentGroup().g
	frame := screen(m)
	mustContain(t, frame, fmtIDs(g.GoroutineIDs, 40), "github.com/lib/pq@v1.12.3/conn.go:1070")
	press(m, "j", "j")
	if m.bv.frame != 2 {
		t.Errorf("frame cursor %d, want 2", m.bv.frame)
	}
	press(m, "esc")
	if m.bv.open || m.bv.filter.query != "startup" {
		t.Errorf("esc: open %v query %q; want the list, filter kept", m.bv.open, m.bv.filter.query)
	}
}

func TestFilterEscRestores(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	press(m, "/")
	typeText(m, "reconcile")
	if len(m.fv.visible) != 1 || m.currentFinding().rank != 2 {
		t.Fatalf("live filter: %d visible", len(m.fv.visible))
	}
	press(m, "backspace", "esc")
	if m.fv.query != "" || len(m.fv.visible) != 2 || m.input != nil {
		t.Errorf("esc: query %q, %d visible, input open %v", m.fv.query, len(m.fv.visible), m.input != nil)
	}
}

func TestExport(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	press(m, "j", "y")
	path := m.opts.ExportDir + "/ctxhole-finding-2-db-pool-exhausted.json"
	if !strings.Contains(m.status, path) {
		t.Fatalf("status %q does not say where (%s)", m.status, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		SchemaVersion string `json:"schema_version"`
		Finding       struct {
			Rank     int    `json:"rank"`
			Category string `json:"category"`
			Root     struct {
				Stack []struct{ Function string } `json:"stack"`
			} `json:"root"`
			Fix struct{ Summary string } `json:"fix"`
		} `json:"finding"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	f := got.Finding
	if got.SchemaVersion == "" || f.Rank != 2 || f.Category != "db-pool-exhausted" || len(f.Root.Stack) == 0 ||
		f.Fix.Summary != "Bound the query with a context deadline" {
		t.Errorf("exported %+v", got)
	}
	m.opts.ExportDir = "/nonexistent/dir"
	press(m, "y")
	if !m.statusErr || !strings.Contains(m.status, "/nonexistent/dir") {
		t.Errorf("failed export status %q (error %v)", m.status, m.statusErr)
	}
}

func TestEditorArgs(t *testing.T) {
	tests := []struct {
		editor string
		want   string
	}{
		{"vi", "vi +12 -- /src/a.go"},
		{"nvim -u NONE", "nvim -u NONE +12 -- /src/a.go"},
		{"code --wait", "code --wait --goto /src/a.go:12"},
		{"/usr/local/bin/subl", "/usr/local/bin/subl /src/a.go:12"},
		{"micro", "micro +12 /src/a.go"},
	}
	for _, tt := range tests {
		name, args, err := editorCommand(tt.editor, "/src/a.go", 12)
		if err != nil {
			t.Fatalf("editorCommand(%q): %v", tt.editor, err)
		}
		if got := strings.Join(append([]string{name}, args...), " "); got != tt.want {
			t.Errorf("editorCommand(%q) = %q, want %q", tt.editor, got, tt.want)
		}
	}
}

func TestEditorNeedsLocalFile(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	press(m, "enter", "enter")
	fd := m.currentFinding()
	fd.nodes[0].frames()[m.fv.frame].file = "example.invalid/svc/gone.go"
	if cmd := press(m, "e"); cmd != nil {
		t.Fatal("e returned a command for a file that is not on this machine")
	}
	if !m.statusErr || !strings.Contains(m.status, "not on this machine") {
		t.Errorf("status %q", m.status)
	}
	// A frame whose file exists inside a source root opens the editor.
	dir := t.TempDir()
	m.srcRoots = []sourceRoot{{name: "test root", dir: dir}}
	src := dir + "/main.go"
	if err := os.WriteFile(src, []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fd.nodes[0].frames()[0].file, fd.nodes[0].frames()[0].line = src, 1
	m.fv.frame = 0
	if cmd := press(m, "e"); cmd == nil {
		t.Errorf("e on %s returned no command (status %q)", src, m.status)
	}
}

func TestMouseWheel(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	wheel := func(y int, b tea.MouseButton) {
		m.Update(tea.MouseMsg{X: 10, Y: y, Button: b, Action: tea.MouseActionPress})
	}
	wheel(20, tea.MouseButtonWheelDown)
	if m.fv.detail.offset != 3 || m.fv.list.cursor != 0 {
		t.Errorf("wheel over the detail: offset %d cursor %d", m.fv.detail.offset, m.fv.list.cursor)
	}
	wheel(20, tea.MouseButtonWheelUp)
	wheel(20, tea.MouseButtonWheelUp)
	if m.fv.detail.offset != 0 {
		t.Errorf("wheel up: offset %d", m.fv.detail.offset)
	}
	wheel(2, tea.MouseButtonWheelDown)
	if m.fv.list.cursor != 1 {
		t.Errorf("wheel over the list: cursor %d", m.fv.list.cursor)
	}
	press(m, "2")
	wheel(10, tea.MouseButtonWheelDown)
	if m.bv.list.cursor != 3 {
		t.Errorf("wheel in the browser: cursor %d", m.bv.list.cursor)
	}
}

// TestResize renders every view at several sizes: each frame fills the
// terminal exactly and no line is wider than it.
func TestResize(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	press(m, "enter", "enter", "G")
	sizes := [][2]int{{80, 24}, {40, 10}, {200, 60}, {57, 13}, {120, 30}}
	for _, v := range []string{"1", "2", "3", "?"} {
		press(m, v)
		for _, s := range sizes {
			m.Update(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
			checkFrame(t, screen(m), s[0], s[1])
		}
		if m.help {
			press(m, "?")
		}
	}
	m.Update(tea.WindowSizeMsg{Width: 30, Height: 8})
	if got := screen(m); !strings.Contains(got, "enlarge") || strings.Contains(got, "\n") {
		t.Errorf("tiny terminal: %q", got)
	}
}

// TestHostileText feeds control sequences and a huge generic name through
// a finding: nothing reaches the terminal unstripped, nothing wraps.
func TestHostileText(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	r := pqFinding(t, c)
	f := r.Findings[0]
	long := "example.com/svc.Process[go.shape.struct { A map[string][]example.com/svc.Item; B chan<- example.com/svc.Result }]"
	f.Title = "stuck \x1b]0;owned\x07\x1b[2J here"
	f.Fix.Code = "line1\x1b[31m\n\tline2\r"
	f.Chain[0].Function = long
	f.Evidence[0].Text = "evil \u009b31m text"
	m := newTestModel(t, c, r, 80, 24)
	frame := screen(m)
	if strings.ContainsAny(frame, "\x1b\x07\r\u009b") {
		t.Errorf("control characters reached the frame: %q", frame)
	}
	mustContain(t, frame, "stuck  here", "…")
	checkFrame(t, frame, 80, 24)
}

func TestNoFindings(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, &detectors.Diagnosis{}, 80, 24)
	mustContain(t, screen(m), "No findings", "CAPTURE", "IO wait")
	press(m, "enter", "y", "e")
	if m.fv.focus != focusList || !m.statusErr {
		t.Errorf("keys on an empty list: focus %d status %q", m.fv.focus, m.status)
	}
	m = newTestModel(t, nil, nil, 80, 24)
	for _, v := range []string{"1", "2", "3"} {
		press(m, v, "j", "enter", "/")
		press(m, "esc")
		checkFrame(t, screen(m), 80, 24)
	}
}

// TestColourFramesWellFormed renders every view in 256 colours: once the
// escape sequences are stripped no fragment of one is left (a style nested
// in an underlined row would split them).
func TestColourFramesWellFormed(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	r := newRenderer(io.Discard, false)
	r.SetColorProfile(termenv.ANSI256)
	m := newModel(c, pqFinding(t, c), Options{}, r)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, keys := range [][]string{nil, {"enter"}, {"enter"}, {"2"}, {"enter"}, {"3"}, {"?"}} {
		press(m, keys...)
		frame := m.View()
		if !strings.Contains(frame, "\x1b[") {
			t.Fatal("no colour in a 256-colour frame")
		}
		if plain := ansi.Strip(frame); strings.Contains(plain, "\x1b") || strings.Contains(plain, "[0m") || strings.Contains(plain, ";5;") {
			t.Errorf("broken escape sequence after %v:\n%s", keys, plain)
		}
		checkFrame(t, frame, 80, 24)
	}
}

// TestFastTyping sends several keys in one message, as bubbletea delivers
// keys typed faster than it reads: each acts as if typed alone.
func TestFastTyping(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2/pq")})
	if m.view != viewBrowser || m.input == nil || m.input.value != "pq" {
		t.Fatalf("view %d input %+v after \"2/pq\"", m.view, m.input)
	}
	press(m, "enter")
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("1q")})
	if m.view != viewFindings {
		t.Errorf("view %d after \"1q\"", m.view)
	}
	if cmd == nil {
		t.Fatal("\"1q\" did not quit")
	}
	// A paste into the filter stays text.
	press(m, "/")
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q1"), Paste: true})
	if m.input == nil || m.input.value != "q1" {
		t.Errorf("pasted filter %+v", m.input)
	}
}

// TestLocalFile resolves the file names dumps print to files here: as
// given, module-relative (-trimpath) in the main module, in the module
// cache and in GOROOT.
func TestLocalFile(t *testing.T) {
	root := repoRoot(t)
	tests := []struct {
		file string
		want string // "" when it must not resolve
	}{
		{"github.com/ctxhole/ctxhole/tui/localfile.go", filepath.Join(root, "tui", "localfile.go")},
		{"net/http/server.go", filepath.Join(goEnv("GOROOT"), "src", "net", "http", "server.go")},
		{"github.com/lib/pq@v1.12.3/conn.go", filepath.Join(goEnv("GOMODCACHE"), "github.com", "lib", "pq@v1.12.3", "conn.go")},
		{"github.com/ctxhole/ctxhole/no/such.go", ""},
		{"/nonexistent/abs/path.go", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if tt.want != "" && !isFile(tt.want) {
			t.Logf("%s: %s is not on this machine, skipped", tt.file, tt.want)
			continue
		}
		got, ok := localFile(tt.file)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("localFile(%q) = %q, %v; want %q", tt.file, got, ok, tt.want)
		}
	}
	if got := escapeModulePath("github.com/IBM/sarama@v1.0.0/x.go"); got != "github.com/!i!b!m/sarama@v1.0.0/x.go" {
		t.Errorf("escapeModulePath = %q", got)
	}
}

// TestFindingWithoutChain reaches the root stack of a finding whose
// detector linked no chain.
func TestFindingWithoutChain(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	r := pqFinding(t, c)
	r.Findings[0].Chain = nil
	m := newTestModel(t, c, r, 80, 24)
	press(m, "enter", "enter")
	if m.fv.focus != focusStack {
		t.Fatalf("focus %d, want the root's stack", m.fv.focus)
	}
	if !cursorOn(screen(m), "main.(*server).orderStatus") {
		t.Errorf("the cursor is not on the root's application frame:\n%s", screen(m))
	}
}

// TestFrameRowsApplication checks that the stack view marks application
// frames by the detectors' rule: a dotless module path is application code,
// a known library (gorilla/mux) is not, whatever its position.
func TestFrameRowsApplication(t *testing.T) {
	fs := []report.Frame{
		{Function: "runtime.gopark"},
		{Function: "database/sql.(*DB).conn"},
		{Function: "myservice/internal/db.(*Store).Get"},
		{Function: "github.com/gorilla/mux.(*Router).ServeHTTP"},
		{Function: "net/http.serverHandler.ServeHTTP"},
	}
	want := []bool{false, false, true, false, false}
	for _, appFrame := range []int{-1, 2} {
		rows := frameRows(fs, appFrame, "")
		for i, r := range rows {
			if r.app != want[i] {
				t.Errorf("frameRows(appFrame=%d)[%d] %s: app = %v, want %v", appFrame, i, r.fn, r.app, want[i])
			}
		}
	}
}
