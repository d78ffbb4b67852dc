package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
)

// WriteMarkdown writes an incident write-up for a postmortem: a summary,
// the timeline of the root cause where known, each finding with its chain,
// evidence, root stack and fix, then the goroutine groups and the inputs.
func WriteMarkdown(w io.Writer, d *Document, opts Options) error {
	t := &textWriter{w: w}
	writeMarkdownSummary(t, d)
	writeMarkdownTimeline(t, d)
	for _, f := range d.Findings {
		writeMarkdownFinding(t, f, opts.Verbose)
	}
	writeMarkdownGroups(t, d, opts)
	writeMarkdownInputs(t, d)
	return t.err
}

func writeMarkdownSummary(t *textWriter, d *Document) {
	s := d.Summary
	if len(d.Findings) > 0 {
		f := d.Findings[0]
		kind := "Goroutine analysis"
		if f.Severity == "high" || f.Severity == "critical" {
			kind = "Incident"
		}
		t.printf("# %s: %s\n\n", kind, mdText(orDefault(f.Title, f.Category)))
	} else {
		t.printf("# Goroutine analysis: no timeout hole found\n\n")
	}
	t.printf("_Written by %s %s from %s._\n\n", d.Tool.Name, mdText(d.Tool.Version), human.Plural(len(d.Inputs), "input"))
	t.printf("## Summary\n\n")
	if len(d.Findings) > 0 {
		f := d.Findings[0]
		t.printf("- **Principal root cause:** %s (%s, root %s, confidence %.2f): %s goroutines, root in %s",
			code(f.Category), f.Severity, f.Root.Grade, f.Confidence, human.Count(f.Goroutines), code(f.Root.Function))
		if loc := location(f.Root.File, f.Root.Line); loc != "" {
			t.printf(" at %s", code(loc))
		}
		if when := rootTime(f.Root); when != "" {
			t.printf(", %s", when)
		}
		t.printf(".\n")
		t.printf("- **Fix:** %s\n", mdText(f.Fix.Summary))
		if len(d.Findings) > 1 {
			t.printf("- **Other findings:** %d (%s).\n", len(d.Findings)-1, severityCounts(s.BySeverity))
		}
	} else {
		t.printf("- No goroutine is stuck in a known timeout hole.\n")
	}
	t.printf("- **Goroutines:** %d parsed from %s", s.Goroutines, human.Plural(s.Snapshots, "snapshot"))
	if len(s.ByState) > 0 {
		t.printf(" (%s)", stateCounts(s.ByState))
	}
	t.printf(".\n")
	if s.Deadlock {
		t.printf("- The runtime declared a global deadlock: all goroutines are asleep.\n")
	}
	if s.Truncated {
		t.printf("- Some inputs were truncated; what was read is analyzed.\n")
	}
	for _, lw := range s.LongestWaits[:min(len(s.LongestWaits), 3)] {
		t.printf("- Waiting %s: %s in %s (%s).\n", human.Wait(FromSeconds(lw.WaitMaxS), true), human.Plural(lw.Goroutines, "goroutine"), code(lw.Function), mdText(lw.State))
	}
	if len(s.Warnings) > 0 {
		t.printf("\n**Parser warnings (%d):**\n\n", len(s.Warnings))
		for _, w := range s.Warnings {
			t.printf("- %s\n", mdText(warningString(w)))
		}
	}
	t.printf("\n")
}

// timelineEvent is one row of the Markdown timeline.
type timelineEvent struct {
	at   int64 // ns offset (traces) or -seconds before capture (dumps)
	when string
	what string
}

