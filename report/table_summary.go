package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

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
			what += " (same moment, not counted)"
		}
		if in.Truncated {
			what += ", TRUNCATED"
		}
		if p := in.Preamble; p != nil {
			what += "; " + preambleLine(p)
		}
		rows = append(rows, []string{strconv.Itoa(i), file, in.Format, what, in.CapturedAt})
	}
	t.table(tableSpec{header: []string{"#", "file", "format", "contents", "captured"}, rows: rows, right: []int{0}, flex: []int{1, 3}})

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
		t.table(tableSpec{header: []string{"state", "goroutines"}, rows: rows, right: []int{1}, flex: []int{0}})
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
		t.table(tableSpec{header: []string{"wait", "goroutines", "state", "where", "input"}, rows: rows, right: []int{1, 4}, flex: []int{3}, rowLines: true})
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
