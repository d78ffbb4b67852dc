package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctxhole/ctxhole/internal/human"
)

// browserState is the goroutine browser's state: which snapshot, the
// filter, the list cursor, and the group opened (if any).
type browserState struct {
	snap    int
	filter  groupFilter
	match   termMatcher
	visible []int // group indices passing the filter
	shown   int   // goroutines in the visible groups
	list    scroller
	open    bool // a group's detail is shown instead of the list
	frame   int
	detail  pane
}

func (bs *browserState) init(d *dataset) {
	bs.snap = len(d.snapshots) - 1 // the latest snapshot first
	bs.setSnapshot(d, bs.snap)
}

func (bs *browserState) setSnapshot(d *dataset, i int) {
	if i < 0 || i >= len(d.snapshots) {
		return
	}
	bs.snap = i
	bs.match = termMatcher{terms: d.snapshots[i].terms}
	bs.list = scroller{}
	bs.open = false
	bs.refilter(d)
}

func (bs *browserState) refilter(d *dataset) {
	if bs.snap < 0 {
		return
	}
	sd := d.snapshots[bs.snap]
	bs.visible = bs.filter.apply(sd, &bs.match, bs.visible)
	bs.shown = 0
	for _, i := range bs.visible {
		bs.shown += sd.groups[i].g.Count
	}
}

// currentGroup returns the group under the cursor, or nil.
func (m *model) currentGroup() *groupRow {
	bs := &m.bv
	if bs.snap < 0 || bs.list.cursor >= len(bs.visible) {
		return nil
	}
	return m.data.snapshots[bs.snap].groups[bs.visible[bs.list.cursor]]
}

// browserListHeight is the number of group rows shown (the snapshot line,
// the filter line and the column header take three).
func (m *model) browserListHeight() int { return max(1, m.bodyHeight()-3) }

func (m *model) syncBrowser() {
	bs := &m.bv
	bs.list.clamp(len(bs.visible), m.browserListHeight())
	g := m.currentGroup()
	if g == nil {
		bs.open = false
		return
	}
	if bs.open {
		bs.frame = max(0, min(bs.frame, len(g.frames())-1))
		d := m.groupDoc(g)
		bs.detail.clamp(len(d.lines), d.cursorLine, m.bodyHeight())
	}
}

func (m *model) browserKey(msg tea.KeyMsg) {
	bs := &m.bv
	k := m.keys
	if bs.snap < 0 {
		return
	}
	if bs.open {
		switch {
		case key.Matches(msg, k.Back):
			bs.open = false
		case key.Matches(msg, k.Up):
			bs.frame--
		case key.Matches(msg, k.Down):
			bs.frame++
		case key.Matches(msg, k.Top):
			bs.frame = 0
		case key.Matches(msg, k.Bottom):
			bs.frame = 1 << 30
		case key.Matches(msg, k.PageUp):
			bs.detail.offset -= m.bodyHeight() - 1
			return
		case key.Matches(msg, k.PageDown):
			bs.detail.offset += m.bodyHeight() - 1
			return
		}
		bs.detail.follow = true
		return
	}
	sd := m.data.snapshots[bs.snap]
	switch {
	case m.listKey(msg, &bs.list, m.browserListHeight()):
	case key.Matches(msg, k.Open) && m.currentGroup() != nil:
		bs.open, bs.frame, bs.detail = true, 0, pane{}
	case key.Matches(msg, k.Back):
		bs.filter = groupFilter{}
		bs.refilter(m.data)
	case key.Matches(msg, k.State):
		bs.filter.state = nextState(sd.states, bs.filter.state)
		bs.refilter(m.data)
	case key.Matches(msg, k.MinWait):
		bs.filter.minWait = waitSteps[(max(0, slices.Index(waitSteps, bs.filter.minWait))+1)%len(waitSteps)]
		bs.refilter(m.data)
	case key.Matches(msg, k.Snapshot):
		next := bs.snap + 1
		if msg.String() == "[" {
			next = bs.snap - 1
		}
		f := bs.filter
		bs.setSnapshot(m.data, next)
		bs.filter = f
		bs.refilter(m.data)
	}
}