// writeMarkdownTimeline orders the principal finding's chain in time. With
// a trace, links carry exact offsets; from dumps only, the wait durations
// order who got stuck first (the longest waiter blocked earliest).
func writeMarkdownTimeline(t *textWriter, d *Document) {
	if len(d.Findings) == 0 {
		return
	}
	f := d.Findings[0]
	var events []timelineEvent
	var stuck []string // links still blocked when the trace ended
	timed := false
	for _, l := range f.Chain {
		if !l.Timed || l.StartNS == nil {
			continue
		}
		timed = true
		who := fmt.Sprintf("%s in %s", human.Plural(l.Goroutines, "goroutine"), code(l.Function))
		if *l.StartNS == 0 {
			events = append(events, timelineEvent{at: 0, when: "trace start",
				what: fmt.Sprintf("%s already blocked (%s)", who, mdText(l.Relation))})
		} else {
			events = append(events, timelineEvent{at: *l.StartNS, when: human.Offset(nanos(*l.StartNS)),
				what: fmt.Sprintf("%s block (%s)", who, mdText(l.Relation))})
		}
		switch {
		case l.NeverWoken:
			stuck = append(stuck, who)
		case l.EndNS != nil:
			events = append(events, timelineEvent{at: *l.EndNS, when: human.Offset(nanos(*l.EndNS)),
				what: fmt.Sprintf("%s released%s", who, wakeSuffix(l.Wakes))})
		}
	}
	if len(stuck) > 0 {
		end, when := int64(1<<63-1), "end of trace"
		if f.TraceEndNS != nil {
			end, when = *f.TraceEndNS, "end of trace, "+human.Offset(nanos(*f.TraceEndNS))
		}
		events = append(events, timelineEvent{at: end, when: when,
			what: "still blocked, never woken: " + strings.Join(stuck, "; ")})
	}
	if !timed {
		for _, l := range f.Chain {
			if l.WaitKnown {
				events = append(events, timelineEvent{
					at: -int64(l.WaitMaxS), when: human.Wait(FromSeconds(l.WaitMaxS), true) + " before capture",
					what: fmt.Sprintf("%s blocked in %s (%s)", human.Plural(l.Goroutines, "goroutine"), code(l.Function), mdText(l.Relation)),
				})
			}
		}
	}
	if len(events) == 0 {
		return
	}
	slices.SortStableFunc(events, func(a, b timelineEvent) int { return cmp.Compare(a.at, b.at) })
	t.printf("## Timeline of the root cause\n\n")
	if timed {
		t.printf("Offsets from the start of the execution trace.\n\n")
	} else {
		t.printf("From the wait durations in the dump (whole minutes, lower bounds): the longest waiter got stuck first.\n\n")
	}
	t.printf("| when | what |\n|---|---|\n")
	for _, e := range events {
		t.printf("| %s | %s |\n", mdCell(e.when), mdCell(e.what))
	}
	t.printf("\n")
}

func wakeSuffix(ws []Wake) string {
	if len(ws) == 0 {
		return ""
	}
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, fmt.Sprintf("%d by %s", w.Count, wakeBy(w)))
	}
	return ": " + strings.Join(parts, ", ")
}

func writeMarkdownFinding(t *textWriter, f Finding, verbose bool) {
	t.printf("## %d. %s %s: %s\n\n", f.Rank, strings.ToUpper(f.Severity), code(f.Category), mdText(f.Title))
	if f.Explanation != "" {
		t.printf("%s\n\n", mdText(f.Explanation))
	}
	t.printf("- **Goroutines:** %d", f.Goroutines)
	if len(f.GoroutineIDs) > 0 {
		t.printf(" (IDs %s)", idList(f.GoroutineIDs, 20))
	}
	t.printf("\n- **Longest wait:** %s\n", human.Wait(FromSeconds(f.WaitMaxS), f.WaitKnown))
	if f.Root.Grade != "" {
		t.printf("- **Root:** %s: %s\n", mdText(f.Root.Grade), mdText(f.Root.Basis))
	}
	t.printf("- **Confidence:** %.2f", f.Confidence)
	if len(f.ConfidenceReasons) > 0 {
		t.printf(": %s", mdText(strings.Join(f.ConfidenceReasons, "; ")))
	}
	t.printf("\n")
	if f.Growth != nil {
		t.printf("- **Growth:** %s\n", growthString(f.Growth))
	}
	t.printf("\n")
	if len(f.Chain) > 0 {
		t.printf("**Blocking chain**\n\n")
		var b strings.Builder
		for _, l := range f.Chain {
			b.WriteString(linkLine(painter{}, l, f.TraceEndNS))
			b.WriteByte('\n')
		}
		t.printf("%s\n", fence(b.String(), ""))
	}
	if len(f.Evidence) > 0 {
		t.printf("**Evidence**\n\n")
		for _, e := range f.Evidence {
			t.printf("- %s\n", mdText(evidenceLine(e, "", ": ")))
		}
		t.printf("\n")
	}
	if len(f.Contention) > 0 {
		t.printf("**Contention profiles**\n\n| kind | where | events | delay |\n|---|---|---:|---:|\n")
		for _, c := range f.Contention {
			t.printf("| %s | %s | %d | %s |\n", mdCell(mdText(c.Kind)), mdCell(code(c.Function+" "+location(c.File, c.Line))), c.Count, human.Duration(FromSeconds(c.DelayS)))
		}
		t.printf("\n")
	}
	if len(f.Root.Stack) > 0 {
		t.printf("**Root stack**")
		if f.Root.GoroutineID != 0 {
			t.printf(" (goroutine %d", f.Root.GoroutineID)
			if f.Root.State != "" {
				t.printf(", %s", mdText(f.Root.State))
			}
			t.printf(")")
		}
		t.printf(", first application frame marked `=>`:\n\n")
		t.printf("%s\n", fence(stackExcerpt(f.Root, verbose), ""))
	}
	t.printf("**Fix:** %s\n\n", mdText(f.Fix.Summary))
	if f.Fix.Detail != "" {
		t.printf("%s\n\n", mdText(f.Fix.Detail))
	}
	if f.Fix.Code != "" {
		t.printf("%s\n", fence(f.Fix.Code, "go"))
	}
}

