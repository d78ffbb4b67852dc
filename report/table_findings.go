package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// writeVerdict writes the report's first line: how many findings, and the
// principal one's category, size and how long it has been stuck; or that
// nothing is stuck.
func writeVerdict(t *textWriter, d *Document) {
	v := verdictText(d)
	lines := wrapIndented("ctxhole: ", "  ", v, t.width)
	lines[0] = t.p.bold("ctxhole:") + strings.TrimPrefix(lines[0], "ctxhole:")
	for _, l := range lines {
		t.printf("%s\n", l)
	}
	if d.Summary.Deadlock {
		t.para("", "  ", t.p.severity("critical")+": the runtime declared a global deadlock (all goroutines are asleep)")
	}
}

// verdictText is the verdict without its "ctxhole: " prefix.
func verdictText(d *Document) string {
	var v string
	if len(d.Findings) == 0 {
		v = fmt.Sprintf("no findings; %s in %s, none stuck in a known timeout hole",
			human.Plural(d.Summary.Goroutines, "goroutine"), human.Plural(max(d.Summary.Moments, 1), "moment"))
	} else {
		f := d.Findings[0]
		v = fmt.Sprintf("%s; principal: %s, %s", human.Plural(len(d.Findings), "finding"), f.Category, human.Plural(f.Goroutines, "goroutine"))
		if f.WaitKnown {
			v += ", since " + human.Wait(FromSeconds(f.WaitMaxS), true)
		}
	}
	return v
}

// writeFindingsTable writes the principal finding in full (its fix before
// its chain, so both are on the first screen), then, when there are
// several, the ranked table and the other findings' details.
func writeFindingsTable(t *textWriter, d *Document, opts Options) {
	if len(d.Findings) == 0 {
		t.heading("FINDINGS")
		t.para("  ", "  ", t.p.green("none: no goroutine is stuck in a known timeout hole"))
		return
	}
	t.heading(fmt.Sprintf("FINDINGS (%d, most likely root cause first)", len(d.Findings)))
	writeFindingDetail(t, d.Findings[0], opts, firstScreen-t.lines)
	if len(d.Findings) == 1 && !opts.Verbose {
		return
	}
	t.heading("RANKED")
	rows := make([][]string, 0, len(d.Findings))
	for _, f := range d.Findings {
		rows = append(rows, []string{
			strconv.Itoa(f.Rank),
			t.p.severity(f.Severity),
			f.Category + gradeCell(f.Root.Grade),
			human.Count(f.Goroutines),
			human.Wait(FromSeconds(f.WaitMaxS), f.WaitKnown),
			f.Title,
		})
	}
	t.table(tableSpec{
		header: []string{"#", "severity", "category", "count", "wait", "title"},
		rows:   rows, right: []int{0, 3}, flex: []int{2, 4, 5}, rowLines: true,
	})
	for _, f := range d.Findings[1:] {
		t.printf("\n")
		writeFindingDetail(t, f, opts, 0)
	}
}

// gradeCell says, under the category, how the root was established, so a
// guess never reads like a proof in the table.
func gradeCell(g string) string {
	if g == "" {
		return ""
	}
	return "\n(root " + g + ")"
}

// rootLine names, in one line, the application frame that called into
// the root's blocking call when that is a different function (the place
// to change), and the root's own place otherwise.
func rootLine(r Root) string {
	if r.Function == "" {
		return ""
	}
	s := r.Function
	if loc := location(shortFile(r.File), r.Line); loc != "" {
		s += " (" + loc + ")"
	}
	if r.AppFrame >= 0 && r.AppFrame < len(r.Stack) {
		if app := r.Stack[r.AppFrame]; app.Function != r.Function {
			s += " called from " + app.Function
			if loc := location(shortFile(app.File), app.Line); loc != "" {
				s += " (" + loc + ")"
			}
		}
	}
	return s
}

