package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestGoldenFrames renders each view at 80×24 on the db-driver-no-ctx
// dump and compares it with testdata/<name>.golden (go test -update
// rewrites them).
func TestGoldenFrames(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	r := pqFinding(t, c)
	tests := []struct {
		name string
		keys []string
	}{
		{"findings", nil},
		{"findings-chain", []string{"enter", "j"}},
		{"findings-stack", []string{"enter", "enter", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j"}},
		{"findings-collapsed", []string{"enter", "h"}},
		{"browser", []string{"tab"}},
		{"browser-filtered", []string{"2", "/", "p", "q", "enter"}},
		{"browser-state-wait", []string{"2", "s", "w", "w"}},
		{"browser-group", []string{"2", "enter"}},
		{"timeline", []string{"3"}},
		{"help", []string{"?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, c, r, 80, 24)
			press(m, tt.keys...)
			checkFrame(t, screen(m), 80, 24)
			compareGolden(t, tt.name, screen(m))
		})
	}
}

// TestGoldenTimelineTrace renders the timeline of a timed chain on the
// incident's onset trace, and the fallback of a trace's stuck goroutines.
func TestGoldenTimelineTrace(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "trace-onset.out")
	m := newTestModel(t, c, traceFinding(t, c), 80, 24)
	press(m, "3", "j")
	frame := screen(m)
	checkFrame(t, frame, 80, 24)
	compareGolden(t, "timeline-trace", frame)

	m = newTestModel(t, c, nil, 80, 24)
	press(m, "3")
	frame = screen(m)
	checkFrame(t, frame, 80, 24)
	compareGolden(t, "timeline-trace-stuck", frame)
}

// checkFrame asserts a frame's shape: exactly h lines, none wider than w.
func checkFrame(t *testing.T, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i+1, n, w, l)
		}
	}
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("frame differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