// nextState cycles "" (all) → the states by size → "".
func nextState(states []string, cur string) string {
	if cur == "" {
		if len(states) > 0 {
			return states[0]
		}
		return ""
	}
	for i, s := range states {
		if s == cur && i+1 < len(states) {
			return states[i+1]
		}
	}
	return ""
}

func (m *model) browserWheel(delta int) {
	if m.bv.open {
		m.bv.detail.offset += delta
		return
	}
	m.bv.list.move(delta)
}

func (m *model) browserView(h int) []string {
	bs := &m.bv
	st := m.st
	if bs.snap < 0 {
		return []string{"  No goroutine snapshot in the inputs (only profiles or traces)."}
	}
	if g := m.currentGroup(); bs.open && g != nil {
		d := m.groupDoc(g)
		return d.window(bs.detail.offset, h)
	}
	sd := m.data.snapshots[bs.snap]
	out := []string{
		st.header.Render(sd.label),
		st.dim.Render(fmt.Sprintf("filter: %s · %s of %s groups · %s goroutines",
			bs.filter.describe(), human.Count(len(bs.visible)), human.Count(len(sd.groups)), human.Count(bs.shown))),
		st.header.Render(fmt.Sprintf("  %7s  %-16s %-11s %s", "COUNT", "STATE", "WAIT", "FUNCTION")),
	}
	if len(bs.visible) == 0 {
		out = append(out, "  No group matches the filter (esc clears it).")
	}
	fnW := max(10, m.width-41)
	lo, hi := bs.list.window(len(bs.visible), h-3)
	for i := lo; i < hi; i++ {
		row := sd.groups[bs.visible[i]]
		line := fmt.Sprintf("%7s  %s %s %s", padLeft(row.count, 7), pad(row.state, 16), pad(row.wait, 11), fit(row.app, fnW))
		out = append(out, m.cursorRow(line, i == bs.list.cursor, true))
	}
	return out
}

// groupDoc renders an opened group: its size, state and wait, its
// goroutine IDs, creator and labels, then its stack.
func (m *model) groupDoc(row *groupRow) doc {
	bs := &m.bv
	st := m.st
	g := row.g
	d := doc{cursorLine: -1, stackLine: -1}
	d.add(st.header.Render(fmt.Sprintf("%s goroutines · %s · wait %s", row.count, row.state, row.wait)))
	if len(g.GoroutineIDs) > 0 {
		for i, l := range wrap(fmtIDs(g.GoroutineIDs, 40), m.width-6) {
			if i == 0 {
				d.add("IDs: " + l)
			} else {
				d.add("     " + l)
			}
		}
	} else {
		d.add("IDs: not recorded (aggregated profile)")
	}
	if unknown := g.Count - g.WaitKnownGoroutines; unknown > 0 && g.WaitKnownGoroutines > 0 {
		d.add(st.dim.Render(fmt.Sprintf("%s of them printed no wait (under a minute, or not yet stamped by a GC)", human.Count(unknown))))
	}
	if g.LockedToThread > 0 {
		d.add(fmt.Sprintf("%s locked to their OS thread", human.Count(g.LockedToThread)))
	}
	if cb := g.CreatedBy; cb != nil {
		line := "created by " + clean(cb.Function)
		if cb.ParentGoroutine != 0 {
			line += fmt.Sprintf(" in goroutine %d", cb.ParentGoroutine)
		}
		d.add(line, "      "+st.dim.Render(fitLeft(fmt.Sprintf("%s:%d", clean(cb.File), cb.Line), max(10, m.width-6))))
	}
	if labels := g.Labels; len(labels) > 0 {
		var parts []string
		for _, l := range labels {
			parts = append(parts, clean(l.Key)+"="+clean(l.Value))
		}
		d.add("labels: " + strings.Join(parts, " "))
	}
	d.add("", st.header.Render("STACK")+st.dim.Render("  ● application frame · e opens the selected frame"))
	for i, fr := range row.frames() {
		if i == bs.frame {
			d.cursorLine = len(d.lines)
		}
		d.add(m.frameLines(fr, i == bs.frame)...)
	}
	if g.Elided != 0 {
		d.add(st.dim.Render("  …frames elided by the runtime"))
	}
	return d
}
