package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// dataset is everything the views show, computed once before the UI opens:
// display strings are cleaned and formatted here, goroutine groups and
// their search terms built here, so that a keypress only moves cursors and
// filters precomputed rows.
type dataset struct {
	capture   *parser.Capture
	findings  []*findingData
	snapshots []*snapshotData
	// traceDur is the longest trace's span; 0 without traces.
	traceDur time.Duration
	// member maps every goroutine to the browser group holding it, so that
	// a chain link (whose Group the detectors built) finds its row.
	member map[*parser.Goroutine]groupRef
	// goroutines is the goroutine count of the last snapshot.
	goroutines int
}

// groupRef locates a group: snapshot index, then group index.
type groupRef struct{ snap, group int }

// findingData is one finding's display data.
type findingData struct {
	f        *detectors.Finding
	rank     int // 1-based
	category string
	count    string
	wait     string
	rootFunc string
	title    string
	haystack string // lowercase text the findings filter searches
	nodes    []chainNode
}

// chainNode is one link of a finding's chain as a tree row.
type chainNode struct {
	link     *detectors.Link
	parent   int  // index of the parent node, -1 for a top-level node
	children bool // has at least one child
	prefix   string
	label    string
	// stackTitle names whose stack is shown; stack is that stack.
	stackTitle string
	stack      []frameRow
}

// frameRow is one stack frame ready for display.
type frameRow struct {
	fn   string // cleaned function name
	loc  string // cleaned "file:line"
	file string // cleaned path, for the editor
	line int
	app  bool // an application frame
	// blocking marks the frame a chain link names as its most telling one.
	blocking bool
}

// snapshotData is one goroutine snapshot's groups, for the browser.
type snapshotData struct {
	label  string
	time   time.Time
	total  int
	groups []*groupRow
	// terms are the distinct lowercase search terms (function, package,
	// file, state) of all groups; groupRow.terms index into it.
	terms []string
	// states lists the distinct states, most goroutines first, for the
	// state filter.
	states []string
	// waitOrder is byWait's result, built on first use.
	waitOrder []int
}

// groupRow is one group of identical goroutines ready for display.
type groupRow struct {
	g     *parser.Group
	count string
	state string
	wait  string
	fn    string // the telling frame: first outside the runtime
	terms []int32
	// stack is built the first time the group is opened.
	stack []frameRow
}

func newDataset(c *parser.Capture, r *detectors.Diagnosis) *dataset {
	if c == nil {
		c = &parser.Capture{}
	}
	d := &dataset{capture: c, member: make(map[*parser.Goroutine]groupRef)}
	for i, s := range c.Snapshots {
		d.snapshots = append(d.snapshots, d.newSnapshot(i, len(c.Snapshots), s))
	}
	if n := len(c.Snapshots); n > 0 {
		d.goroutines = c.Snapshots[n-1].Count()
	}
	for _, t := range c.Traces {
		d.traceDur = max(d.traceDur, t.Duration)
	}
	if r != nil {
		for i, f := range r.Findings {
			d.findings = append(d.findings, newFindingData(i+1, f))
		}
	}
	return d
}

