package tui

import (
	"fmt"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Loader reads and analyzes the inputs the UI shows, telling progress how
// far it has come (parser.Options.Progress, detectors.Options.Progress).
// RunLoading calls it on its own goroutine while the loading screen is
// shown; progress may be called from any goroutine.
type Loader func(progress func(parser.Progress)) (*parser.Capture, *detectors.Diagnosis, error)

// loadingTick is how often the loading screen redraws its clock.
const loadingTick = 250 * time.Millisecond

// RunLoading opens the UI at once on a loading screen (phase, bytes read,
// goroutines, time), runs load on its own goroutine and, when it returns,
// shows its findings as Run does. If load fails, the UI closes and
// RunLoading returns the error; q quits while loading.
func RunLoading(load Loader, opts Options) error {
	opts = opts.withDefaults()
	m := newLoadingModel(load, opts, newRenderer(opts.Output, opts.NoColor))
	final, err := tea.NewProgram(m, opts.programOptions()...).Run()
	if err != nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	if lm, ok := final.(*loadingModel); ok && lm.err != nil {
		return lm.err
	}
	return nil
}

// loadingModel is the UI while the inputs are read and analyzed: the
// latest progress report, until the loader's result arrives. It then
// hands over to the findings UI (model), which becomes the program's model.
type loadingModel struct {
	load   Loader
	opts   Options
	rend   *lipgloss.Renderer
	st     styles
	start  time.Time
	width  int
	height int
	// p is the latest progress shown; box is where the loader leaves
	// newer ones.
	p   parser.Progress
	box *progressBox
	err error // the loader's error
}

// progressMsg says the loader has a newer progress report in the box.
type progressMsg struct{}

// loadedMsg is the loader's result, the findings UI built from it.
type loadedMsg struct {
	m   *model
	err error
}

// tickMsg redraws the loading screen's clock.
type tickMsg struct{}

// progressBox passes the latest progress report from the loader's
// goroutines to the UI: reports that come faster than the UI reads them
// replace each other; a wake-up tells the UI there is one.
type progressBox struct {
	mu     sync.Mutex
	p      parser.Progress
	wake   chan struct{} // capacity 1: one pending wake-up at most
	closed bool
}

func newProgressBox() *progressBox {
	return &progressBox{wake: make(chan struct{}, 1)}
}

// put leaves p for the UI.
func (b *progressBox) put(p parser.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.p = p
	select {
	case b.wake <- struct{}{}:
	default: // a wake-up is pending: the UI will read this report
	}
}

// close ends the reports: the UI's wait returns.
func (b *progressBox) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.wake)
	}
}

func (b *progressBox) latest() parser.Progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.p
}

func newLoadingModel(load Loader, opts Options, rend *lipgloss.Renderer) *loadingModel {
	return &loadingModel{
		load: load, opts: opts, rend: rend, st: newStyles(rend),
		start: time.Now(), width: 80, height: 24, box: newProgressBox(),
		p: parser.Progress{Phase: parser.PhaseReading},
	}
}

// Init implements tea.Model: it starts the loader and the clock.
func (m *loadingModel) Init() tea.Cmd {
	return tea.Batch(m.loadCmd(), m.waitProgress(), tickCmd())
}

// loadCmd runs the loader and builds the findings UI from its result, on
// the goroutine bubbletea runs commands on.
func (m *loadingModel) loadCmd() tea.Cmd {
	return func() tea.Msg {
		c, r, err := m.load(m.box.put)
		m.box.close()
		if err != nil {
			return loadedMsg{err: err}
		}
		return loadedMsg{m: newModel(c, r, m.opts, m.rend)}
	}
}

// waitProgress waits for the loader's next progress report.
func (m *loadingModel) waitProgress() tea.Cmd {
	return func() tea.Msg {
		if _, ok := <-m.box.wake; !ok {
			return nil
		}
		return progressMsg{}
	}
}

func tickCmd() tea.Cmd {
	return tea.Tick(loadingTick, func(time.Time) tea.Msg { return tickMsg{} })
}

// Update implements tea.Model. Once the result arrives, the findings UI
// takes over: it is returned as the program's model, sized to the
// terminal.
func (m *loadingModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlC || msg.String() == "q" {
			return m, tea.Quit
		}
	case progressMsg:
		m.p = m.box.latest()
		return m, m.waitProgress()
	case tickMsg:
		return m, tickCmd()
	case loadedMsg:
		if msg.err != nil {
			m.err = msg.err
			return m, tea.Quit
		}
		msg.m.Update(tea.WindowSizeMsg{Width: m.width, Height: m.height})
		return msg.m, nil
	}
	return m, nil
}

// View implements tea.Model: what is being done, how far, for how long.
func (m *loadingModel) View() string {
	if m.width < minWidth || m.height < minHeight {
		return fit("ctxhole: loading… (enlarge the terminal: at least 40×10)", m.width)
	}
	p := m.p
	var what string
	switch p.Phase {
	case parser.PhaseReading, "":
		what = "Reading the captures: " + human.Bytes(p.Bytes)
		if p.TotalBytes > 0 {
			what += fmt.Sprintf(" of %s (%d%%)", human.Bytes(p.TotalBytes), min(100, p.Bytes*100/p.TotalBytes))
		}
	default:
		what = "Analyzing: " + parser.CleanText(p.Phase)
	}
	facts := []string{human.Duration(time.Since(m.start).Round(100 * time.Millisecond))}
	if p.Goroutines > 0 {
		facts = append([]string{human.Plural(p.Goroutines, "goroutine")}, facts...)
	}
	body := []string{
		"",
		"  " + m.st.header.Render(what),
		"  " + m.st.dim.Render(strings.Join(facts, " · ")),
	}
	if p.File != "" {
		body = append(body, "  "+m.st.dim.Render(parser.CleanText(p.File)))
	}
	body = append(body, "", "  The findings appear here when the analysis ends.")
	h := m.height - 2
	lines := make([]string, 0, m.height)
	lines = append(lines, fit(m.st.header.Render("ctxhole")+" "+m.st.tab.Render("loading"), m.width))
	for i := range h {
		l := ""
		if i < len(body) {
			l = fit(body[i], m.width)
		}
		lines = append(lines, l)
	}
	lines = append(lines, fit(m.st.status.Render("q quit"), m.width))
	return strings.Join(lines, "\n")
}
