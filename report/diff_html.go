package report

import (
	_ "embed"
	"fmt"
	"io"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// diffPage is the self-contained page of `ctxhole diff -o html`: styles
// and script inline, no network load. html/template escapes every value.
//
//go:embed diff.tmpl
var diffPage string

var diffTemplate = htmlPageTemplate("diff", diffPage)

// diffPageData is what the diff page shows.
type diffPageData struct {
	D *DiffDocument
	// Verdict is the diff in one line (diffVerdict).
	Verdict string
	// Diagnosed is set when the findings of both moments were matched.
	Diagnosed bool
	All       bool
	From, To  diffInput
	Elapsed   string
	Tool      Tool
	// MaxCount is the largest group count at either moment: the full
	// width of the before and after bars.
	MaxCount int
	// Changes counts the groups of each kind of change, in the order
	// the groups come, for the page's change filter.
	Changes []changeCount
}

// diffInput is one of the two captures compared.
type diffInput struct {
	File, Format, CapturedAt string
}

type changeCount struct {
	Change string
	Count  int
}

// WriteDiffHTML writes the diff as one self-contained HTML page to share
// in an incident channel: the verdict, the findings matched by id (what
// appeared, was resolved, or persists with its goroutines before and
// after, and its fix), the goroutine groups that appeared, vanished, grew
// or shrank, drawn as before and after bars, filterable by change and by
// a search of their stacks, and the two inputs.
func WriteDiffHTML(w io.Writer, d *parser.SnapshotDiff, opts DiffOptions) error {
	doc := newDiffDocument(d, opts)
	data := diffPageData{
		D:         doc,
		Verdict:   diffVerdict(doc),
		Diagnosed: opts.Before != nil && opts.After != nil,
		All:       opts.All,
		From:      diffInputOf(d.From.Source),
		To:        diffInputOf(d.To.Source),
		Elapsed:   "unknown (capture times not recorded)",
		Tool:      Tool{Name: "ctxhole"},
	}
	if doc.ElapsedS != nil {
		data.Elapsed = human.Duration(d.Elapsed)
	}
	if opts.After != nil {
		data.Tool = opts.After.Tool
	}
	seen := map[string]int{}
	for _, g := range doc.Groups {
		data.MaxCount = max(data.MaxCount, g.Before, g.After)
		if i, ok := seen[g.Change]; ok {
			data.Changes[i].Count++
			continue
		}
		seen[g.Change] = len(data.Changes)
		data.Changes = append(data.Changes, changeCount{g.Change, 1})
	}
	if err := diffTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("write diff: %w", err)
	}
	return nil
}

func diffInputOf(s parser.Source) diffInput {
	return diffInput{File: clean(s.String()), Format: string(s.Format), CapturedAt: timeString(s.Time)}
}

// diffVerdict says the diff in one line: the net change in goroutines
// and over what time, then how many findings appeared, persist or were
// resolved, then how many groups changed and how:
// "+98 goroutines in 45s; findings: 1 persists; groups: 1 grew, 2 appeared".
func diffVerdict(doc *DiffDocument) string {
	var b strings.Builder
	switch n := doc.After - doc.Before; n {
	case 0:
		b.WriteString("no change in goroutines (" + human.Count(doc.After) + ")")
	default:
		fmt.Fprintf(&b, "%s goroutines (%s to %s)", delta(n), human.Count(doc.Before), human.Count(doc.After))
	}
	if doc.ElapsedS != nil {
		b.WriteString(" in " + human.Duration(FromSeconds(*doc.ElapsedS)))
	}
	var fs []string
	for _, c := range []string{"appeared", "persists", "resolved"} {
		if n := countChange(doc.Findings, func(f DiffFinding) string { return f.Change }, c); n > 0 {
			fs = append(fs, fmt.Sprintf("%d %s", n, c))
		}
	}
	if len(fs) > 0 {
		b.WriteString("; findings: " + strings.Join(fs, ", "))
	}
	var gs []string
	for _, c := range []parser.Change{parser.ChangeGrew, parser.ChangeAppeared, parser.ChangeShrank, parser.ChangeVanished} {
		if n := countChange(doc.Groups, func(g DiffGroup) string { return g.Change }, string(c)); n > 0 {
			gs = append(gs, fmt.Sprintf("%d %s", n, c))
		}
	}
	if len(gs) > 0 {
		b.WriteString("; groups: " + strings.Join(gs, ", "))
	} else {
		b.WriteString("; no group changed")
	}
	return b.String()
}

func countChange[T any](xs []T, change func(T) string, want string) int {
	n := 0
	for _, x := range xs {
		if change(x) == want {
			n++
		}
	}
	return n
}

// pct is n as a whole percentage of of, at least 1 when n is not 0 (a
// bar that is there is drawn).
func pct(n, of int) int {
	if of <= 0 || n <= 0 {
		return 0
	}
	return max(n*100/of, 1)
}

// diffGroupKey is the text the diff page's search matches: the change,
// state, functions and files of the whole stack, and the creator.
func diffGroupKey(g DiffGroup) string {
	var b strings.Builder
	b.WriteString(g.Change + " " + g.State)
	for _, f := range g.Stack {
		b.WriteString(" " + f.Function + " " + location(f.File, f.Line))
	}
	if g.CreatedBy != "" {
		b.WriteString(" " + g.CreatedBy)
	}
	return strings.ToLower(b.String())
}
