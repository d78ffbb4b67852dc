package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// cellMaxWidth is where table cells wrap: wide enough for a qualified
// function name, narrow enough that a findings table fits a terminal.
const cellMaxWidth = 56

// WriteTable writes the terminal report: the capture summary, the ranked
// findings with their chains, then the goroutine groups.
func WriteTable(w io.Writer, d *Document, opts Options) error {
	t := &textWriter{w: w, p: painter{on: opts.Color}}
	writeSummaryTable(t, d)
	writeFindingsTable(t, d, opts)
	writeGroupsTable(t, d, opts)
	return t.err
}

// textWriter remembers the first write error so that rendering code can
// write freely and report once.
type textWriter struct {
	w   io.Writer
	p   painter
	err error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

func (t *textWriter) heading(s string) {
	t.printf("\n%s\n", t.p.bold(s))
}

// table renders rows under header with tablewriter's ASCII style (safe to
// paste into tickets and logs), wrapping long cells.
func (t *textWriter) table(header []string, rows [][]string, rightAligned ...int) {
	t.tableWith(false, header, rows, rightAligned...)
}

// tableWith is table with a choice of separator lines between rows, which
// keep rows of multi-line cells apart.
func (t *textWriter) tableWith(rowLines bool, header []string, rows [][]string, rightAligned ...int) {
	if t.err != nil {
		return
	}
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignLeft
	}
	for _, c := range rightAligned {
		align[c] = tw.AlignRight
	}
	tbl := tablewriter.NewTable(t.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols:  tw.NewSymbols(tw.StyleASCII),
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: state(rowLines)}},
		})),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowMaxWidth(cellMaxWidth),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tbl.Header(header)
	for _, r := range rows {
		if err := tbl.Append(r); err != nil {
			t.err = fmt.Errorf("rendering table: %w", err)
			return
		}
	}
	if err := tbl.Render(); err != nil {
		t.err = fmt.Errorf("rendering table: %w", err)
	}
}