// rootCell names the root function and where it is, and the application
// frame that called into it when that is a different place.
func rootCell(r Root) string {
	s := r.Function + "\n" + location(shortFile(r.File), r.Line)
	if r.AppFrame >= 0 {
		if app := r.Stack[r.AppFrame]; app.Function != r.Function {
			s += "\ncalled from " + app.Function + "\n" + location(shortFile(app.File), app.Line)
		}
	}
	return s
}

// firstScreen is how many lines the table's answer must fit in: the
// verdict and the principal finding's fix and chain are on the first
// screen of a small terminal.
const firstScreen = 15

// writeFindingDetail writes one finding: its title, fix, root (the
// application frame to change) and when it blocked, its growth and chain
// tree and, with -v, the explanation, stacks, evidence and full fix.
// Every line is wrapped to the width. With budget > 0 and without -v,
// the title-to-chain part fits in budget lines: the chain's last links
// give way to a line saying how many were left out.
func writeFindingDetail(t *textWriter, f Finding, opts Options, budget int) {
	w := t.width
	lines := wrapIndented("", "    ", fmt.Sprintf("%s %s %s  %s, root %s, confidence %s",
		t.p.bold("#"+strconv.Itoa(f.Rank)), t.p.severity(f.Severity), t.p.bold(f.Category),
		human.Plural(f.Goroutines, "goroutine"), f.Root.Grade, confidenceString(f.Confidence)), w)
	if f.Title != "" {
		lines = append(lines, wrapIndented("  ", "  ", f.Title, w)...)
	}
	lines = append(lines, wrapIndented("  fix: ", "       ", f.Fix.Summary, w)...)
	root := rootLine(f.Root)
	if when := rootTime(f.Root); when != "" {
		if root != "" {
			root += "; "
		}
		root += when
	}
	if root != "" {
		lines = append(lines, wrapIndented("  root: ", "    ", root, w)...)
	}
	if f.Growth != nil {
		lines = append(lines, wrapIndented("  growth: ", "    ", growthString(f.Growth), w)...)
	}
	var chain [][]string
	for _, l := range f.Chain {
		pad := "    " + strings.Repeat("  ", l.Depth)
		hang := pad + "  "
		if l.Depth > 0 {
			hang += "   "
		}
		text := linkLine(t.p, l, f.TraceEndNS)
		if !opts.Verbose {
			text = compactLink(t.p, l, f.Category)
		}
		chain = append(chain, wrapIndented(pad, hang, text, w))
	}
	if len(chain) > 0 {
		lines = append(lines, "  chain:")
		used := len(lines)
		for i, c := range chain {
			left := len(chain) - i
			need := len(c)
			if left > 1 {
				need++ // room for the "more" line if the next link does not fit
			}
			if budget > 0 && !opts.Verbose && used+need > budget && len(c) > 1 {
				more := "links"
				if left == 1 {
					more = "link"
				}
				lines = append(lines, fmt.Sprintf("      ... %d more %s (-v or -o html shows the whole chain)", left, more))
				break
			}
			lines = append(lines, c...)
			used += len(c)
		}
	}
	for _, l := range lines {
		t.printf("%s\n", l)
	}
	if !opts.Verbose {
		return
	}
	if f.Explanation != "" {
		t.printf("  why:\n")
		t.paras("    ", f.Explanation)
	}
	if len(f.ConfidenceReasons) > 0 {
		t.printf("  confidence %s because:\n", confidenceString(f.Confidence))
		for _, r := range f.ConfidenceReasons {
			t.para("    - ", "      ", r)
		}
	}
	if len(f.Root.Stack) > 0 {
		head := "  root stack"
		if f.Root.GoroutineID != 0 {
			head += " (goroutine " + strconv.FormatInt(f.Root.GoroutineID, 10) + ")"
		}
		if f.Root.State != "" {
			head += " [" + f.Root.State
			if f.Root.WaitKnown {
				head += ", " + human.Wait(FromSeconds(f.Root.WaitS), true)
			}
			head += "]"
		}
		t.para("", "    ", head+":")
		for i, fr := range f.Root.Stack {
			mark := "   "
			if i == f.Root.AppFrame {
				mark = t.p.bold("=> ")
			}
			t.para("    "+mark, "       ", fr.Function)
			t.para("        ", "          ", location(fr.File, fr.Line))
		}
		if f.Root.AppFrame >= 0 {
			t.printf("    (=> first application frame)\n")
		}
	}
	if len(f.Evidence) > 0 {
		t.printf("  evidence:\n")
		for _, e := range f.Evidence {
			t.para("    - ", "      ", evidenceLine(e, "[", "] "))
		}
	}
	if len(f.Contention) > 0 {
		t.printf("  contention profiles:\n")
		for _, c := range f.Contention {
			t.para("    - ", "      ", fmt.Sprintf("%s: %s at %s: %s, %s delay", c.Kind, c.Function, location(c.File, c.Line),
				human.Plural(int(c.Count), "event"), human.Duration(FromSeconds(c.DelayS))))
		}
	}
	if f.Fix.Detail != "" {
		t.printf("  fix detail:\n")
		t.paras("    ", f.Fix.Detail)
	}
	if f.Fix.Code != "" {
		// Code keeps its lines: wrapping would change it.
		t.printf("  example:\n%s", indent(f.Fix.Code, "    | "))
	}
	if len(f.GoroutineIDs) > 0 {
		t.para("  goroutines: ", "    ", idList(f.GoroutineIDs, 20))
	}
}

