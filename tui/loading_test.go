package tui

import (
	"errors"
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// TestLoadingThenFindings drives the loading UI through bubbletea's model
// directly: the first frame is the loading screen, progress reports from
// the loader show in it, and the loader's result turns it into the
// findings UI, the same one Run opens on that capture.
func TestLoadingThenFindings(t *testing.T) {
	c := loadFixture(t, "mutex-convoy", "goroutine-debug2.txt")
	r, err := detectors.Analyze(c, detectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	load := func(progress func(parser.Progress)) (*parser.Capture, *detectors.Diagnosis, error) {
		progress(parser.Progress{Phase: parser.PhaseReading, Bytes: 21_000_000, TotalBytes: 42_000_000, Goroutines: 1234, File: "bundle/goroutine.txt"})
		<-release
		return c, r, nil
	}
	m := newLoadingModel(load, Options{ExportDir: t.TempDir()}, newRenderer(io.Discard, true))
	if cmd := m.Init(); cmd == nil {
		t.Fatal("Init starts nothing")
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	first := m.View()
	if !strings.Contains(first, "Reading the captures") || !strings.Contains(first, "q quit") {
		t.Fatalf("first frame is not the loading screen:\n%s", first)
	}

	result := make(chan tea.Msg)
	go func() { result <- m.loadCmd()() }()
	if msg := m.waitProgress()(); msg != (progressMsg{}) {
		t.Fatalf("waiting for progress returned %#v", msg)
	}
	m.Update(progressMsg{})
	frame := m.View()
	for _, want := range []string{"Reading the captures: 21.0 MB of 42.0 MB (50%)", "1,234 goroutines", "bundle/goroutine.txt"} {
		if !strings.Contains(frame, want) {
			t.Errorf("loading frame lacks %q:\n%s", want, frame)
		}
	}
	m.box.put(parser.Progress{Phase: "locks", Goroutines: 1234})
	m.Update(m.waitProgress()())
	if frame := m.View(); !strings.Contains(frame, "Analyzing: locks") {
		t.Errorf("loading frame does not name the pass:\n%s", frame)
	}

	close(release)
	next, cmd := m.Update(<-result)
	if cmd != nil {
		t.Error("the findings UI starts with a command")
	}
	findings, ok := next.(*model)
	if !ok {
		t.Fatalf("after the result the program's model is %T, want the findings UI", next)
	}
	want := newTestModel(t, c, r, 100, 30)
	if got := findings.View(); got != want.View() {
		t.Errorf("findings frame after loading differs from Run's:\n%s\nwant:\n%s", got, want.View())
	}
	if msg := m.waitProgress()(); msg != nil {
		t.Errorf("waiting for progress after the result returned %#v", msg)
	}
}

// TestLoadingError: a loader that fails closes the UI and keeps the error
// for RunLoading to return.
func TestLoadingError(t *testing.T) {
	boom := errors.New("bundle: no readable capture")
	m := newLoadingModel(func(func(parser.Progress)) (*parser.Capture, *detectors.Diagnosis, error) {
		return nil, nil, boom
	}, Options{}, newRenderer(io.Discard, true))
	next, cmd := m.Update(m.loadCmd()())
	if cmd == nil || cmd() != tea.Quit() {
		t.Error("a failed load does not quit")
	}
	if lm, ok := next.(*loadingModel); !ok || !errors.Is(lm.err, boom) {
		t.Errorf("model %T keeps error %v, want %v", next, m.err, boom)
	}
}

// TestLoadingQuit: q quits while loading.
func TestLoadingQuit(t *testing.T) {
	m := newLoadingModel(nil, Options{}, newRenderer(io.Discard, true))
	if _, cmd := m.Update(keyMsg("q")); cmd == nil || cmd() != tea.Quit() {
		t.Error("q does not quit the loading screen")
	}
}
