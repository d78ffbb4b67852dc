package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
)

// timelineState is the timeline view's state: a cursor over its rows and,
// for dumps, the snapshot whose waits are ordered.
type timelineState struct {
	rows scroller
	snap int // -1: the snapshot holding the finding's root, else the latest
}

func (ts *timelineState) reset() { ts.rows = scroller{} }

// tlRow is one timeline row: a label and a span. For traces the span is
// offsets from the trace's start; for dumps it is the wait before the
// capture (start = -wait, end = 0). The label is laid out in columns
// (layoutLabels): a one-cell mark, a number right-aligned to the widest
// of the timeline's, then the name.
type tlRow struct {
	mark    string // "*" for a row of the selected finding's chain, " " otherwise; "" for none
	num     string // a goroutine count or ID
	name    string
	label   string // mark, num and name in columns, set by layoutLabels
	start   time.Duration
	end     time.Duration
	open    bool // still blocked when the trace or capture ended
	inChain bool // belongs to the selected finding's chain
	detail  []string
}

// timeline is what the view draws: a title, rows, the axis span and how
// to label it.
type timeline struct {
	title    []string
	rows     []tlRow
	from, to time.Duration
	axisL    string
	axisR    string
	empty    string
	// labelW is the width of the widest label: every label is padded to
	// it, or to what the terminal leaves, so the bars of all rows start in
	// one column whatever the counts and waits, and whichever rows are
	// scrolled into view.
	labelW int
}

// layoutLabels lays out the rows' labels in columns (mark, number
// right-aligned, name) and sets tl.labelW.
func (tl *timeline) layoutLabels() {
	numW := 0
	for _, r := range tl.rows {
		numW = max(numW, ansi.StringWidth(r.num))
	}
	tl.labelW = 0
	for i := range tl.rows {
		r := &tl.rows[i]
		l := r.mark
		if numW > 0 {
			l += strings.Repeat(" ", numW-ansi.StringWidth(r.num)) + r.num + " "
		}
		r.label = l + r.name
		tl.labelW = max(tl.labelW, ansi.StringWidth(r.label))
	}
}

func (m *model) syncTimeline() {
	tl := m.buildTimeline()
	m.tv.rows.clamp(len(tl.rows), m.timelineRowsHeight(tl))
}

func (m *model) timelineRowsHeight(tl timeline) int {
	// title, axis, rows, a separator and a detail area of 5 lines.
	return max(1, m.bodyHeight()-len(tl.title)-1-6)
}

func (m *model) timelineKey(msg tea.KeyMsg) {
	tl := m.buildTimeline()
	switch {
	case m.listKey(msg, &m.tv.rows, m.timelineRowsHeight(tl)):
	case key.Matches(msg, m.keys.Snapshot) && len(m.data.snapshots) > 0:
		cur := m.timelineSnapshot()
		if msg.String() == "[" {
			cur--
		} else {
			cur++
		}
		m.tv.snap = max(0, min(cur, len(m.data.snapshots)-1))
		m.tv.reset()
	}
}

// buildTimeline returns the timeline for the selected finding and
// snapshot, computed once per pair. It chooses what to draw: the selected finding's chain on the
// trace's time axis when its links are timed; a trace's stuck goroutines
// otherwise; and, for dumps alone, the blocked groups ordered by how long
// they had been waiting when captured.
func (m *model) buildTimeline() timeline {
	fd := m.currentFinding()
	ck := [2]int{0, m.timelineSnapshot()}
	if fd != nil {
		ck[0] = fd.rank
	}
	if tl, ok := m.tlCache[ck]; ok {
		return tl
	}
	tl := m.computeTimeline(fd)
	tl.layoutLabels()
	m.tlCache[ck] = tl
	return tl
}

func (m *model) computeTimeline(fd *findingData) timeline {
	if fd != nil {
		if tl, ok := m.chainTimeline(fd); ok {
			return tl
		}
	}
	if len(m.data.capture.Traces) > 0 {
		if tl, ok := m.traceStuckTimeline(m.data.capture.Traces[0]); ok {
			return tl
		}
	}
	return m.dumpTimeline(fd)
}

