package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/report"
)

// focus is where the findings view's cursor is: the ranked list, the chain
// tree of the selected finding, or the stack of the selected link.
type focus int

const (
	focusList focus = iota
	focusChain
	focusStack
)

// findingsState is the findings view's state.
type findingsState struct {
	query   string
	visible []int // indices of findings passing the filter, in rank order
	list    scroller
	focus   focus
	cur     int // the finding the chain and stack state belong to, -1 if none
	node    int // index into the current finding's nodes
	frame   int // index into the current node's stack
	detail  pane
	// toStack asks the next sync to scroll the detail to the stack.
	toStack bool
	// collapsed records folded chain nodes per finding.
	collapsed map[[2]int]bool
}

func (fs *findingsState) init(d *dataset) {
	fs.collapsed = make(map[[2]int]bool)
	fs.cur = -1
	fs.applyFilter(d)
}

func (fs *findingsState) applyFilter(d *dataset) {
	fs.visible = fs.visible[:0]
	tokens := strings.Fields(strings.ToLower(fs.query))
next:
	for i, fd := range d.findings {
		for _, t := range tokens {
			if !strings.Contains(fd.haystack, t) {
				continue next
			}
		}
		fs.visible = append(fs.visible, i)
	}
}

// currentFinding returns the finding under the list cursor, or nil.
func (m *model) currentFinding() *findingData {
	fs := &m.fv
	if fs.list.cursor < 0 || fs.list.cursor >= len(fs.visible) {
		return nil
	}
	return m.data.findings[fs.visible[fs.list.cursor]]
}

// visibleNodes returns the indices of the chain nodes not hidden under a
// collapsed ancestor.
func (m *model) visibleNodes(fd *findingData) []int {
	var out []int
	for i, n := range fd.nodes {
		hidden := false
		for a := n.parent; a >= 0; a = fd.nodes[a].parent {
			if m.fv.collapsed[[2]int{fd.rank, a}] {
				hidden = true
				break
			}
		}
		if !hidden {
			out = append(out, i)
		}
	}
	return out
}

// findingsLayout returns the findings list's height (rows, without its header)
// and the detail pane's height.
func (m *model) findingsLayout() (listH, detailH int) {
	h := m.bodyHeight()
	listH = max(1, min(len(m.fv.visible), max(3, h/3)))
	detailH = max(1, h-listH-2) // header and separator
	return listH, detailH
}

func (m *model) syncFindings() {
	fs := &m.fv
	listH, detailH := m.findingsLayout()
	fs.list.clamp(len(fs.visible), listH)
	fd := m.currentFinding()
	if fd == nil {
		fs.cur, fs.focus = -1, focusList
		return
	}
	if fs.cur != fd.rank {
		fs.cur, fs.node, fs.frame, fs.detail = fd.rank, 0, 0, pane{}
		if len(fd.nodes) == 0 && fs.focus != focusList {
			fs.focus = focusList
		}
	}
	vis := m.visibleNodes(fd)
	if !slices.Contains(vis, fs.node) && len(vis) > 0 {
		// The node was folded away: move to its nearest visible ancestor.
		n := fs.node
		for n >= 0 && !slices.Contains(vis, n) {
			n = fd.nodes[n].parent
		}
		fs.node = max(n, 0)
	}
	if fs.node < len(fd.nodes) {
		fs.frame = max(0, min(fs.frame, len(fd.nodes[fs.node].frames())-1))
	}
	d := m.findingDoc(fd)
	if fs.toStack && d.stackLine >= 0 {
		fs.detail.offset = d.stackLine
	}
	fs.toStack = false
	fs.detail.clamp(len(d.lines), d.cursorLine, detailH)
}

// startFrame is where the stack cursor starts: the blocking frame, else
// the first application frame, else the top.
func startFrame(stack []frameRow) int {
	for i, f := range stack {
		if f.blocking {
			return i
		}
	}
	for i, f := range stack {
		if f.app {
			return i
		}
	}
	return 0
}