// stackExcerpt renders the root stack for a write-up: the top frames, the
// frames around the function the root is blocked in and around the first
// application frame, with the frames between them elided ("-v" keeps all).
func stackExcerpt(r Root, all bool) string {
	keep := make([]bool, len(r.Stack))
	mark := func(center, radius int) {
		for i := max(center-radius, 0); i <= center+radius && i < len(keep); i++ {
			keep[i] = true
		}
	}
	mark(0, 1)
	for i, fr := range r.Stack {
		if fr.Function == r.Function {
			mark(i, 1)
			break
		}
	}
	if r.AppFrame >= 0 {
		mark(r.AppFrame, 2)
	}
	var b strings.Builder
	skipped := 0
	for i, fr := range r.Stack {
		if !all && !keep[i] {
			skipped++
			continue
		}
		if skipped > 0 {
			fmt.Fprintf(&b, "   ... %s ...\n", human.Plural(skipped, "frame"))
			skipped = 0
		}
		m := "   "
		if i == r.AppFrame {
			m = "=> "
		}
		fmt.Fprintf(&b, "%s%s\n       %s\n", m, fr.Function, location(fr.File, fr.Line))
	}
	if skipped > 0 {
		fmt.Fprintf(&b, "   ... %s ...\n", human.Plural(skipped, "frame"))
	}
	return b.String()
}

func writeMarkdownGroups(t *textWriter, d *Document, opts Options) {
	primary := primarySnapshot(d)
	if primary < 0 {
		return
	}
	var gs []Group
	for _, g := range d.Groups {
		if g.Input == primary {
			gs = append(gs, g)
		}
	}
	n := len(gs)
	if !opts.Verbose {
		n = min(n, opts.maxGroups())
	}
	t.printf("## Goroutine groups\n\nInput %d (%s), %d of %d groups, largest first.\n\n", primary, code(d.Inputs[primary].File), n, len(gs))
	t.printf("| count | state | wait | top frame | first application frame |\n|---:|---|---|---|---|\n")
	for _, g := range gs[:n] {
		top, app := "", ""
		if g.TopFrame != nil {
			top = code(g.TopFrame.Function + " " + location(shortFile(g.TopFrame.File), g.TopFrame.Line))
		}
		if g.AppFrame != nil {
			app = code(g.AppFrame.Function + " " + location(shortFile(g.AppFrame.File), g.AppFrame.Line))
		}
		wait := human.WaitRange(FromSeconds(g.WaitMinS), FromSeconds(g.WaitMaxS), g.WaitKnown)
		t.printf("| %s | %s | %s | %s | %s |\n", human.Count(g.Count), mdCell(mdText(g.DisplayState())), mdCell(wait), mdCell(top), mdCell(app))
	}
	t.printf("\n")
}

func writeMarkdownInputs(t *textWriter, d *Document) {
	if len(d.Inputs) == 0 {
		return
	}
	t.printf("## Inputs\n\n| # | file | format | goroutines | captured |\n|---:|---|---|---:|---|\n")
	for i, in := range d.Inputs {
		file := in.File
		if in.Line > 0 {
			file += ":" + strconv.Itoa(in.Line)
		}
		n := ""
		if in.Kind == KindGoroutines || in.Kind == KindLeakProfile {
			n = human.Count(in.Goroutines)
		}
		t.printf("| %d | %s | %s | %s | %s |\n", i, mdCell(code(file)), mdCell(mdText(in.Format)), n, mdCell(mdText(in.CapturedAt)))
	}
}

func severityCounts(m map[string]int) string {
	var parts []string
	for _, s := range []string{"critical", "high", "medium", "low", "info"} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

func stateCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", mdText(k), m[k])
	}
	return strings.Join(parts, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// mdEscaper escapes what Markdown (CommonMark and GitHub's extensions)
// would read as formatting, HTML or a link in running text: emphasis,
// code spans, link and image brackets, raw HTML and autolinks (<...>),
// entities (&lt;), headings, strikethrough, and the bare URLs GitHub turns
// into links ("https://", "www."). A captured string (a wait reason, a
// function or file name) can hold any of them; escaped, each renders as
// the characters it is. Pipes are escaped by mdCell, where they matter.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "#", `\#`, "&", `\&`, "!", `\!`, "~", `\~`,
	"://", `:\/\/`, "www.", `www\.`,
)

// mdText escapes running text.
func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCell makes s, Markdown already escaped or made a code span, safe
// inside a table cell: one line, every pipe escaped (inside a code span
// too: GitHub splits cells on unescaped pipes before reading code spans).
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// code renders s as an inline code span, with a delimiter longer than any
// run of backticks inside it.
func code(s string) string {
	if s == "" {
		return ""
	}
	delim := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return delim + s + delim
}

// fence renders s as a fenced code block whose fence is longer than any
// run of backticks inside it.
func fence(s, lang string) string {
	f := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return f + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + f + "\n"
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
