package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// DiffDocument is the JSON form of `ctxhole diff`.
type DiffDocument struct {
	SchemaVersion string      `json:"schema_version"`
	From          string      `json:"from"`
	To            string      `json:"to"`
	Before        int         `json:"goroutines_before"`
	After         int         `json:"goroutines_after"`
	ElapsedS      *float64    `json:"elapsed_s,omitempty"`
	Groups        []DiffGroup `json:"groups"`
}

// DiffGroup is one group's change in a DiffDocument.
type DiffGroup struct {
	Change    string   `json:"change"`
	Before    int      `json:"before"`
	After     int      `json:"after"`
	PerMinute *float64 `json:"per_minute,omitempty"`
	State     string   `json:"state"`
	Function  string   `json:"function"`
	File      string   `json:"file,omitempty"`
	Line      int      `json:"line,omitempty"`
	CreatedBy string   `json:"created_by,omitempty"`
}

// DiffOptions control diff rendering.
type DiffOptions struct {
	// All includes unchanged groups.
	All bool
}

// NewDiffDocument builds the JSON form of a snapshot diff.
func NewDiffDocument(d *parser.SnapshotDiff, opts DiffOptions) *DiffDocument {
	doc := &DiffDocument{
		SchemaVersion: "1",
		From:          parser.CleanText(d.From.Source.String()),
		To:            parser.CleanText(d.To.Source.String()),
		Before:        d.Before,
		After:         d.After,
		Groups:        []DiffGroup{},
	}
	if d.ElapsedKnown {
		s := d.Elapsed.Seconds()
		doc.ElapsedS = &s
	}
	for _, e := range d.Entries {
		if e.Change == parser.ChangeSame && !opts.All {
			continue
		}
		g := DiffGroup{Change: string(e.Change), Before: e.Before, After: e.After, State: parser.CleanText(e.Group.State)}
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
	if err := enc.Encode(NewDiffDocument(d, opts)); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

// WriteDiffTable writes the diff as a table: one row per changed group,
// biggest growth first.
func WriteDiffTable(w io.Writer, d *parser.SnapshotDiff, opts DiffOptions) error {
	doc := NewDiffDocument(d, opts)
	elapsed := "unknown (capture times not recorded)"
	if doc.ElapsedS != nil {
		elapsed = human.Duration(d.Elapsed)
	}
	fmt.Fprintf(w, "from %s (%s) to %s (%s), %+d, elapsed %s\n\n",
		doc.From, human.Plural(doc.Before, "goroutine"), doc.To, human.Plural(doc.After, "goroutine"), doc.After-doc.Before, elapsed)
	if len(doc.Groups) == 0 {
		fmt.Fprintln(w, "no goroutine group changed")
		return nil
	}
	t := tablewriter.NewWriter(w)
	t.Header("change", "before", "after", "delta", "per min", "state", "where")
	for _, g := range doc.Groups {
		rate := "-"
		if g.PerMinute != nil {
			rate = strconv.FormatFloat(*g.PerMinute, 'f', 1, 64)
		}
		where := g.Function
		if g.File != "" {
			where += "\n" + g.File + ":" + strconv.Itoa(g.Line)
		}
		if err := t.Append(g.Change, human.Count(g.Before), human.Count(g.After),
			fmt.Sprintf("%+d", g.After-g.Before), rate, g.State, where); err != nil {
			return fmt.Errorf("write diff: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

// topFrame returns the group's most telling frame (parser.TellingFrame).
func topFrame(g *parser.Group) (parser.Frame, bool) {
	if i := parser.TellingFrame(g.Frames); i >= 0 {
		return g.Frames[i], true
	}
	return parser.Frame{}, false
}
