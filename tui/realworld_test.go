package tui

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// TestRealWorldDumps opens every view on the real-world dumps kept outside
// the repository (a Go 1.4 Concourse dump, a 190,359-goroutine pprof
// -traces session, colly pile-ups): every frame fits the terminal.
func TestRealWorldDumps(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "..", "shared", "realworld")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		t.Skipf("no real-world dumps in %s", dir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, err := parser.Load([]string{path}, parser.Options{})
			if err != nil {
				if _, statErr := os.Stat(path); statErr != nil {
					t.Skip(statErr)
				}
				t.Skipf("not readable as a capture: %v", err)
			}
			m := newTestModel(t, c, nil, 80, 24)
			for _, keys := range [][]string{{"1"}, {"2"}, {"2", "enter"}, {"2", "esc", "G"}, {"2", "s", "w"}, {"3"}, {"3", "G"}} {
				press(m, keys...)
				checkFrame(t, screen(m), 80, 24)
			}
			if len(c.Snapshots) > 0 && len(m.bv.visible) == 0 && m.bv.filter == (groupFilter{}) {
				t.Error("the browser shows no group of a parsed snapshot")
			}
		})
	}
}