func (m *model) findingsKey(msg tea.KeyMsg) {
	fs := &m.fv
	k := m.keys
	fd := m.currentFinding()
	listH, detailH := m.findingsLayout()
	switch fs.focus {
	case focusList:
		switch {
		case m.listKey(msg, &fs.list, listH):
		case key.Matches(msg, k.Open) && fd != nil && len(fd.nodes) > 0:
			fs.focus, fs.detail.follow = focusChain, true
		case key.Matches(msg, k.Back) && fs.query != "":
			fs.query = ""
			fs.applyFilter(m.data)
		}
	case focusChain:
		vis := m.visibleNodes(fd)
		pos := slices.Index(vis, fs.node)
		switch {
		case key.Matches(msg, k.Up) && pos > 0:
			fs.node, fs.frame = vis[pos-1], 0
		case key.Matches(msg, k.Down) && pos+1 < len(vis):
			fs.node, fs.frame = vis[pos+1], 0
		case key.Matches(msg, k.Top) && len(vis) > 0:
			fs.node, fs.frame = vis[0], 0
		case key.Matches(msg, k.Bottom) && len(vis) > 0:
			fs.node, fs.frame = vis[len(vis)-1], 0
		case key.Matches(msg, k.Collapse):
			ck := [2]int{fd.rank, fs.node}
			if fd.nodes[fs.node].children && !fs.collapsed[ck] {
				fs.collapsed[ck] = true
			} else if p := fd.nodes[fs.node].parent; p >= 0 {
				fs.node, fs.frame = p, 0
			}
		case key.Matches(msg, k.Expand):
			delete(fs.collapsed, [2]int{fd.rank, fs.node})
		case key.Matches(msg, k.Open) && len(fd.nodes[fs.node].frames()) > 0:
			// Into the stack: the cursor on the blocking call (else the
			// first application frame), the pane from the STACK heading.
			fs.focus, fs.frame, fs.toStack = focusStack, startFrame(fd.nodes[fs.node].frames()), true
		case key.Matches(msg, k.Back):
			fs.focus, fs.detail = focusList, pane{}
			return
		case key.Matches(msg, k.PageUp):
			fs.detail.offset -= detailH - 1
			return
		case key.Matches(msg, k.PageDown):
			fs.detail.offset += detailH - 1
			return
		}
		fs.detail.follow = true
	case focusStack:
		switch {
		case key.Matches(msg, k.Up):
			fs.frame--
		case key.Matches(msg, k.Down):
			fs.frame++
		case key.Matches(msg, k.Top):
			fs.frame = 0
		case key.Matches(msg, k.Bottom):
			fs.frame = 1 << 30
		case key.Matches(msg, k.Back):
			fs.focus = focusChain
		case key.Matches(msg, k.PageUp):
			fs.detail.offset -= detailH - 1
			return
		case key.Matches(msg, k.PageDown):
			fs.detail.offset += detailH - 1
			return
		}
		fs.detail.follow = true
	}
}

// findingsWheel scrolls the list when the pointer is over it, the detail
// pane otherwise.
func (m *model) findingsWheel(y, delta int) {
	listH, _ := m.findingsLayout()
	if y <= listH+1 { // tab bar, list header, rows
		m.fv.list.move(delta)
		return
	}
	m.fv.detail.offset += delta
}

func (m *model) findingsView(h int) []string {
	fs := &m.fv
	st := m.st
	listH, detailH := m.findingsLayout()
	w := m.width
	fnW := max(10, w-51) // what the columns before the function leave
	out := []string{st.header.Render(fmt.Sprintf("  %-3s %-4s  %-22s %7s %6s  %s", "#", "SEV", "CATEGORY", "GORS", "WAIT", "ROOT FUNCTION"))}
	if len(m.data.findings) == 0 {
		out = append(out, "  No findings: no goroutine is blocked past a deadline in this capture.")
	} else if len(fs.visible) == 0 {
		out = append(out, fmt.Sprintf("  No finding matches %q (esc clears the filter).", fs.query))
	}
	lo, hi := fs.list.window(len(fs.visible), listH)
	for i := lo; i < hi; i++ {
		fd := m.data.findings[fs.visible[i]]
		badge := st.badge(fd.sev)
		if i == fs.list.cursor {
			// The cursor row is styled whole; styles do not nest.
			badge = plainBadge(fd.sev)
		}
		row := fmt.Sprintf("%-3d %s  %s %7s %6s  %s", fd.rank, badge, pad(fd.category, 22),
			padLeft(fd.count, 7), padLeft(fd.wait, 6), fit(fd.rootFunc, fnW))
		out = append(out, m.cursorRow(row, i == fs.list.cursor, fs.focus == focusList))
	}
	for len(out) < listH+1 {
		out = append(out, "")
	}
	out = append(out, st.dim.Render(strings.Repeat("─", w)))
	fd := m.currentFinding()
	if fd == nil {
		return append(out, m.captureSummary()...)
	}
	d := m.findingDoc(fd)
	return append(out, d.window(fs.detail.offset, detailH)...)
}

// cursorRow marks a list row under the cursor: "▸" always, reverse video
// when its pane has the focus, underline when not. The row must be plain
// text: lipgloss styles underlined text rune by rune, which would split
// any escape sequence inside it.
func (m *model) cursorRow(row string, selected, focused bool) string {
	if !selected {
		return "  " + row
	}
	if focused {
		return m.st.selected.Render("▸ " + row)
	}
	return m.st.selectedBlurred.Render("▸ " + row)
}