func (d *dataset) newSnapshot(idx, n int, s *parser.Snapshot) *snapshotData {
	sd := &snapshotData{time: s.Source.Time, total: s.Count()}
	sd.label = fmt.Sprintf("%s goroutines · %s", human.Count(sd.total), clean(s.Source.String()))
	if n > 1 {
		sd.label = fmt.Sprintf("snapshot %d/%d · %s", idx+1, n, sd.label)
	}
	if !sd.time.IsZero() {
		sd.label += " · " + sd.time.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	termID := make(map[string]int32)
	term := func(t string) int32 {
		t = strings.ToLower(t)
		id, ok := termID[t]
		if !ok {
			id = int32(len(sd.terms))
			termID[t] = id
			sd.terms = append(sd.terms, t)
		}
		return id
	}
	stateCount := make(map[string]int)
	for gi, g := range parser.GroupGoroutines(s.Goroutines) {
		row := &groupRow{
			g:     g,
			count: human.Count(g.Count),
			state: clean(g.State),
			fn:    clean(tellingFunc(g.Frames)),
		}
		row.wait = human.WaitRange(g.WaitMin, g.WaitMax, g.WaitKnown > 0)
		stateCount[row.state] += g.Count
		row.terms = append(row.terms, term(row.state))
		for _, f := range g.Frames {
			row.terms = append(row.terms, term(clean(f.Func)), term(clean(f.Package())), term(clean(f.File)))
		}
		if cb := g.CreatedBy; cb != nil {
			row.terms = append(row.terms, term(clean(cb.Func)), term(clean(cb.File)))
		}
		slices.Sort(row.terms)
		row.terms = slices.Compact(row.terms)
		for _, m := range g.Members {
			d.member[m] = groupRef{idx, gi}
		}
		sd.groups = append(sd.groups, row)
	}
	for st := range stateCount {
		sd.states = append(sd.states, st)
	}
	slices.SortFunc(sd.states, func(a, b string) int {
		if c := cmp.Compare(stateCount[b], stateCount[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return sd
}

// tellingFunc names a goroutine by its telling frame (parser.TellingFrame).
func tellingFunc(frames []parser.Frame) string {
	if i := parser.TellingFrame(frames); i >= 0 {
		return frames[i].Func
	}
	return "(no frames)"
}

// frames returns a group's frames for display, building them once.
func (row *groupRow) frames() []frameRow {
	if row.stack == nil {
		row.stack = frameRows(row.g.Frames, -1, "")
	}
	return row.stack
}

// frameRows formats frames. appFrame is the index the detectors marked as
// the first application frame (-1 if unknown); it and every frame that is
// application code by detectors.IsAppFrame are marked; blockingFunc names
// the frame a chain link calls its most telling one.
func frameRows(frames []parser.Frame, appFrame int, blockingFunc string) []frameRow {
	rows := make([]frameRow, 0, len(frames))
	for i, f := range frames {
		fr := frameRow{
			fn:   clean(f.Func),
			file: clean(f.File),
			line: f.Line,
		}
		fr.loc = fmt.Sprintf("%s:%d", fr.file, f.Line)
		fr.app = i == appFrame || detectors.IsAppFrame(f)
		fr.blocking = blockingFunc != "" && f.Func == blockingFunc
		rows = append(rows, fr)
	}
	return rows
}

func newFindingData(rank int, f *detectors.Finding) *findingData {
	fd := &findingData{
		f:        f,
		rank:     rank,
		category: clean(string(f.Category)),
		count:    human.Count(f.Goroutines),
		wait:     human.Wait(f.WaitMax, f.WaitKnown),
		title:    clean(f.Title),
	}
	fd.rootFunc = rootFunction(f)
	fd.nodes = chainNodes(f)
	hay := []string{fd.category, f.Severity.String(), fd.title, fd.rootFunc, clean(f.Fix.Summary)}
	if a := f.Root.AppFrame; a >= 0 && a < len(f.Root.Frames) {
		hay = append(hay, clean(f.Root.Frames[a].Func), clean(f.Root.Frames[a].File))
	}
	for _, n := range fd.nodes {
		hay = append(hay, clean(n.link.Function), clean(n.link.File))
	}
	fd.haystack = strings.ToLower(strings.Join(hay, "\n"))
	return fd
}

// rootFunction is the function a finding's row names, as the table output
// does: the root link's blocking call, else the root's first application
// frame, else its telling frame.
func rootFunction(f *detectors.Finding) string {
	if len(f.Chain) > 0 && f.Chain[0].Function != "" {
		return clean(f.Chain[0].Function)
	}
	fr := f.Root.Frames
	if f.Root.AppFrame >= 0 && f.Root.AppFrame < len(fr) {
		return clean(fr[f.Root.AppFrame].Func)
	}
	if len(fr) > 0 {
		return clean(tellingFunc(fr))
	}
	return "(unknown)"
}

// chainNodes turns a finding's pre-order chain into tree rows with their
// connector glyphs and stacks.
func chainNodes(f *detectors.Finding) []chainNode {
	if len(f.Chain) == 0 && len(f.Root.Frames) > 0 {
		// A finding without a chain still has its root: show it as the
		// one node, so that its stack is reachable like any other.
		root := *f
		fn := f.Root.Frames[0].Func
		if a := f.Root.AppFrame; a >= 0 && a < len(f.Root.Frames) {
			fn = f.Root.Frames[a].Func
		}
		root.Chain = []detectors.Link{{Relation: detectors.RelRoot, Category: f.Category, Goroutines: f.Goroutines,
			Function: fn, State: f.Root.State, WaitMax: f.Root.Wait, WaitKnown: f.Root.WaitKnown, Group: f.Root.Group, End: -1}}
		f = &root
	}
	nodes := make([]chainNode, len(f.Chain))
	last := make([]bool, len(f.Chain)) // last child of its parent
	for i := range f.Chain {
		l := &f.Chain[i]
		nodes[i] = chainNode{link: l, parent: -1}
		for j := i - 1; j >= 0; j-- {
			if f.Chain[j].Depth < l.Depth {
				nodes[i].parent = j
				nodes[j].children = true
				break
			}
		}
	}
	for i := range nodes {
		last[i] = true
		for j := i + 1; j < len(nodes); j++ {
			if nodes[j].parent == nodes[i].parent {
				last[i] = false
				break
			}
			if nodes[i].parent >= 0 && f.Chain[j].Depth <= f.Chain[nodes[i].parent].Depth {
				break
			}
		}
	}
	for i := range nodes {
		n := &nodes[i]
		l := n.link
		if n.parent >= 0 {
			var anc []string
			for a := n.parent; a >= 0 && nodes[a].parent >= 0; a = nodes[a].parent {
				if last[a] {
					anc = append(anc, "   ")
				} else {
					anc = append(anc, "│  ")
				}
			}
			slices.Reverse(anc)
			n.prefix = strings.Join(anc, "")
			if last[i] {
				n.prefix += "└─ "
			} else {
				n.prefix += "├─ "
			}
		}
		wait := ""
		if l.WaitKnown {
			wait = " · " + human.Wait(l.WaitMax, true)
		}
		n.label = fmt.Sprintf("%s %s ×%s%s  %s", clean(string(l.Relation)), clean(string(l.Category)), human.Count(l.Goroutines), wait, clean(l.Function))
		switch {
		case l.Depth == 0 && len(f.Root.Frames) > 0 && (l.Group == nil || l.Group == f.Root.Group):
			n.stack = frameRows(f.Root.Frames, f.Root.AppFrame, l.Function)
			n.stackTitle = "root"
			if f.Root.GoroutineID != 0 {
				n.stackTitle = fmt.Sprintf("root goroutine %d", f.Root.GoroutineID)
			}
		case l.Group != nil:
			n.stack = frameRows(l.Group.Frames, -1, l.Function)
			n.stackTitle = fmt.Sprintf("%s link, %s goroutines", clean(string(l.Relation)), human.Count(l.Goroutines))
		default:
			n.stackTitle = fmt.Sprintf("%s link", clean(string(l.Relation)))
			if l.Function != "" {
				n.stack = []frameRow{{fn: clean(l.Function), file: clean(l.File), line: l.Line,
					loc: fmt.Sprintf("%s:%d", clean(l.File), l.Line), blocking: true, app: detectors.IsAppFrame(parser.Frame{Func: l.Function})}}
			}
		}
	}
	return nodes
}