func (m *model) chainTimeline(fd *findingData) (timeline, bool) {
	var end time.Duration // the trace that timed the links
	if fd.f.TraceEndNS != nil {
		end = time.Duration(*fd.f.TraceEndNS)
	}
	if end <= 0 {
		end = m.data.traceDur
	}
	tl := timeline{
		title: []string{m.st.header.Render("Chain of " + findingLabel(fd) + " on the trace's time axis"),
			m.st.dim.Render("█ still blocked at the end of the trace · ▒ blocked, then woken")},
		from:  0,
		to:    end,
		axisL: "0",
		axisR: human.Offset(end),
	}
	for _, n := range fd.nodes {
		l := n.link
		if !l.Timed {
			continue
		}
		start, stop := time.Duration(0), time.Duration(-1)
		if l.StartNS != nil {
			start = time.Duration(*l.StartNS)
		}
		if l.EndNS != nil && !l.NeverWoken {
			stop = time.Duration(*l.EndNS)
		}
		r := tlRow{
			name:    n.prefix + clean(l.Relation) + " " + clean(parser.ShortFunc(l.Function)),
			start:   start,
			end:     stop,
			open:    stop < 0,
			inChain: true,
		}
		if r.open {
			r.end = end
		}
		r.detail = append(r.detail,
			fmt.Sprintf("%s ×%s %s · %s", clean(l.Category), human.Count(l.Goroutines), clean(l.Relation), clean(l.Function)),
			fmt.Sprintf("blocked %s → %s", startText(start), endText(stop)))
		for _, e := range l.Wakes {
			r.detail = append(r.detail, wakeText(e))
		}
		tl.rows = append(tl.rows, r)
	}
	if len(tl.rows) == 0 || tl.to <= 0 {
		return timeline{}, false
	}
	return tl, true
}

func startText(start time.Duration) string {
	if start <= 0 {
		return "from the trace's start"
	}
	return "at " + human.Offset(start)
}

func endText(end time.Duration) string {
	if end < 0 {
		return "never woken while traced"
	}
	return "woken at " + human.Offset(end)
}

// wakeText says who woke whom for a wake edge.
func wakeText(e report.Wake) string {
	s := fmt.Sprintf("woken ×%d by %s", e.Count, clean(e.Kind))
	if e.WakerFunction != "" {
		s += " " + clean(e.WakerFunction)
	}
	if len(e.Wakers) > 0 {
		s += fmt.Sprintf(" (goroutine %d)", e.Wakers[0])
	}
	return s + fmt.Sprintf(" between %s and %s, max wait %s",
		human.Offset(time.Duration(e.FirstNS)), human.Offset(time.Duration(e.LastNS)), human.Duration(time.Duration(e.MaxWaitNS)))
}

// traceStuckTimeline draws the goroutines a trace ended with still blocked,
// earliest first.
func (m *model) traceStuckTimeline(t *parser.Trace) (timeline, bool) {
	tl := timeline{
		title: []string{m.st.header.Render("Goroutines still blocked when " + clean(t.Source.File) + " ended"),
			m.st.dim.Render("the selected finding has no timed chain; earliest blocked first")},
		to:    t.Duration,
		axisL: "0",
		axisR: human.Offset(t.Duration),
	}
	for _, g := range t.Goroutines {
		if g.Stuck == nil {
			continue
		}
		fn := g.Func
		if len(g.Stuck.Frames) > 0 {
			fn = tellingFunc(g.Stuck.Frames)
		}
		if fn == "" || parser.FuncClass(fn) == parser.ClassRuntime {
			continue // the runtime's own workers park by design
		}
		fn = clean(fn)
		tl.rows = append(tl.rows, tlRow{
			num:   "g" + strconv.FormatInt(g.ID, 10),
			name:  parser.ShortFunc(fn),
			start: g.Stuck.Start,
			end:   t.Duration,
			open:  true,
			detail: []string{
				fmt.Sprintf("goroutine %d · %s · blocked since %s%s", g.ID, clean(g.Stuck.Reason), human.Offset(g.Stuck.Start), beforeStart(g.Stuck.BeforeStart)),
				fn,
			},
		})
	}
	slices.SortStableFunc(tl.rows, func(a, b tlRow) int { return cmp.Compare(a.start, b.start) })
	return tl, len(tl.rows) > 0 && t.Duration > 0
}

func beforeStart(b bool) string {
	if b {
		return " (already blocked when the trace began)"
	}
	return ""
}

// timelineSnapshot is the snapshot whose waits the dump timeline orders.
func (m *model) timelineSnapshot() int {
	if m.tv.snap >= 0 && m.tv.snap < len(m.data.snapshots) {
		return m.tv.snap
	}
	if fd := m.currentFinding(); fd != nil && len(fd.nodes) > 0 {
		if ref, ok := m.data.groupAt[fd.nodes[0].group]; ok {
			return ref.snap
		}
	}
	return len(m.data.snapshots) - 1
}

