package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key the UI answers to. The help overlay is rendered from
// it, so a binding cannot exist without being documented.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, Collapse, Expand            key.Binding
	NextView, PrevView                      key.Binding
	Findings, Browser, Timeline             key.Binding
	Search, State, MinWait, Snapshot        key.Binding
	Editor, Export, Help, Quit              key.Binding
}

func newKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Up:       b("↑/k", "move up", "up", "k"),
		Down:     b("↓/j", "move down", "down", "j"),
		PageUp:   b("pgup/ctrl+b", "page up", "pgup", "ctrl+b"),
		PageDown: b("pgdn/ctrl+f", "page down", "pgdown", "ctrl+f"),
		Top:      b("home/g", "first row", "home", "g"),
		Bottom:   b("end/G", "last row", "end", "G"),
		Open:     b("enter", "drill in (open)", "enter"),
		Back:     b("esc/bksp", "back out; clear filter", "esc", "backspace"),
		Collapse: b("←/h", "collapse chain node", "left", "h"),
		Expand:   b("→/l", "expand chain node", "right", "l"),
		NextView: b("tab", "next view", "tab"),
		PrevView: b("shift+tab", "previous view", "shift+tab"),
		Findings: b("1", "findings", "1"),
		Browser:  b("2", "goroutine browser", "2"),
		Timeline: b("3", "timeline", "3"),
		Search:   b("/", "filter by text", "/"),
		State:    b("s", "cycle state filter", "s"),
		MinWait:  b("w", "cycle minimum wait", "w"),
		Snapshot: b("[ / ]", "previous/next snapshot", "[", "]"),
		Editor:   b("e", "open frame in $EDITOR", "e"),
		Export:   b("y", "save finding as JSON", "y"),
		Help:     b("?", "toggle help", "?"),
		Quit:     b("q/ctrl+c", "quit", "q", "ctrl+c"),
	}
}

// helpSections groups the bindings for the help overlay.
func (k keyMap) helpSections() []helpSection {
	return []helpSection{
		{"Move", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
		{"Drill down", []key.Binding{k.Open, k.Back, k.Collapse, k.Expand}},
		{"Views", []key.Binding{k.NextView, k.PrevView, k.Findings, k.Browser, k.Timeline}},
		{"Filter", []key.Binding{k.Search, k.State, k.MinWait, k.Snapshot}},
		{"Act", []key.Binding{k.Editor, k.Export, k.Help, k.Quit}},
	}
}

type helpSection struct {
	title string
	keys  []key.Binding
}
