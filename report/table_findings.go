package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
)

func writeFindingsTable(t *textWriter, d *Document, opts Options) {
	if len(d.Findings) == 0 {
		t.heading("FINDINGS")
		t.printf("  %s\n", t.p.green("none: no goroutine is stuck in a known timeout hole"))
		return
	}
	t.heading(fmt.Sprintf("FINDINGS (%d, most likely root cause first)", len(d.Findings)))
	rows := make([][]string, 0, len(d.Findings))
	for _, f := range d.Findings {
		rows = append(rows, []string{
			strconv.Itoa(f.Rank),
			t.p.severity(f.Severity),
			f.Category + gradeCell(f.Root.Grade),
			human.Count(f.Goroutines),
			human.Wait(FromSeconds(f.WaitMaxS), f.WaitKnown),
			rootCell(f.Root),
			f.Fix.Summary,
		})
	}
	t.table(tableSpec{
		header: []string{"#", "severity", "category", "goroutines", "longest wait", "root", "fix"},
		rows:   rows, right: []int{0, 3}, flex: []int{5, 6}, rowLines: true,
	})
	for _, f := range d.Findings {
		writeFindingDetail(t, f, opts)
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

// writeFindingDetail writes one finding below the table: its title, chain
// tree and, with -v, the stacks, evidence and full fix.
func writeFindingDetail(t *textWriter, f Finding, opts Options) {
	t.printf("\n%s %s %s  %s, root %s, confidence %.2f\n",
		t.p.bold("#"+strconv.Itoa(f.Rank)), t.p.severity(f.Severity), t.p.bold(f.Category),
		human.Plural(f.Goroutines, "goroutine"), f.Root.Grade, f.Confidence)
	if f.Title != "" {
		t.printf("  %s\n", f.Title)
	}
	if f.Root.BlockedSince != nil {
		t.printf("  root blocked since %s\n", sinceString(*f.Root.BlockedSince))
	}
	if f.Growth != nil {
		t.printf("  growth: %s\n", growthString(f.Growth))
	}
	if len(f.Chain) > 0 {
		t.printf("  chain:\n")
		for _, l := range f.Chain {
			t.printf("    %s\n", linkLine(t.p, l, f.TraceEndNS))
		}
	}
	t.printf("  fix: %s\n", f.Fix.Summary)
	if !opts.Verbose {
		return
	}
	if f.Explanation != "" {
		t.printf("  why:\n%s", indent(f.Explanation, "    "))
	}
	if len(f.ConfidenceReasons) > 0 {
		t.printf("  confidence %.2f because:\n", f.Confidence)
		for _, r := range f.ConfidenceReasons {
			t.printf("    - %s\n", r)
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
		t.printf("%s:\n", head)
		for i, fr := range f.Root.Stack {
			mark := "   "
			if i == f.Root.AppFrame {
				mark = t.p.bold("=> ")
			}
			t.printf("    %s%s\n        %s\n", mark, fr.Function, location(fr.File, fr.Line))
		}
		if f.Root.AppFrame >= 0 {
			t.printf("    (=> first application frame)\n")
		}
	}
	if len(f.Evidence) > 0 {
		t.printf("  evidence:\n")
		for _, e := range f.Evidence {
			t.printf("    - [%s] %s\n", e.Kind, evidenceText(e))
		}
	}
	if len(f.Contention) > 0 {
		t.printf("  contention profiles:\n")
		for _, c := range f.Contention {
			t.printf("    - %s: %s at %s: %d events, %s delay\n", c.Kind, c.Function, location(c.File, c.Line), c.Count, human.Duration(FromSeconds(c.DelayS)))
		}
	}
	if f.Fix.Detail != "" {
		t.printf("  fix detail:\n%s", indent(f.Fix.Detail, "    "))
	}
	if f.Fix.Code != "" {
		t.printf("  example:\n%s", indent(f.Fix.Code, "    | "))
	}
	if len(f.GoroutineIDs) > 0 {
		t.printf("  goroutines: %s\n", idList(f.GoroutineIDs, 20))
	}
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
		s += fmt.Sprintf(" (%.1f per minute)", g.PerMinute)
	}
	return s
}

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