// paras writes each line of text as its own wrapped paragraph.
func (t *textWriter) paras(prefix, text string) {
	for line := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		lead := len(line) - len(strings.TrimLeft(line, " "))
		t.para(prefix+line[:lead], prefix+line[:lead]+"  ", strings.TrimSpace(line))
	}
}

// confidenceString rounds a confidence for people: "0.85", never
// "0.8500000000000001".
func confidenceString(c float64) string {
	return strconv.FormatFloat(c, 'f', 2, 64)
}

// linkLine renders one chain link as a line of the indented tree:
// two spaces per depth, the relation to the link above, the goroutines,
// where they are and how long they have waited; for traced links, when
// they blocked and for how long.
func linkLine(p painter, l Link, traceEnd *int64) string {
	var b strings.Builder
	b.WriteString(strings.Repeat("  ", l.Depth))
	if l.Depth > 0 {
		b.WriteString("`- ")
	}
	b.WriteString(p.dim(l.Relation))
	if l.Grade != "" {
		b.WriteString(p.dim(" (" + l.Grade + ")"))
	}
	b.WriteString(": ")
	fmt.Fprintf(&b, "%s in %s", human.Plural(l.Goroutines, "goroutine"), l.Function)
	if loc := location(shortFile(l.File), l.Line); loc != "" {
		b.WriteString(" (" + loc + ")")
	}
	var attrs []string
	if l.State != "" {
		attrs = append(attrs, l.State)
	}
	if l.WaitKnown {
		attrs = append(attrs, human.Wait(FromSeconds(l.WaitMaxS), true))
	}
	if l.Category != "" {
		attrs = append(attrs, l.Category)
	}
	if l.Object != "" {
		attrs = append(attrs, "on "+l.Object)
	}
	if len(attrs) > 0 {
		b.WriteString(" [" + strings.Join(attrs, ", ") + "]")
	}
	if l.Timed {
		b.WriteString(" " + timing(l, traceEnd))
	}
	return b.String()
}

