package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// htmlPage is the self-contained report page: styles and script inline,
// no network load, so it works offline and as a chat attachment.
// html/template escapes every value, so captured strings (function names,
// labels, wait reasons) can never become markup or script.
//
//go:embed html.tmpl
var htmlPage string

// htmlShared holds what the report and diff pages share: their styles and
// the script that filters goroutine groups.
//
//go:embed page.tmpl
var htmlShared string

var htmlTemplate = htmlPageTemplate("report", htmlPage)

// htmlPageTemplate parses a page with the shared templates and functions.
func htmlPageTemplate(name, page string) *template.Template {
	t := template.Must(template.New(name).Funcs(htmlFuncs).Parse(page))
	return template.Must(t.Parse(htmlShared))
}

// htmlFuncs are the functions the pages' templates call.
var htmlFuncs = template.FuncMap{
	"wait": func(s float64, known bool) string { return human.Wait(FromSeconds(s), known) },
	"waits": func(g Group) string {
		return human.WaitRange(FromSeconds(g.WaitMinS), FromSeconds(g.WaitMaxS), g.WaitKnown)
	},
	"plural":   human.Plural,
	"count":    human.Count,
	"conf":     confidenceString,
	"loc":      location,
	"short":    parser.ShortFunc,
	"since":    sinceString,
	"at":       atString,
	"evline":   func(e Evidence) string { return evidenceLine(e, "", ": ") },
	"verdict":  verdictText,
	"groupKey": groupKey,
	"chainSVG": chainSVG,
	"ganttSVG": ganttSVG,
	"add":      func(a, b int) int { return a + b },
	"sub":      func(a, b int) int { return a - b },
	"delta":    delta,
	"perMin":   perMinute,
	"pct":      func(n, of int) int { return pct(n, of) },
	"diffKey":  diffGroupKey,
}

// WriteHTML writes the report as one self-contained HTML page: the
// verdict, the findings with their evidence, fix and chain (drawn as an
// SVG graph, and as an SVG Gantt chart where a trace timed it), a
// searchable browser of the goroutine groups with their stacks
// (application frames marked), the inputs and the warnings.
func WriteHTML(w io.Writer, d *Document, opts Options) error {
	if err := htmlTemplate.Execute(w, struct {
		D       *Document
		Verbose bool
	}{d, opts.Verbose}); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}