func writeSummaryTable(t *textWriter, d *Document) {
	s := d.Summary
	var profiles, traces int
	for _, in := range d.Inputs {
		switch in.Kind {
		case KindContention:
			profiles++
		case KindTrace:
			traces++
		}
	}
	t.printf("%s %s parsed from %s", t.p.bold("ctxhole:"), plural(s.Goroutines, "goroutine"), plural(s.Snapshots, "snapshot"))
	if s.Moments != s.Snapshots {
		t.printf(" of %s", plural(s.Moments, "distinct moment"))
	}
	if profiles > 0 {
		t.printf(", %s", plural(profiles, "contention profile"))
	}
	if traces > 0 {
		t.printf(", %s", plural(traces, "trace"))
	}
	t.printf("\n")
	if s.Deadlock {
		t.printf("%s\n", t.p.severity("critical")+": the runtime declared a global deadlock (all goroutines are asleep)")
	}

	t.heading("INPUTS")
	rows := make([][]string, 0, len(d.Inputs))
	for i, in := range d.Inputs {
		file := in.File
		if in.Line > 1 || in.Index > 0 {
			file += ":" + strconv.Itoa(in.Line)
		}
		what := ""
		switch in.Kind {
		case KindGoroutines:
			what = plural(in.Goroutines, "goroutine")
			if in.DeclaredTotal > 0 && in.DeclaredTotal != in.Goroutines {
				what += fmt.Sprintf(" (declares %d)", in.DeclaredTotal)
			}
		case KindContention:
			what = fmt.Sprintf("%s profile, %s", in.ProfileKind, plural(in.Samples, "sample"))
		case KindTrace:
			what = fmt.Sprintf("%s, %s", formatDuration(time.Duration(in.DurationS*float64(time.Second))), plural(in.TraceGoroutines, "goroutine"))
		}
		if in.Kind == KindGoroutines && !in.Primary {
			what += " (same moment as another, richer capture: not counted)"
		}
		if in.Truncated {
			what += ", TRUNCATED"
		}
		if p := in.Preamble; p != nil {
			what += "; " + preambleLine(p)
		}
		rows = append(rows, []string{strconv.Itoa(i), file, in.Format, what, in.CapturedAt})
	}
	t.table([]string{"#", "file", "format", "contents", "captured"}, rows, 0)

	if len(s.ByState) > 0 {
		t.heading("GOROUTINES BY STATE")
		states := make([]string, 0, len(s.ByState))
		for k := range s.ByState {
			states = append(states, k)
		}
		slices.SortFunc(states, func(a, b string) int {
			if c := cmp.Compare(s.ByState[b], s.ByState[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		rows = rows[:0]
		for _, k := range states {
			rows = append(rows, []string{k, strconv.Itoa(s.ByState[k])})
		}
		t.table([]string{"state", "goroutines"}, rows, 1)
	}

	if len(s.LongestWaits) > 0 {
		t.heading("LONGEST WAITS")
		rows = rows[:0]
		for _, lw := range s.LongestWaits {
			rows = append(rows, []string{
				formatWait(lw.WaitMaxS, true), strconv.Itoa(lw.Goroutines), lw.State,
				lw.Function + "\n" + location(shortFile(lw.File), lw.Line), strconv.Itoa(lw.Input),
			})
		}
		t.tableWith(true, []string{"wait", "goroutines", "state", "where", "input"}, rows, 1, 4)
	}

	if len(s.Warnings) > 0 {
		t.heading(fmt.Sprintf("WARNINGS (%d)", len(s.Warnings)))
		for _, w := range s.Warnings {
			t.printf("  %s\n", warningString(w))
		}
	}
}

// preambleLine summarises why a dump exists, in one line.
func preambleLine(p *Preamble) string {
	switch {
	case p.Fatal != "":
		return "fatal error: " + p.Fatal
	case p.TestTimeout != "":
		return "test timed out after " + p.TestTimeout
	case len(p.Panic) > 0:
		return "panic: " + p.Panic[0]
	default:
		return p.Signal
	}
}

func warningString(w Warning) string {
	switch {
	case w.Line > 0:
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
	case w.Offset >= 0:
		return fmt.Sprintf("%s: byte %d: %s", w.File, w.Offset, w.Message)
	default:
		return fmt.Sprintf("%s: %s", w.File, w.Message)
	}
}

func writeGroupsTable(t *textWriter, d *Document, opts Options) {
	if len(d.Groups) == 0 {
		return
	}
	shown := d.Groups
	title := "GOROUTINE GROUPS"
	if !opts.Verbose {
		primary := primarySnapshot(d)
		var inSnap []Group
		for _, g := range d.Groups {
			if g.Input == primary {
				inSnap = append(inSnap, g)
			}
		}
		n := min(len(inSnap), opts.maxGroups())
		shown = inSnap[:n]
		title = fmt.Sprintf("GOROUTINE GROUPS of input %d (%s), top %d of %d by count", primary, d.Inputs[primary].File, n, len(inSnap))
		if n < len(d.Groups) {
			title += "; -v shows all"
		}
	}
	t.heading(title)
	rows := make([][]string, 0, len(shown))
	for _, g := range shown {
		top, app := "", ""
		if g.TopFrame != nil {
			top = g.TopFrame.Function + "\n" + location(shortFile(g.TopFrame.File), g.TopFrame.Line)
		}
		if g.AppFrame != nil {
			app = g.AppFrame.Function + "\n" + location(shortFile(g.AppFrame.File), g.AppFrame.Line)
		}
		wait := "-"
		if g.WaitKnown {
			wait = formatWait(g.WaitMinS, true)
			if g.WaitMaxS != g.WaitMinS {
				wait += " .. " + formatWait(g.WaitMaxS, true)
			}
		}
		row := []string{strconv.Itoa(g.Count), groupState(g), wait, top, app}
		if opts.Verbose {
			row = append([]string{strconv.Itoa(g.Input)}, row...)
		}
		rows = append(rows, row)
	}
	header := []string{"count", "state", "wait", "top frame", "first app frame"}
	right := []int{0}
	if opts.Verbose {
		header = append([]string{"input"}, header...)
		right = []int{0, 1}
	}
	t.tableWith(true, header, rows, right...)
}

func state(on bool) tw.State {
	if on {
		return tw.On
	}
	return tw.Off
}

// primarySnapshot picks the snapshot whose groups the table shows without
// -v: the richest capture of the latest moment (the state the process was
// last seen in, the one the detectors diagnose). It returns an index into
// d.Inputs, -1 when there is no snapshot.
func primarySnapshot(d *Document) int {
	best := -1
	for i, in := range d.Inputs {
		if in.Kind != KindGoroutines || !in.Primary {
			continue
		}
		if best < 0 || in.Moment >= d.Inputs[best].Moment {
			best = i
		}
	}
	return best
}
