package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// cellMaxWidth is where table cells wrap: wide enough for a qualified
// function name, narrow enough that a findings table fits a terminal.
const cellMaxWidth = 56

// WriteTable writes the terminal report, the answer first: the verdict
// line, the principal finding with its fix and chain, the ranked findings
// and the others' details; then the evidence behind them: inputs,
// goroutines by state, longest waits, warnings and goroutine groups.
func WriteTable(w io.Writer, d *Document, opts Options) error {
	t := &textWriter{w: w, p: painter{on: opts.Color}, width: opts.Width}
	writeVerdict(t, d)
	writeFindingsTable(t, d, opts)
	writeSummaryTable(t, d, opts)
	writeGroupsTable(t, d, opts)
	return t.err
}

// textWriter remembers the first write error so that rendering code can
// write freely and report once.
type textWriter struct {
	w     io.Writer
	p     painter
	width int // 0: tables are as wide as their content
	lines int // lines written so far
	err   error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	s := fmt.Sprintf(format, args...)
	t.lines += strings.Count(s, "\n")
	_, t.err = io.WriteString(t.w, s)
}

// heading writes a section title after a blank line, wrapped to the
// width.
func (t *textWriter) heading(s string) {
	t.printf("\n")
	for _, line := range wrapIndented("", "  ", s, t.width) {
		t.printf("%s\n", t.p.bold(line))
	}
}

// tableSpec is one table: its header and rows, the columns aligned right
// (numbers), the flexible columns that wrap to fit a width (names, fixes),
// and whether rows are ruled apart (for rows of multi-line cells).
type tableSpec struct {
	header   []string
	rows     [][]string
	right    []int
	flex     []int
	rowLines bool
}

// table renders a table with tablewriter's ASCII style (safe to paste into
// tickets and logs). Without a width, long cells wrap at cellMaxWidth; with
// one, the flexible columns are wrapped to share what the others leave.
func (t *textWriter) table(spec tableSpec) {
	if t.err != nil {
		return
	}
	align := make([]tw.Align, len(spec.header))
	for i := range align {
		align[i] = tw.AlignLeft
	}
	for _, c := range spec.right {
		align[c] = tw.AlignRight
	}
	rows := spec.rows
	maxCell := cellMaxWidth
	if t.width > 0 {
		rows = fitColumns(t.width, spec.header, rows, spec.flex)
		maxCell = 0 // fitColumns wrapped what needed wrapping
	}
	tbl := tablewriter.NewTable(t.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Symbols:  tw.NewSymbols(tw.StyleASCII),
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: state(spec.rowLines)}},
		})),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowMaxWidth(maxCell),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tbl.Header(spec.header)
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

func state(on bool) tw.State {
	if on {
		return tw.On
	}
	return tw.Off
}