// chainSVG draws a finding's blocking chain as a graph: one box per link,
// indented by depth, an arrow from each link to the one it relates to,
// labelled with the relation. The markup is built here, so every
// captured string goes through esc (template.HTMLEscapeString).
func chainSVG(f Finding) template.HTML {
	if len(f.Chain) == 0 {
		return ""
	}
	const boxH, gap, indent, boxW = 46, 26, 40, 720
	maxDepth := 0
	for _, l := range f.Chain {
		maxDepth = max(maxDepth, l.Depth)
	}
	width := boxW + indent*maxDepth + 20
	height := len(f.Chain)*(boxH+gap) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chain" role="img" aria-label="blocking chain" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`)
	parents := make([]int, len(f.Chain)) // index of the link each relates to
	for i, l := range f.Chain {
		parents[i] = -1
		for j := i - 1; j >= 0; j-- {
			if f.Chain[j].Depth < l.Depth {
				parents[i] = j
				break
			}
		}
	}
	x := func(i int) int { return 10 + f.Chain[i].Depth*indent }
	y := func(i int) int { return 5 + i*(boxH+gap) }
	for i, l := range f.Chain {
		if p := parents[i]; p >= 0 {
			// The waiter points at what it waits on: from this link up to
			// its parent.
			fmt.Fprintf(&b, `<path d="M%d,%d V%d" stroke="#555" fill="none" marker-end="url(#arrow)"/>`, x(i)+14, y(i), y(p)+boxH+2)
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="rel">%s</text>`, x(i)+20, y(i)-8, esc(l.Relation+gradeSuffix(l.Grade)))
		}
		cls := "link"
		if l.Depth == 0 {
			cls = "link root"
		}
		fmt.Fprintf(&b, `<g class="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="6"/>`, cls, x(i), y(i), boxW, boxH)
		head := human.Plural(l.Goroutines, "goroutine") + " in " + l.Function
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="fn">%s<title>%s</title></text>`, x(i)+8, y(i)+18, esc(clip(head, 80)), esc(head+" "+location(l.File, l.Line)))
		var attrs []string
		for _, a := range []string{l.State, waitIf(l), l.Category} {
			if a != "" {
				attrs = append(attrs, a)
			}
		}
		if l.Object != "" {
			attrs = append(attrs, "on "+l.Object)
		}
		if l.Timed {
			attrs = append(attrs, timing(l, f.TraceEndNS))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="attrs">%s</text></g>`, x(i)+8, y(i)+36, esc(clip(strings.Join(attrs, " · "), 98)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every captured string above went through esc
}

// ganttSVG draws the timed links of a finding's chain on the trace's time
// axis: a bar from when each blocked to when it was released, or to the
// end of the trace (hatched) when it never was. Empty when no link is
// timed.
func ganttSVG(f Finding) template.HTML {
	var timed []Link
	var end int64
	for _, l := range f.Chain {
		if l.Timed && l.StartNS != nil {
			timed = append(timed, l)
			if l.EndNS != nil {
				end = max(end, *l.EndNS)
			}
		}
	}
	if f.TraceEndNS != nil {
		end = max(end, *f.TraceEndNS)
	}
	if len(timed) == 0 || end <= 0 {
		return ""
	}
	const label, plot, rowH = 300, 560, 24
	width, height := label+plot+20, len(timed)*rowH+40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="gantt" role="img" aria-label="trace timeline" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, width, height, width, height)
	px := func(ns int64) int { return label + int(float64(plot)*float64(ns)/float64(end)) }
	for i := 0; i <= 4; i++ {
		ns := end * int64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="0" y2="%d" class="tick"/><text x="%d" y="%d" class="axis">%s</text>`,
			px(ns), px(ns), height-20, px(ns), height-6, esc(human.Offset(nanos(ns))))
	}
	for i, l := range timed {
		y := 6 + i*rowH
		name := strings.Repeat("  ", l.Depth) + human.Plural(l.Goroutines, "goroutine") + " " + parser.ShortFunc(l.Function)
		fmt.Fprintf(&b, `<text x="4" y="%d" class="glabel">%s<title>%s</title></text>`, y+14, esc(clip(name, 44)), esc(l.Function))
		stop, cls := end, "bar never"
		if l.EndNS != nil {
			stop, cls = *l.EndNS, "bar"
		}
		w := max(px(stop)-px(*l.StartNS), 2)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="%s"><title>%s</title></rect>`,
			px(*l.StartNS), y+2, w, rowH-8, cls, esc(timing(l, f.TraceEndNS)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every captured string above went through esc
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// clip shortens s to n runes with an ellipsis (the full text is in the
// element's title).
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func gradeSuffix(g string) string {
	if g == "" {
		return ""
	}
	return " (" + g + ")"
}

func waitIf(l Link) string {
	if !l.WaitKnown {
		return ""
	}
	return human.Wait(FromSeconds(l.WaitMaxS), true)
}

// groupKey is the text the group browser's search matches: state,
// functions and files of the whole stack, labels.
func groupKey(g Group) string {
	var b strings.Builder
	b.WriteString(g.DisplayState())
	for _, f := range g.Stack {
		b.WriteString(" " + f.Function + " " + f.File + ":" + strconv.Itoa(f.Line))
	}
	for _, l := range g.Labels {
		b.WriteString(" " + l.Key + "=" + l.Value)
	}
	return strings.ToLower(b.String())
}
