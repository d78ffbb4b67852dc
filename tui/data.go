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
	"github.com/ctxhole/ctxhole/report"
)

// dataset is everything the views show, computed once before the UI opens
// from the report's Document, the one view model every output renders
// (its strings already cleaned by report.Build): display strings are
// formatted here, goroutine groups and their search terms built here, so
// that a keypress only moves cursors and filters precomputed rows. The raw
// capture is kept for one view the document does not carry: a trace's
// stuck goroutines when no finding is timed.
type dataset struct {
	doc       *report.Document
	capture   *parser.Capture
	findings  []*findingData
	snapshots []*snapshotData
	// traceDur is the longest trace's span; 0 without traces.
	traceDur time.Duration
	// groupAt locates every document group (by its index in doc.Groups)
	// in the browser, so that a chain link's group finds its row.
	groupAt map[int]groupRef
	// goroutines is the goroutine count of the last snapshot.
	goroutines int
}

// groupRef locates a group: snapshot index, then group index.
type groupRef struct{ snap, group int }

// findingData is one finding's display data.
type findingData struct {
	f        *report.Finding
	sev      detectors.Severity
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
	link *report.Link
	// group is the link's group in the document (report.Link.Group), -1
	// when the document lists none.
	group    int
	parent   int  // index of the parent node, -1 for a top-level node
	children bool // has at least one child
	prefix   string
	label    string
	// stackTitle names whose stack is shown; frames() returns that stack,
	// built from src (app and blocking marked) the first time it is
	// shown: a chain of thousands of links must not format thousands of
	// stacks before the first frame.
	stackTitle string
	src        []report.Frame
	srcApp     int
	blocking   string
	stack      []frameRow
	built      bool
}

// frames returns the node's stack for display, building it once.
func (n *chainNode) frames() []frameRow {
	if !n.built {
		n.stack, n.built = frameRows(n.src, n.srcApp, n.blocking), true
	}
	return n.stack
}

// frameRow is one stack frame ready for display.
type frameRow struct {
	fn   string // function name
	loc  string // "file:line"
	file string // path, for the editor
	line int
	app  bool // an application frame
	// blocking marks the frame a chain link names as its most telling one.
	blocking bool
}

// snapshotData is one goroutine snapshot's groups, for the browser: the
// primary snapshot of each moment captured, as the document lists them.
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
	g     *report.Group
	count string
	state string
	wait  string
	fn    string // the telling frame (parser.TellingFrame)
	// app is the browser's FUNCTION column: the first application frame,
	// the code to change (main.(*server).orderStatus rather than
	// sync.(*Mutex).Lock), else the telling frame.
	app   string
	terms []int32
	// stack is built the first time the group is opened.
	stack []frameRow
}

func newDataset(c *parser.Capture, r *detectors.Diagnosis) *dataset {
	if c == nil {
		c = &parser.Capture{}
	}
	return newDocDataset(report.Build(c, r, report.Tool{Name: "ctxhole"}), c)
}

// newDocDataset prepares the display data of a document; c supplies the
// traces for the stuck-goroutine timeline.
func newDocDataset(doc *report.Document, c *parser.Capture) *dataset {
	d := &dataset{doc: doc, capture: c, groupAt: make(map[int]groupRef)}
	var primaries []int
	for i, in := range doc.Inputs {
		if in.Kind == report.KindGoroutines && in.Primary {
			primaries = append(primaries, i)
		}
		if in.Kind == report.KindTrace {
			d.traceDur = max(d.traceDur, report.FromSeconds(in.DurationS))
		}
	}
	for si, input := range primaries {
		d.snapshots = append(d.snapshots, d.newSnapshot(si, len(primaries), input))
	}
	if n := len(d.snapshots); n > 0 {
		d.goroutines = d.snapshots[n-1].total
	}
	for i := range doc.Findings {
		d.findings = append(d.findings, d.newFindingData(&doc.Findings[i]))
	}
	return d
}