// compactLink renders a chain link for the default table: the relation,
// how many goroutines in which function (short name; the root line and
// -v give places), their state, wait and category, and what the trace
// saw in a few words. The category is left out where it is the
// finding's own.
func compactLink(p painter, l Link, category string) string {
	var b strings.Builder
	if l.Depth > 0 {
		b.WriteString("`- ")
	}
	b.WriteString(p.dim(l.Relation))
	if l.Grade != "" {
		b.WriteString(p.dim(" (" + l.Grade + ")"))
	}
	fmt.Fprintf(&b, ": %s in %s", human.Plural(l.Goroutines, "goroutine"), parser.ShortFunc(l.Function))
	var attrs []string
	if l.State != "" {
		attrs = append(attrs, l.State)
	}
	if l.WaitKnown {
		attrs = append(attrs, human.Wait(FromSeconds(l.WaitMaxS), true))
	}
	if l.Category != "" && l.Category != category {
		attrs = append(attrs, l.Category)
	}
	if len(attrs) > 0 {
		b.WriteString(" [" + strings.Join(attrs, ", ") + "]")
	}
	switch {
	case !l.Timed:
	case l.NeverWoken:
		b.WriteString("; never woken in the trace")
	case l.StartNS != nil && l.EndNS != nil:
		b.WriteString("; released after " + human.Duration(nanos(*l.EndNS-*l.StartNS)))
	}
	for _, w := range l.Wakes {
		fmt.Fprintf(&b, "; %d woken by %s", w.Count, parser.ShortFunc(wakeBy(w)))
	}
	return b.String()
}

// timing renders a traced link's interval: "@ +0.840s -> never woken
// (4.161s to the end of the trace)" or "@ +0.850s -> +2.850s (2s)".
func timing(l Link, traceEnd *int64) string {
	if l.StartNS == nil {
		return ""
	}
	s := "@ " + human.Offset(nanos(*l.StartNS))
	switch {
	case l.NeverWoken:
		s += " -> never woken"
		if traceEnd != nil && *traceEnd > *l.StartNS {
			s += " (" + human.Duration(nanos(*traceEnd-*l.StartNS)) + " to the end of the trace)"
		}
	case l.EndNS != nil:
		s += " -> " + human.Offset(nanos(*l.EndNS)) + " (" + human.Duration(nanos(*l.EndNS-*l.StartNS)) + ")"
	}
	for _, w := range l.Wakes {
		s += fmt.Sprintf("; %d woken by %s", w.Count, wakeBy(w))
	}
	return s
}

func wakeBy(w Wake) string {
	if w.Kind == "goroutine" && w.WakerFunction != "" {
		return w.WakerFunction
	}
	return w.Kind
}

func growthString(g *Growth) string {
	s := fmt.Sprintf("%d -> %d goroutines over %d snapshots", g.From, g.To, g.Snapshots)
	if g.RateKnown {
		s += " (" + human.Rate(g.PerMinute) + ")"
	}
	return s
}

// evidenceText is one piece of evidence as a sentence (the kind is
// printed before it by the caller, see evidenceLine).
func evidenceText(e Evidence) string {
	s := e.Text
	if e.GoroutineID != 0 {
		s += " (goroutine " + strconv.FormatInt(e.GoroutineID, 10) + ")"
	}
	if e.Frame != nil && !strings.Contains(e.Text, e.Frame.Function) {
		s += " at " + e.Frame.Function + " " + location(e.Frame.File, e.Frame.Line)
	}
	return s
}

// indent prefixes every line of s and ends it with a newline.
func indent(s, prefix string) string {
	s = strings.TrimRight(s, "\n")
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		b.WriteString(strings.TrimRight(prefix+line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// evidenceLine labels a piece of evidence with its kind, open+kind+close
// before the text, unless the text already begins with it ("trace: ...",
// never "trace: trace: ...").
func evidenceLine(e Evidence, open, close string) string {
	text := evidenceText(e)
	if e.Kind == "" || strings.HasPrefix(text, e.Kind+":") || strings.HasPrefix(text, e.Kind+" ") {
		return text
	}
	return open + e.Kind + close + text
}
