package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// view is one of the top-level screens, switched with tab.
type view int

const (
	viewFindings view = iota
	viewBrowser
	viewTimeline
	viewCount
)

var viewNames = [viewCount]string{"Findings", "Goroutines", "Timeline"}

// Minimum terminal size the layout is designed for; smaller terminals get
// a one-line request to grow.
const minWidth, minHeight = 40, 10

// model is the bubbletea model of the whole UI. It holds the precomputed
// dataset (never modified by a keypress, except for lazily built caches) and
// the cursor, scroll and filter state of each view.
type model struct {
	data   *dataset
	st     styles
	keys   keyMap
	opts   Options
	width  int
	height int

	view      view
	help      bool
	helpOff   int
	status    string // transient message, cleared by the next key
	statusErr bool
	input     *lineInput // non-nil while a filter is being typed

	fv findingsState
	bv browserState
	tv timelineState
	// tlCache holds built timelines by (finding rank, snapshot).
	tlCache map[[2]int]timeline
	// srcRoots are the directories "e" opens files from, found on first
	// use (defaultSourceRoots); tests set them.
	srcRoots []sourceRoot
}

func newModel(c *parser.Capture, r *detectors.Diagnosis, opts Options, rend *lipgloss.Renderer) *model {
	m := &model{
		data:    newDataset(c, r),
		st:      newStyles(rend),
		keys:    newKeyMap(),
		opts:    opts,
		width:   80,
		height:  24,
		tlCache: make(map[[2]int]timeline),
	}
	m.tv.snap = -1
	m.fv.init(m.data)
	m.bv.init(m.data)
	return m
}

// Init implements tea.Model.
func (m *model) Init() tea.Cmd { return nil }

// Update implements tea.Model: it routes a message to the help overlay,
// the filter being typed, the global keys, then the current view.
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.sync()
		return m, nil
	case editorDoneMsg:
		if msg.err != nil {
			m.setError("editor: " + msg.err.Error())
		}
		return m, nil
	case tea.MouseMsg:
		m.mouse(tea.MouseEvent(msg))
		return m, nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			// Keys typed faster than the terminal is read arrive as one
			// message ("/pq"); each is a command of its own.
			var cmds []tea.Cmd
			for _, r := range msg.Runes {
				cmds = append(cmds, m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
			}
			return m, tea.Sequence(cmds...)
		}
		return m, m.key(msg)
	}
	return m, nil
}

