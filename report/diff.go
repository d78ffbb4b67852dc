package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// DiffDocument is the JSON form of `ctxhole diff`, described by the JSON
// Schema docs/schema/diff.v1.json.
type DiffDocument struct {
	SchemaVersion string   `json:"schema_version"`
	From          string   `json:"from"`
	To            string   `json:"to"`
	Before        int      `json:"goroutines_before"`
	After         int      `json:"goroutines_after"`
	ElapsedS      *float64 `json:"elapsed_s,omitempty"`
	// RuntimeLeftOut counts the runtime's own goroutines (GC workers, the
	// finalizer) left out of both totals and the groups because only one
	// capture lists them (a SIGQUIT dump against a debug=2 one).
	RuntimeLeftOut int `json:"runtime_goroutines_left_out,omitempty"`
	// Findings matches the two moments' findings by their stable id:
	// appeared, resolved, or present in both with the goroutines each
	// covers. Absent when the caller did not diagnose the moments.
	Findings []DiffFinding `json:"findings,omitempty"`
	Groups   []DiffGroup   `json:"groups"`
}

// DiffFinding is one finding's change between the two moments, matched
// by Finding.ID. Its text (summary, title, fix, root) is the later
// moment's, or the earlier one's for a finding that was resolved.
type DiffFinding struct {
	Change   string `json:"change"` // "appeared", "resolved", "persists"
	ID       string `json:"id"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Before   int    `json:"goroutines_before"`
	After    int    `json:"goroutines_after"`
	// Title is the finding's title with its counts (Summary filled in),
	// Fix its one-line fix, RootFunction the function its root is
	// blocked in.
	Title        string `json:"title"`
	Fix          string `json:"fix,omitempty"`
	RootFunction string `json:"root_function,omitempty"`
}

// DiffGroup is one group's change in a DiffDocument. Function, File and
// Line name its most telling frame; Stack is the whole stack, with
// AppFrameIndex the index of its first application frame (-1: none).
type DiffGroup struct {
	Change        string   `json:"change"`
	Before        int      `json:"before"`
	After         int      `json:"after"`
	PerMinute     *float64 `json:"per_minute,omitempty"`
	State         string   `json:"state"`
	Function      string   `json:"function"`
	File          string   `json:"file,omitempty"`
	Line          int      `json:"line,omitempty"`
	CreatedBy     string   `json:"created_by,omitempty"`
	Stack         []Frame  `json:"stack"`
	AppFrameIndex int      `json:"app_frame_index"`
}

// DiffOptions control diff rendering.
type DiffOptions struct {
	// All includes unchanged groups.
	All bool
	// Width is the terminal width the table fits (0: as wide as its
	// content, long cells wrapped).
	Width int
	// Before and After are the diagnoses of the two moments; with both
	// set, the diff lists the findings matched by id.
	Before, After *Document
}

// diffFindings matches the findings of two documents by id, the later
// moment's order first, then those resolved.
func diffFindings(before, after *Document) []DiffFinding {
	if before == nil || after == nil {
		return nil
	}
	old := make(map[string]Finding, len(before.Findings))
	for _, f := range before.Findings {
		old[f.ID] = f
	}
	var out []DiffFinding
	seen := make(map[string]bool)
	for _, f := range after.Findings {
		df := diffFinding("appeared", f)
		df.After = f.Goroutines
		if o, ok := old[f.ID]; ok {
			df.Change, df.Before = "persists", o.Goroutines
		}
		seen[f.ID] = true
		out = append(out, df)
	}
	for _, f := range before.Findings {
		if !seen[f.ID] {
			df := diffFinding("resolved", f)
			df.Before = f.Goroutines
			out = append(out, df)
		}
	}
	return out
}

// diffFinding is f's identity and text in a diff, without its counts.
func diffFinding(change string, f Finding) DiffFinding {
	return DiffFinding{Change: change, ID: f.ID, Category: f.Category, Severity: f.Severity,
		Summary: f.Summary, Title: f.Title, Fix: f.Fix.Summary, RootFunction: f.Root.Function}
}

// newDiffDocument builds the JSON form of a snapshot diff.
func newDiffDocument(d *parser.SnapshotDiff, opts DiffOptions) *DiffDocument {
	doc := &DiffDocument{
		SchemaVersion:  "1",
		From:           parser.CleanText(d.From.Source.String()),
		To:             parser.CleanText(d.To.Source.String()),
		Before:         d.Before,
		After:          d.After,
		RuntimeLeftOut: d.RuntimeLeftOut,
		Groups:         []DiffGroup{},
		Findings:       diffFindings(opts.Before, opts.After),
	}
	if d.ElapsedKnown {
		s := d.Elapsed.Seconds()
		doc.ElapsedS = &s
	}
	for _, e := range d.Entries {
		if e.Change == parser.ChangeSame && !opts.All {
			continue
		}
		g := DiffGroup{Change: string(e.Change), Before: e.Before, After: e.After, State: parser.CleanText(e.Group.State),
			Stack: frames(e.Group.Frames), AppFrameIndex: detectors.AppFrame(e.Group.Frames)}
		if d.ElapsedKnown {
			pm := e.PerMinute
			g.PerMinute = &pm
		}
		if f, ok := topFrame(e.Group); ok {
			g.Function, g.File, g.Line = parser.CleanText(f.Func), parser.CleanText(f.File), f.Line
		}
		if cb := e.Group.CreatedBy; cb != nil {
			g.CreatedBy = parser.CleanText(cb.Func)
		}
		doc.Groups = append(doc.Groups, g)
	}
	return doc
}

// WriteDiffJSON writes the diff as indented JSON.
func WriteDiffJSON(w io.Writer, d *parser.SnapshotDiff, opts DiffOptions) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(newDiffDocument(d, opts)); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

// WriteDiffTable writes the diff as a table after its verdict line: the
// findings matched by id, then one row per changed group, biggest growth
// first, in the ASCII style of the analyze report and
// wrapped to opts.Width when it is set.
func WriteDiffTable(w io.Writer, d *parser.SnapshotDiff, opts DiffOptions) error {
	doc := newDiffDocument(d, opts)
	t := &textWriter{w: w, width: opts.Width}
	t.para("", "  ", "ctxhole diff: "+diffVerdict(doc))
	t.para("", "  ", diffHeadline(doc))
	if len(doc.Findings) > 0 {
		t.printf("\nFINDINGS (matched by id)\n")
		rows := make([][]string, 0, len(doc.Findings))
		for _, f := range doc.Findings {
			// One cell for what the finding is, its id and title: the
			// title gets the width.
			rows = append(rows, []string{f.Change, human.Count(f.Before), human.Count(f.After),
				f.Severity + " " + f.Category + " " + f.ID + "\n" + f.Title})
		}
		t.table(tableSpec{header: []string{"change", "before", "after", "finding"}, rows: rows, right: []int{1, 2}, flex: []int{3}, rowLines: true})
		t.printf("\nGOROUTINE GROUPS\n")
	}
	if len(doc.Groups) == 0 {
		t.printf("\nno goroutine group changed\n")
		return t.err
	}
	t.printf("\n")
	spec := tableSpec{
		header:   []string{"CHANGE", "BEFORE", "AFTER", "DELTA", "PER MIN", "STATE", "WHERE"},
		right:    []int{1, 2, 3, 4},
		flex:     []int{5, 6},
		rowLines: true,
	}
	for _, g := range doc.Groups {
		where := g.Function
		if g.File != "" {
			where += "\n" + location(g.File, g.Line)
		}
		spec.rows = append(spec.rows, []string{g.Change, human.Count(g.Before), human.Count(g.After),
			delta(g.After - g.Before), perMinute(g.PerMinute), g.State, where})
	}
	t.table(spec)
	if t.err != nil {
		return fmt.Errorf("write diff: %w", t.err)
	}
	return nil
}

// WriteDiffMarkdown writes the diff as a Markdown section with a table,
// for a postmortem or a ticket; captured strings are escaped.
func WriteDiffMarkdown(w io.Writer, d *parser.SnapshotDiff, opts DiffOptions) error {
	doc := newDiffDocument(d, opts)
	t := &textWriter{w: w}
	t.printf("# Goroutine diff\n\n**%s**\n\n%s\n", mdText(diffVerdict(doc)), mdText(diffHeadline(doc)))
	if len(doc.Findings) > 0 {
		t.printf("\n## Findings (matched by id)\n\n| Change | ID | Finding | Before | After | Title |\n|---|---|---|--:|--:|---|\n")
		for _, f := range doc.Findings {
			t.printf("| %s | %s | %s | %s | %s | %s |\n", f.Change, code(f.ID), mdCell(f.Severity+" "+f.Category), human.Count(f.Before), human.Count(f.After), mdCell(mdText(f.Title)))
		}
		t.printf("\n## Goroutine groups\n")
	}
	if len(doc.Groups) == 0 {
		t.printf("\nNo goroutine group changed.\n")
		return t.err
	}
	t.printf("\n| Change | Before | After | Delta | Per min | State | Where |\n|---|--:|--:|--:|--:|---|---|\n")
	for _, g := range doc.Groups {
		where := code(g.Function)
		if g.File != "" {
			where += "<br>" + code(location(g.File, g.Line))
		}
		t.printf("| %s | %s | %s | %s | %s | %s | %s |\n", g.Change, human.Count(g.Before), human.Count(g.After),
			delta(g.After-g.Before), perMinute(g.PerMinute), mdCell(mdText(g.State)), where)
	}
	if t.err != nil {
		return fmt.Errorf("write diff: %w", t.err)
	}
	return nil
}

// diffHeadline says what was compared, after the verdict: the two
// captures and their goroutine totals, and that the time between them is
// unknown when it is.
func diffHeadline(doc *DiffDocument) string {
	h := fmt.Sprintf("from %s (%s) to %s (%s)",
		doc.From, human.Plural(doc.Before, "goroutine"), doc.To, human.Plural(doc.After, "goroutine"))
	if doc.RuntimeLeftOut > 0 {
		h += "; " + human.Plural(doc.RuntimeLeftOut, "runtime goroutine") + " left out (only one capture lists them)"
	}
	if doc.ElapsedS == nil {
		h += "; elapsed unknown (capture times not recorded)"
	}
	return h
}

// delta formats a change in a count with its sign ("+3", "-1", "0").
func delta(n int) string {
	if n > 0 {
		return "+" + human.Count(n)
	}
	if n < 0 {
		return "-" + human.Count(-n)
	}
	return "0"
}

// perMinute formats a growth rate to one decimal, "-" when unknown.
func perMinute(pm *float64) string {
	if pm == nil {
		return "-"
	}
	return strconv.FormatFloat(*pm, 'f', 1, 64)
}

// topFrame returns the group's most telling frame (parser.TellingFrame).
func topFrame(g *parser.Group) (parser.Frame, bool) {
	if i := parser.TellingFrame(g.Frames); i >= 0 {
		return g.Frames[i], true
	}
	return parser.Frame{}, false
}