func (d *dataset) newSnapshot(idx, n, input int) *snapshotData {
	in := d.doc.Inputs[input]
	sd := &snapshotData{total: in.Goroutines}
	if t, err := time.Parse(time.RFC3339Nano, in.CapturedAt); err == nil {
		sd.time = t
	}
	src := parser.Source{File: in.File, Index: in.Index, Line: in.Line}
	sd.label = fmt.Sprintf("%s goroutines · %s", human.Count(sd.total), clean(src.String()))
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
	for gi := range d.doc.Groups {
		g := &d.doc.Groups[gi]
		if g.Input != input {
			continue
		}
		row := &groupRow{
			g:     g,
			count: human.Count(g.Count),
			state: clean(g.DisplayState()),
			wait:  human.WaitRange(report.FromSeconds(g.WaitMinS), report.FromSeconds(g.WaitMaxS), g.WaitKnown),
			fn:    clean(tellingFunc(parserFrames(g.Stack))),
		}
		row.app = row.fn
		if g.AppFrame != nil && g.AppFrame.Function != "" {
			row.app = clean(g.AppFrame.Function)
		}
		stateCount[row.state] += g.Count
		row.terms = append(row.terms, term(row.state))
		for _, f := range g.Stack {
			row.terms = append(row.terms, term(clean(f.Function)), term(clean(parser.FuncPackage(f.Function))), term(clean(f.File)))
		}
		if cb := g.CreatedBy; cb != nil {
			row.terms = append(row.terms, term(clean(cb.Function)), term(clean(cb.File)))
		}
		slices.Sort(row.terms)
		row.terms = slices.Compact(row.terms)
		d.groupAt[gi] = groupRef{idx, len(sd.groups)}
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

// parserFrames gives document frames to the parser's frame rules.
func parserFrames(fs []report.Frame) []parser.Frame {
	out := make([]parser.Frame, len(fs))
	for i, f := range fs {
		out[i] = parser.Frame{Func: f.Function, File: f.File, Line: f.Line}
	}
	return out
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
		row.stack = frameRows(row.g.Stack, row.g.AppFrameIndex, "")
	}
	return row.stack
}

// frameRows formats frames. appFrame is the index the document marks as
// the first application frame (-1 if none); it and every frame that is
// application code by detectors.IsAppFrame are marked; blockingFunc names
// the frame a chain link calls its most telling one.
func frameRows(frames []report.Frame, appFrame int, blockingFunc string) []frameRow {
	rows := make([]frameRow, 0, len(frames))
	for i, f := range frames {
		fr := frameRow{
			fn:   clean(f.Function),
			file: clean(f.File),
			line: f.Line,
		}
		fr.loc = fmt.Sprintf("%s:%d", fr.file, f.Line)
		fr.app = i == appFrame || detectors.IsAppFrame(parser.Frame{Func: f.Function})
		fr.blocking = blockingFunc != "" && f.Function == blockingFunc
		rows = append(rows, fr)
	}
	return rows
}

func (d *dataset) newFindingData(f *report.Finding) *findingData {
	sev, err := detectors.ParseSeverity(f.Severity)
	if err != nil {
		sev = detectors.SevInfo
	}
	fd := &findingData{
		f:        f,
		sev:      sev,
		rank:     f.Rank,
		category: clean(f.Category),
		count:    human.Count(f.Goroutines),
		wait:     human.Wait(report.FromSeconds(f.WaitMaxS), f.WaitKnown),
		title:    clean(f.Title),
		rootFunc: clean(f.Root.Function),
	}
	if fd.rootFunc == "" {
		fd.rootFunc = "(unknown)"
	}
	fd.nodes = d.chainNodes(f)
	hay := []string{fd.category, f.Severity, fd.title, fd.rootFunc, clean(f.Fix.Summary)}
	if a := f.Root.AppFrame; a >= 0 && a < len(f.Root.Stack) {
		hay = append(hay, clean(f.Root.Stack[a].Function), clean(f.Root.Stack[a].File))
	}
	for _, n := range fd.nodes {
		hay = append(hay, clean(n.link.Function), clean(n.link.File))
	}
	fd.haystack = strings.ToLower(strings.Join(hay, "\n"))
	return fd
}

// linkGroup returns the document group index of a link, -1 if none.
func (d *dataset) linkGroup(l *report.Link) int {
	if l.Group != nil && *l.Group >= 0 && *l.Group < len(d.doc.Groups) {
		return *l.Group
	}
	return -1
}

// chainNodes turns a finding's pre-order chain into tree rows with their
// connector glyphs and stacks.
func (d *dataset) chainNodes(f *report.Finding) []chainNode {
	chain := f.Chain
	if len(chain) == 0 && len(f.Root.Stack) > 0 {
		// A finding without a chain still has its root: show it as the
		// one node, so that its stack is reachable like any other.
		chain = []report.Link{{Relation: "root", Category: f.Category, Goroutines: f.Goroutines,
			Function: f.Root.Function, File: f.Root.File, Line: f.Root.Line, State: f.Root.State,
			WaitMaxS: f.Root.WaitS, WaitKnown: f.Root.WaitKnown}}
	}
	rootGroup := -1
	if len(chain) > 0 {
		rootGroup = d.linkGroup(&chain[0])
	}
	// Parents from the pre-order depths, with the path from the top to
	// the current node on a stack; a node is its parent's last child when
	// no later node has the same parent (in pre-order a parent's subtree
	// is contiguous). Linear: a chain can have thousands of siblings.
	nodes := make([]chainNode, len(chain))
	var path []int
	lastChild := make(map[int]int, len(chain)) // parent (-1: the top) → its last child
	for i := range chain {
		l := &chain[i]
		nodes[i] = chainNode{link: l, parent: -1, group: d.linkGroup(l)}
		for len(path) > 0 && chain[path[len(path)-1]].Depth >= l.Depth {
			path = path[:len(path)-1]
		}
		if len(path) > 0 {
			p := path[len(path)-1]
			nodes[i].parent = p
			nodes[p].children = true
		}
		path = append(path, i)
		lastChild[nodes[i].parent] = i
	}
	last := make([]bool, len(chain)) // last child of its parent
	for i := range nodes {
		last[i] = lastChild[nodes[i].parent] == i
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
			wait = " · " + human.Wait(report.FromSeconds(l.WaitMaxS), true)
		}
		n.label = fmt.Sprintf("%s %s ×%s%s  %s", clean(l.Relation), clean(l.Category), human.Count(l.Goroutines), wait, clean(l.Function))
		switch {
		case l.Depth == 0 && len(f.Root.Stack) > 0 && (n.group < 0 || n.group == rootGroup):
			n.src, n.srcApp, n.blocking = f.Root.Stack, f.Root.AppFrame, l.Function
			n.stackTitle = "root"
			if f.Root.GoroutineID != 0 {
				n.stackTitle = fmt.Sprintf("root goroutine %d", f.Root.GoroutineID)
			}
		case n.group >= 0:
			g := &d.doc.Groups[n.group]
			n.src, n.srcApp, n.blocking = g.Stack, g.AppFrameIndex, l.Function
			n.stackTitle = fmt.Sprintf("%s link, %s goroutines", clean(l.Relation), human.Count(l.Goroutines))
		default:
			n.stackTitle = fmt.Sprintf("%s link", clean(l.Relation))
			n.built = true
			if l.Function != "" {
				n.stack = []frameRow{{fn: clean(l.Function), file: clean(l.File), line: l.Line,
					loc: fmt.Sprintf("%s:%d", clean(l.File), l.Line), blocking: true, app: detectors.IsAppFrame(parser.Frame{Func: l.Function})}}
			}
		}
	}
	return nodes
}
