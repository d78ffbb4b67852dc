package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// TestIncidentFixtures opens every incident capture directory through
// parser.Load and detectors.Analyze, as `ctxhole tui DIR` does, and walks
// from the opening screen to the root cause: its fix is on the first
// screen or a page down, two enters reach the root link's stack, and every
// view renders at 80×24.
func TestIncidentFixtures(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(t), "fixtures", "captures", "*"))
	if len(dirs) == 0 {
		t.Skip("no fixture captures")
	}
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			continue // a capture still being generated
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := parser.Load([]string{dir}, parser.Options{})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			r, err := detectors.Analyze(c, detectors.Options{})
			if err != nil {
				t.Fatalf("analyze: %v", err)
			}
			m := newTestModel(t, c, r, 80, 24)
			frame := screen(m)
			checkFrame(t, frame, 80, 24)
			if len(r.Findings) == 0 {
				mustContain(t, frame, "No findings")
				return
			}
			f := r.Findings[0]
			mustContain(t, frame, string(f.Category))
			if f.Fix.Summary != "" {
				first := wrap(clean(f.Fix.Summary), 74)[0]
				if !strings.Contains(frame, first) {
					press(m, "enter", "pgdown")
					if frame = screen(m); !strings.Contains(frame, first) {
						t.Errorf("fix %q not on the first screen nor a page down:\n%s", first, frame)
					}
					press(m, "esc")
				}
			}
			press(m, "g", "enter", "enter")
			if len(f.Chain) > 0 && len(m.currentFinding().nodes[0].frames()) > 0 {
				if m.fv.focus != focusStack {
					t.Errorf("two enters: focus %d, want the stack", m.fv.focus)
				}
				// The cursor starts on the root link's blocking call.
				want := fit(clean(f.Chain[0].Function), 76)
				if !cursorOn(screen(m), want) {
					t.Errorf("the stack cursor is not on %s:\n%s", want, screen(m))
				}
			}
			for _, keys := range [][]string{{"esc", "esc", "2"}, {"enter"}, {"esc", "3"}, {"G"}, {"?"}} {
				press(m, keys...)
				checkFrame(t, screen(m), 80, 24)
			}
		})
	}
}

// cursorOn reports whether the frame's cursor line ("▸") shows want.
func cursorOn(frame, want string) bool {
	for _, l := range strings.Split(frame, "\n") {
		if strings.HasPrefix(l, "▸") && strings.Contains(l, want) {
			return true
		}
	}
	return false
}
