package tui

import (
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
)

// lineInput is the one-line filter editor opened by "/". The filter is
// applied as it is typed; enter keeps it, esc restores the previous one.
type lineInput struct {
	value  string
	prev   string
	target view
}

// startInput opens the filter editor for the current list.
func (m *model) startInput() {
	var cur string
	switch m.view {
	case viewFindings:
		cur = m.fv.query
		m.fv.focus = focusList
	case viewBrowser:
		if m.bv.snap < 0 {
			return
		}
		cur = m.bv.filter.query
		m.bv.open = false
	default:
		m.status = "the timeline follows the finding selected in the findings view (1)"
		return
	}
	m.input = &lineInput{value: cur, prev: cur, target: m.view}
}

func (m *model) inputKey(msg tea.KeyMsg) {
	in := m.input
	switch msg.Type {
	case tea.KeyEnter:
		m.input = nil
		return
	case tea.KeyEsc:
		in.value = in.prev
		m.input = nil
	case tea.KeyBackspace:
		if r := []rune(in.value); len(r) > 0 {
			in.value = string(r[:len(r)-1])
		}
	case tea.KeyCtrlU:
		in.value = ""
	case tea.KeySpace:
		in.value += " "
	case tea.KeyRunes:
		for _, r := range msg.Runes {
			if unicode.IsPrint(r) {
				in.value += string(r)
			}
		}
	default:
		return
	}
	m.setQuery(in.target, in.value)
}

// setQuery applies a text filter to a view's list.
func (m *model) setQuery(v view, q string) {
	switch v {
	case viewFindings:
		m.fv.query = q
		m.fv.applyFilter(m.data)
	case viewBrowser:
		m.bv.filter.query = q
		m.bv.refilter(m.data)
	}
	m.sync()
}

func (in *lineInput) view() string {
	return "/" + in.value + "█  enter keep · esc cancel · ctrl+u clear"
}
