package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// scroller is a cursor over n rows of which h are shown at a time.
// Movements only change the cursor; clamp keeps it in range and scrolls
// the window the least needed to show it.
type scroller struct {
	cursor, offset int
}

func (s *scroller) move(d int) { s.cursor += d }

func (s *scroller) clamp(n, h int) {
	h = max(1, h)
	s.cursor = max(0, min(s.cursor, n-1))
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+h {
		s.offset = s.cursor - h + 1
	}
	s.offset = max(0, min(s.offset, n-h))
}

// window returns the half-open range of rows to draw.
func (s *scroller) window(n, h int) (int, int) {
	return s.offset, min(n, s.offset+h)
}

// listKey applies a movement key to a scroller showing h rows and reports
// whether the key was one.
func (m *model) listKey(msg tea.KeyMsg, s *scroller, h int) bool {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		s.move(-1)
	case key.Matches(msg, k.Down):
		s.move(1)
	case key.Matches(msg, k.PageUp):
		s.move(-max(1, h-1))
	case key.Matches(msg, k.PageDown):
		s.move(max(1, h-1))
	case key.Matches(msg, k.Top):
		s.cursor = 0
	case key.Matches(msg, k.Bottom):
		s.cursor = 1 << 30
	default:
		return false
	}
	return true
}

// pane is a freely scrolled document (a detail pane) with an optional
// cursor line that key movements keep in sight.
type pane struct {
	offset int
	// follow asks the next clamp to bring the cursor line into view; it
	// is set by keys and not by the mouse wheel, which scrolls freely.
	follow bool
}

func (p *pane) clamp(docLen, cursorLine, h int) {
	h = max(1, h)
	if p.follow && cursorLine >= 0 {
		if cursorLine < p.offset {
			p.offset = cursorLine
		}
		if cursorLine >= p.offset+h {
			p.offset = cursorLine - h + 2 // keep the frame's second line too
		}
	}
	p.follow = false
	p.offset = max(0, min(p.offset, docLen-h))
}

// doc is a rendered detail document and the line of its cursor.
type doc struct {
	lines      []string
	cursorLine int
	// stackLine is the line of the STACK heading, -1 if none.
	stackLine int
}

func (d *doc) add(lines ...string) { d.lines = append(d.lines, lines...) }

// window returns the h lines of the document from offset.
func (d *doc) window(offset, h int) []string {
	if offset >= len(d.lines) {
		return nil
	}
	return d.lines[offset:min(len(d.lines), offset+h)]
}