// findingDoc renders the detail of one finding at the terminal's width:
// the diagnosis, the chain tree, the fix, the selected link's stack, the
// evidence and the reasons for the confidence.
func (m *model) findingDoc(fd *findingData) doc {
	fs := &m.fv
	st := m.st
	f := fd.f
	w := m.width
	d := doc{cursorLine: -1, stackLine: -1}
	for _, l := range wrap(fd.title, w-1) {
		d.add(st.header.Render(l))
	}
	meta := fmt.Sprintf("%s · confidence %.2f · %s goroutines", f.Severity, f.Confidence, fd.count)
	if f.WaitKnown {
		meta += " · waiting " + human.WaitRange(report.FromSeconds(f.WaitMinS), report.FromSeconds(f.WaitMaxS), true)
	}
	if g := f.Growth; g != nil {
		meta += fmt.Sprintf(" · grew %d→%d over %d snapshots", g.From, g.To, g.Snapshots)
		if g.RateKnown {
			meta += " (" + human.Rate(g.PerMinute) + ")"
		}
	}
	d.add(st.dim.Render(meta), "")

	if len(fd.nodes) > 0 {
		d.add(st.header.Render("CHAIN") + st.dim.Render("  waiters → holder → what the holder waits on"))
		for _, i := range m.visibleNodes(fd) {
			n := fd.nodes[i]
			fold := "    "
			if n.children {
				fold = "[-] "
				if fs.collapsed[[2]int{fd.rank, i}] {
					fold = "[+] "
				}
			}
			row := fold + n.prefix + n.label
			if i == fs.node {
				if fs.focus == focusChain {
					d.cursorLine = len(d.lines)
				}
				d.add(m.cursorRow(row, true, fs.focus == focusChain))
			} else {
				d.add("  " + row)
			}
		}
		d.add("")
	}

	if fix := f.Fix; fix.Summary != "" || fix.Code != "" || fix.Detail != "" {
		for i, l := range wrap(clean(fix.Summary), w-6) {
			if i == 0 {
				d.add(st.header.Render("FIX") + "  " + l)
			} else {
				d.add("     " + l)
			}
		}
		for _, l := range cleanLines(fix.Code) {
			d.add("    " + st.code.Render(l))
		}
		for _, l := range wrap(clean(fix.Detail), w-2) {
			d.add("  " + l)
		}
		d.add("")
	}

	if fs.node < len(fd.nodes) {
		n := &fd.nodes[fs.node]
		d.stackLine = len(d.lines)
		d.add(st.header.Render("STACK") + st.dim.Render("  "+n.stackTitle+" · ● application frame"))
		if len(n.frames()) == 0 {
			d.add("  (no stack recorded for this link)")
		}
		for i, fr := range n.frames() {
			sel := fs.focus == focusStack && i == fs.frame
			if sel {
				d.cursorLine = len(d.lines)
			}
			d.add(m.frameLines(fr, sel)...)
		}
		d.add("")
	}

	if len(f.Evidence) > 0 {
		d.add(st.header.Render("EVIDENCE"))
		for _, e := range f.Evidence {
			line := "  • " + clean(e.Kind) + ": " + clean(e.Text)
			if e.GoroutineID != 0 {
				line += fmt.Sprintf(" (goroutine %d)", e.GoroutineID)
			}
			d.add(line)
		}
		d.add("")
	}
	if len(f.Contention) > 0 {
		d.add(st.header.Render("CONTENTION PROFILE"))
		for _, c := range f.Contention {
			d.add(fmt.Sprintf("  • %s %s ×%d, %s delay at %s:%d", clean(c.Kind), clean(c.Function), c.Count, human.Duration(report.FromSeconds(c.DelayS)), clean(c.File), c.Line))
		}
		d.add("")
	}
	if f.Explanation != "" {
		d.add(st.header.Render("WHY"))
		for _, l := range wrap(clean(f.Explanation), w-2) {
			d.add("  " + l)
		}
		d.add("")
	}
	if len(f.ConfidenceReasons) > 0 {
		d.add(st.header.Render(fmt.Sprintf("CONFIDENCE %.2f", f.Confidence)))
		for _, r := range f.ConfidenceReasons {
			d.add("  • " + clean(r))
		}
	}
	return d
}

// frameLines renders one frame as two lines, function then file:line, the
// way the runtime prints them. Application frames are marked "●" and
// highlighted; the link's blocking frame is coloured.
func (m *model) frameLines(fr frameRow, selected bool) []string {
	st := m.st
	mark := "  "
	if selected {
		mark = "▸ "
	}
	app := " "
	fn := fit(fr.fn, max(10, m.width-4))
	switch {
	case fr.app:
		app = "●"
		fn = st.app.Render(fn)
	case fr.blocking:
		fn = st.blocking.Render(fn)
	}
	first := mark + app + " " + fn
	if selected {
		first = st.selected.Render(mark+app+" ") + fn
	}
	return []string{first, "      " + st.dim.Render(fitLeft(fr.loc, max(10, m.width-6)))}
}

// captureSummary is shown in place of a finding's detail when there is
// none: the goroutines by state of the last snapshot.
func (m *model) captureSummary() []string {
	out := []string{m.st.header.Render("CAPTURE")}
	if len(m.data.snapshots) == 0 {
		return append(out, "  no goroutine snapshot in the inputs")
	}
	sd := m.data.snapshots[len(m.data.snapshots)-1]
	out = append(out, "  "+sd.label)
	byState := make(map[string]int)
	for _, g := range sd.groups {
		byState[g.state] += g.g.Count
	}
	for _, s := range sd.states {
		out = append(out, fmt.Sprintf("  %8s  %s", human.Count(byState[s]), s))
	}
	return out
}

// findingLabel names a finding in messages and titles.
func findingLabel(fd *findingData) string {
	return fmt.Sprintf("finding %d (%s, %s)", fd.rank, fd.category, fd.f.Severity)
}