// dumpTimeline orders a snapshot's blocked groups by how long they had
// been waiting: the "blocked since" view of a dump, with the selected
// finding's chain marked.
func (m *model) dumpTimeline(fd *findingData) timeline {
	si := m.timelineSnapshot()
	if si < 0 {
		return timeline{empty: "No goroutine snapshot and no trace to draw a timeline from."}
	}
	sd := m.data.snapshots[si]
	inChain := make(map[int]bool)
	if fd != nil {
		for _, n := range fd.nodes {
			if ref, ok := m.data.groupAt[n.group]; ok && ref.snap == si {
				inChain[ref.group] = true
			}
		}
	}
	order := sd.byWait()
	tl := timeline{
		title: []string{m.st.header.Render("Blocked since, from wait durations · " + sd.label),
			m.st.dim.Render("longest waiting first · * in the selected finding's chain · bars end at the capture")},
		axisR: "capture",
	}
	if len(order) > 0 {
		longest := report.FromSeconds(sd.groups[order[0]].g.WaitMaxS)
		tl.from, tl.to = -longest, 0
		tl.axisL = "-" + human.Duration(longest)
	}
	for _, gi := range order {
		row := sd.groups[gi]
		wait := report.FromSeconds(row.g.WaitMaxS)
		mark := " "
		if inChain[gi] {
			mark = "*"
		}
		r := tlRow{
			mark:    mark,
			num:     row.count,
			name:    parser.ShortFunc(row.fn),
			start:   -wait,
			end:     0,
			open:    true,
			inChain: inChain[gi],
			detail: []string{
				fmt.Sprintf("%s goroutines · %s · blocked %s before the capture", row.count, row.state, row.wait),
				row.fn,
			},
		}
		if !sd.time.IsZero() {
			r.detail[0] += " (since ≈ " + sd.time.Add(-wait).UTC().Format("15:04 UTC") + ")"
		}
		tl.rows = append(tl.rows, r)
	}
	if len(tl.rows) == 0 {
		tl.empty = "No blocked goroutine printed a wait duration (the runtime prints one from a minute on)."
	}
	return tl
}

// byWait returns the indices of the groups with a known wait, longest
// first, computed once per snapshot.
func (sd *snapshotData) byWait() []int {
	if sd.waitOrder != nil {
		return sd.waitOrder
	}
	order := make([]int, 0)
	for i, row := range sd.groups {
		if row.g.WaitKnown && row.g.WaitMaxS > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(sd.groups[b].g.WaitMaxS, sd.groups[a].g.WaitMaxS)
	})
	sd.waitOrder = order
	return order
}

func (m *model) timelineView(h int) []string {
	st := m.st
	tl := m.buildTimeline()
	if tl.empty != "" && len(tl.rows) == 0 {
		return append(tl.title, "  "+tl.empty)
	}
	w := m.width
	// Labels take the width the widest needs, and leave the bars at least
	// a third of the line.
	labelW := min(tl.labelW, max(16, w-4-max(10, w/3)))
	barW := max(10, w-labelW-4)
	out := append([]string(nil), tl.title...)
	axis := pad(tl.axisL, barW-len(tl.axisR)) + tl.axisR
	out = append(out, strings.Repeat(" ", labelW+4)+st.dim.Render(axis))
	rowsH := m.timelineRowsHeight(tl)
	lo, hi := m.tv.rows.window(len(tl.rows), rowsH)
	span := tl.to - tl.from
	for i := lo; i < hi; i++ {
		r := tl.rows[i]
		c0, c1 := barCols(r.start-tl.from, r.end-tl.from, span, barW)
		glyph, style := "▒", st.bar
		if r.open {
			glyph, style = "█", st.barOpen
		}
		bar := strings.Repeat(" ", c0) + style.Render(strings.Repeat(glyph, c1-c0))
		label := pad(r.label, labelW)
		if r.inChain {
			label = st.highlight.Render(label)
		}
		line := label + " │" + bar
		if i == m.tv.rows.cursor {
			line = st.selected.Render("▸ ") + line
		} else {
			line = "  " + line
		}
		out = append(out, line)
	}
	for len(out) < len(tl.title)+1+rowsH {
		out = append(out, "")
	}
	out = append(out, st.dim.Render(strings.Repeat("─", w)))
	if c := m.tv.rows.cursor; c < len(tl.rows) {
		for _, l := range tl.rows[c].detail {
			out = append(out, "  "+l)
		}
	}
	return out
}

// barCols maps a span to bar columns [c0, c1) on a width-w axis; a bar is
// at least one cell wide so that short blocks stay visible.
func barCols(start, end, span time.Duration, w int) (int, int) {
	if span <= 0 {
		return 0, w
	}
	c0 := int(int64(start) * int64(w) / int64(span))
	c1 := int(int64(end) * int64(w) / int64(span))
	c0 = max(0, min(c0, w-1))
	c1 = max(c0+1, min(c1, w))
	return c0, c1
}
