package tui

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// TestExportNeverClobbers: a symlink planted under the export's name, and
// a file already there, are left untouched; "y" writes a new file beside
// them and says where.
func TestExportNeverClobbers(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	dir := m.opts.ExportDir
	victim := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "ctxhole-finding-1-db-driver-no-ctx.json")); err != nil {
		t.Fatal(err)
	}
	press(m, "y", "y")
	if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
		t.Fatalf("export followed the planted symlink: target now %q", got)
	}
	for _, name := range []string{"ctxhole-finding-1-db-driver-no-ctx.2.json", "ctxhole-finding-1-db-driver-no-ctx.3.json"} {
		if st, err := os.Lstat(filepath.Join(dir, name)); err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !strings.Contains(m.status, ".3.json") || m.statusErr {
		t.Errorf("status %q (error %v)", m.status, m.statusErr)
	}
}

// TestEditorRefusesHostileFrames: a frame file relative to the working
// directory ("+!touch pwned", which vim would run as a command), an
// absolute path outside the source roots and a symlink inside a root that
// leaves it are never handed to the editor, and the status says why, naming
// the roots.
func TestEditorRefusesHostileFrames(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	root, elsewhere := t.TempDir(), t.TempDir()
	m.srcRoots = []sourceRoot{{name: "test root", dir: root}}
	t.Chdir(elsewhere)
	secret := filepath.Join(elsewhere, "secret.go")
	for _, p := range []string{"+!touch pwned", "-c!touch pwned", secret} {
		if err := os.WriteFile(filepath.Join(elsewhere, filepath.Base(p)), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(secret, filepath.Join(root, "escape.go")); err != nil {
		t.Fatal(err)
	}
	press(m, "enter", "enter")
	fd := m.currentFinding()
	for _, tt := range []struct{ file, want string }{
		{"+!touch pwned", "not on this machine"},
		{"-c!touch pwned", "not on this machine"},
		{secret, "outside the source roots (test root " + root},
		{filepath.Join(root, "escape.go"), "outside the source roots"},
		{"../" + filepath.Base(elsewhere) + "/secret.go", "not on this machine"},
	} {
		fd.nodes[0].frames()[m.fv.frame].file = tt.file
		if cmd := press(m, "e"); cmd != nil {
			t.Errorf("%q: e returned a command", tt.file)
		}
		if !m.statusErr || !strings.Contains(m.status, tt.want) {
			t.Errorf("%q: status %q, want %q", tt.file, m.status, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(elsewhere, "pwned")); !os.IsNotExist(err) {
		t.Errorf("pwned exists")
	}
}

// TestEditorInvocation runs the command "e" builds, with a stand-in editor
// that records its arguments: a file inside a root whose name looks like
// an option or a vim command arrives as one absolute path after "--"; an
// editor path with a space, quoted, runs; a blank $EDITOR is an error, not
// a panic.
func TestEditorInvocation(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to write a stand-in editor with")
	}
	root := t.TempDir()
	bin := filepath.Join(t.TempDir(), "My Editor")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	argsOut := filepath.Join(root, "args.out")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + argsOut + "'\n"
	vi := filepath.Join(bin, "vi")
	if err := os.WriteFile(vi, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	hostile := filepath.Join(root, "+!touch pwned")
	if err := os.WriteFile(hostile, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, r, err := resolveSource(hostile, []sourceRoot{{name: "test root", dir: root}})
	if err != nil || r.dir != root {
		t.Fatalf("resolveSource: %q %v %v", path, r, err)
	}
	name, args, err := editorCommand(`'`+vi+`' -n`, path, 7)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("stand-in editor: %v %s", err, out)
	}
	got, err := os.ReadFile(argsOut)
	if err != nil {
		t.Fatal(err)
	}
	if want := "-n\n+7\n--\n" + path + "\n"; string(got) != want {
		t.Errorf("editor got arguments\n%s\nwant\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(root, "pwned")); !os.IsNotExist(err) {
		t.Errorf("pwned exists")
	}

	for _, editor := range []string{" ", "\t \n", `'unterminated`, `"also`, `trailing\`} {
		if _, _, err := editorCommand(editor, path, 1); err == nil {
			t.Errorf("editor %q accepted", editor)
		}
	}
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	m.srcRoots = []sourceRoot{{name: "test root", dir: root}}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", " ")
	press(m, "enter", "enter")
	m.currentFinding().nodes[0].frames()[m.fv.frame].file = hostile
	if cmd := press(m, "e"); cmd != nil || !m.statusErr || !strings.Contains(m.status, "$EDITOR: the editor command is empty") {
		t.Errorf("blank $EDITOR: command %v, status %q", cmd != nil, m.status)
	}
}

func TestSplitWords(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"vi", []string{"vi"}},
		{"  code   --wait ", []string{"code", "--wait"}},
		{`'/opt/My Editor/ed' -n`, []string{"/opt/My Editor/ed", "-n"}},
		{`"/opt/My Editor/ed" "a \"b\" \$c \x"`, []string{"/opt/My Editor/ed", `a "b" $c \x`}},
		{`/opt/My\ Editor/ed`, []string{"/opt/My Editor/ed"}},
		{`emacs -nw $(rm -rf ~) ; x`, []string{"emacs", "-nw", "$(rm", "-rf", "~)", ";", "x"}},
		{`''`, []string{""}},
		{"", nil},
	} {
		got, err := splitWords(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestTUIShowsBidiControls: a right-to-left override in a function name,
// a file name and a wait reason never reaches the screen as itself (it
// would reorder the rest of the line); every view shows its code point.
func TestTUIShowsBidiControls(t *testing.T) {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n")
	for id := 2; id < 6; id++ {
		fmt.Fprintf(&b, "\ngoroutine %d [chan receive\u202e, 12 minutes]:\n", id)
		b.WriteString("main.handler\u202eexe.txt(0xc000010000)\n\t/src/a\u202e.go:12 +0x1d\n")
		b.WriteString("created by main.main in goroutine 1\n\t/src/main.go:9 +0x2a\n")
	}
	snaps, err := parser.ReadText(strings.NewReader(b.String()), "dump\u202e.txt")
	if err != nil {
		t.Fatal(err)
	}
	c := &parser.Capture{Snapshots: snaps}
	r, err := detectors.Analyze(c, detectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, c, r, 120, 40)
	seen := false
	for _, keys := range [][]string{{"1"}, {"enter", "enter"}, {"2"}, {"enter"}, {"3"}} {
		press(m, keys...)
		s := screen(m)
		if strings.ContainsRune(s, '\u202e') {
			t.Errorf("after %v the screen holds U+202E:\n%s", keys, s)
		}
		seen = seen || strings.Contains(s, "<U+202E>")
	}
	if !seen {
		t.Errorf("no view shows the override as <U+202E>")
	}
}