func (m *model) key(msg tea.KeyMsg) tea.Cmd {
	m.status, m.statusErr = "", false
	k := m.keys
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	if m.input != nil {
		m.inputKey(msg)
		return nil
	}
	if m.help {
		switch {
		case key.Matches(msg, k.Quit):
			return tea.Quit
		case key.Matches(msg, k.Help, k.Back):
			m.help = false
		case key.Matches(msg, k.Down):
			m.helpOff++
		case key.Matches(msg, k.Up):
			m.helpOff = max(0, m.helpOff-1)
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.help, m.helpOff = true, 0
		return nil
	case key.Matches(msg, k.NextView):
		m.setView((m.view + 1) % viewCount)
		return nil
	case key.Matches(msg, k.PrevView):
		m.setView((m.view + viewCount - 1) % viewCount)
		return nil
	case key.Matches(msg, k.Findings):
		m.setView(viewFindings)
		return nil
	case key.Matches(msg, k.Browser):
		m.setView(viewBrowser)
		return nil
	case key.Matches(msg, k.Timeline):
		m.setView(viewTimeline)
		return nil
	case key.Matches(msg, k.Search):
		m.startInput()
		return nil
	case key.Matches(msg, k.Export):
		m.export()
		return nil
	case key.Matches(msg, k.Editor):
		return m.openEditor()
	}
	switch m.view {
	case viewFindings:
		m.findingsKey(msg)
	case viewBrowser:
		m.browserKey(msg)
	case viewTimeline:
		m.timelineKey(msg)
	}
	m.sync()
	return nil
}

func (m *model) setView(v view) {
	m.view = v
	if v == viewTimeline {
		m.tv.reset()
	}
	m.sync()
}

// sync clamps every cursor and scroll offset to the current data and
// terminal size. It runs after each change, so that views only read state.
func (m *model) sync() {
	m.syncFindings()
	m.syncBrowser()
	m.syncTimeline()
}

func (m *model) setError(s string) { m.status, m.statusErr = s, true }

// bodyHeight is the number of lines between the tab bar and the status
// line.
func (m *model) bodyHeight() int { return max(1, m.height-2) }

// View implements tea.Model: tab bar, the body of the current view (or the
// help overlay) padded to the terminal's height, and the status line.
func (m *model) View() string {
	if m.width < minWidth || m.height < minHeight {
		return fit("ctxhole: enlarge the terminal (at least 40×10)", m.width)
	}
	h := m.bodyHeight()
	var body []string
	switch {
	case m.help:
		body = m.helpView(h)
	case m.view == viewFindings:
		body = m.findingsView(h)
	case m.view == viewBrowser:
		body = m.browserView(h)
	default:
		body = m.timelineView(h)
	}
	lines := make([]string, 0, h+2)
	lines = append(lines, fit(m.tabBar(), m.width))
	for i := 0; i < h; i++ {
		l := ""
		if i < len(body) {
			l = fit(body[i], m.width)
		}
		lines = append(lines, l)
	}
	lines = append(lines, fit(m.statusLine(), m.width))
	return strings.Join(lines, "\n")
}

func (m *model) tabBar() string {
	var b strings.Builder
	b.WriteString(m.st.header.Render("ctxhole"))
	for v := viewFindings; v < viewCount; v++ {
		b.WriteString(" ")
		name := viewNames[v]
		if v == m.view {
			b.WriteString(m.st.tabActive.Render("[" + name + "]"))
		} else {
			b.WriteString(m.st.tab.Render(" " + name + " "))
		}
	}
	left := b.String()
	right := human.Plural(len(m.data.findings), "finding")
	if len(m.data.snapshots) > 0 {
		right += " · " + human.Plural(m.data.goroutines, "goroutine")
	}
	if gap := m.width - ansi.StringWidth(left) - len(right); gap >= 2 {
		return left + strings.Repeat(" ", gap) + m.st.dim.Render(right)
	}
	return left
}

func (m *model) statusLine() string {
	switch {
	case m.input != nil:
		return m.input.view()
	case m.status != "" && m.statusErr:
		return m.st.errorText.Render(m.status)
	case m.status != "":
		// Messages end with what matters (a path): cut their start.
		return fitLeft(m.status, m.width)
	case m.help:
		return m.st.status.Render("?/esc close help · q quit")
	}
	return m.st.status.Render(m.hints())
}

// hints are the few keys that matter in the current place.
func (m *model) hints() string {
	switch m.view {
	case viewFindings:
		switch m.fv.focus {
		case focusList:
			return "enter chain · tab views · / filter · y save JSON · ? help · q quit"
		case focusChain:
			return "↑↓ link · ←→ fold · enter stack · esc back · y save · ? help"
		default:
			return "↑↓ frame · e editor · esc back · y save JSON · ? help · q quit"
		}
	case viewBrowser:
		if m.bv.open {
			return "↑↓ frame · e editor · esc back · ? help · q quit"
		}
		return "enter open · / text · s state · w min wait · [ ] snapshot · ? help"
	default:
		return "↑↓ row · [ ] snapshot · 1 back to findings · ? help · q quit"
	}
}

// mouse scrolls the pane under the pointer with the wheel.
func (m *model) mouse(ev tea.MouseEvent) {
	if ev.Action != tea.MouseActionPress || m.input != nil {
		return
	}
	var delta int
	switch ev.Button {
	case tea.MouseButtonWheelUp:
		delta = -3
	case tea.MouseButtonWheelDown:
		delta = 3
	default:
		return
	}
	if m.help {
		m.helpOff = max(0, m.helpOff+delta)
		return
	}
	switch m.view {
	case viewFindings:
		m.findingsWheel(ev.Y, delta)
	case viewBrowser:
		m.browserWheel(delta)
	case viewTimeline:
		m.tv.rows.move(delta)
	}
	m.sync()
}
