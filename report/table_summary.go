package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
)

// writeSummaryTable writes what the findings rest on: the inputs (one
// compact row each; the full table with -v), goroutines by state, the
// longest waits and the parser's warnings.
func writeSummaryTable(t *textWriter, d *Document, opts Options) {
	s := d.Summary
	var profiles, traces, leaks int
	for _, in := range d.Inputs {
		switch in.Kind {
		case KindContention:
			profiles++
		case KindTrace:
			traces++
		case KindLeakProfile:
			leaks++
		}
	}
	line := fmt.Sprintf("%s parsed from %s", human.Plural(s.Goroutines, "goroutine"), human.Plural(s.Snapshots, "snapshot"))
	if s.Moments != s.Snapshots {
		line += " of " + human.Plural(s.Moments, "distinct moment")
	}
	if profiles > 0 {
		line += ", " + human.Plural(profiles, "contention profile")
	}
	if traces > 0 {
		line += ", " + human.Plural(traces, "trace")
	}
	if leaks > 0 {
		line += ", " + human.Plural(leaks, "goroutine leak profile")
	}
	t.heading("INPUTS: " + line)
	rows := make([][]string, 0, len(d.Inputs))
	for i, in := range d.Inputs {
		file := in.File
		if in.Line > 1 || in.Index > 0 {
			file += ":" + strconv.Itoa(in.Line)
		}
		what := ""
		switch in.Kind {
		case KindGoroutines:
			what = human.Plural(in.Goroutines, "goroutine")
			if in.DeclaredTotal > 0 && in.DeclaredTotal != in.Goroutines {
				what += fmt.Sprintf(" (declares %s)", human.Count(in.DeclaredTotal))
			}
		case KindContention:
			what = fmt.Sprintf("%s profile, %s", in.ProfileKind, human.Plural(in.Samples, "sample"))
		case KindTrace:
			what = fmt.Sprintf("%s, %s", human.Duration(time.Duration(in.DurationS*float64(time.Second))), human.Plural(in.TraceGoroutines, "goroutine"))
		case KindLeakProfile:
			what = fmt.Sprintf("goroutineleak profile: %s proven leaked (marked in the dumps)", human.Plural(in.Goroutines, "goroutine"))
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
		if opts.Verbose {
			rows = append(rows, []string{strconv.Itoa(i), file, in.Format, what, in.CapturedAt})
			continue
		}
		what = in.Format + ": " + what
		if at := capturedShort(in.CapturedAt); at != "" {
			what += "; " + at
		}
		rows = append(rows, []string{strconv.Itoa(i), file, what})
	}
	if opts.Verbose {
		t.table(tableSpec{header: []string{"#", "file", "format", "contents", "captured"}, rows: rows, right: []int{0}, flex: []int{1, 3, 4}})
	} else {
		t.table(tableSpec{header: []string{"#", "file", "contents"}, rows: rows, right: []int{0}, flex: []int{1, 2}})
	}

	writeStatesTable(t, d)

	if len(s.LongestWaits) > 0 {
		t.heading("LONGEST WAITS")
		rows = rows[:0]
		for _, lw := range s.LongestWaits {
			rows = append(rows, []string{
				human.Wait(FromSeconds(lw.WaitMaxS), true), human.Count(lw.Goroutines), lw.State,
				lw.Function + "\n" + location(shortFile(lw.File), lw.Line), strconv.Itoa(lw.Input),
			})
		}
		t.table(tableSpec{header: []string{"wait", "goroutines", "state", "where", "input"}, rows: rows, right: []int{1, 4}, flex: []int{3}, rowLines: true})
	}

	if len(s.Warnings) > 0 {
		t.heading(fmt.Sprintf("WARNINGS (%d)", len(s.Warnings)))
		for _, w := range s.Warnings {
			t.para("  ", "    ", warningString(w))
		}
	}
}

// capturedShort shortens an RFC 3339 capture time for the compact inputs
// table: to the second, "2026-11-23 11:58:24Z". Other text is kept.
func capturedShort(at string) string {
	tm, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return at
	}
	return tm.UTC().Format("2006-01-02 15:04:05Z")
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

// writeStatesTable counts goroutines by state: one column when one moment
// was captured, else one column per moment (oldest first), so that what
// grows between moments stands out.
func writeStatesTable(t *textWriter, d *Document) {
	s := d.Summary
	if len(s.ByState) == 0 {
		return
	}
	var moments []int // primary inputs, by moment
	for i, in := range d.Inputs {
		if in.Primary {
			moments = append(moments, i)
		}
	}
	slices.SortStableFunc(moments, func(a, b int) int { return cmp.Compare(d.Inputs[a].Moment, d.Inputs[b].Moment) })
	states := make([]string, 0, len(s.ByState))
	for k := range s.ByState {
		states = append(states, k)
	}
	// Largest in the latest moment first: the state the process is in.
	latest := s.ByState
	if len(moments) > 1 {
		latest = d.Inputs[moments[len(moments)-1]].ByState
	}
	slices.SortFunc(states, func(a, b string) int {
		if c := cmp.Compare(latest[b], latest[a]); c != 0 {
			return c
		}
		if c := cmp.Compare(s.ByState[b], s.ByState[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	header := []string{"state", "goroutines"}
	right := []int{1}
	if len(moments) > 1 {
		header, right = []string{"state"}, nil
		for _, i := range moments {
			right = append(right, len(header))
			header = append(header, "input "+strconv.Itoa(i))
		}
	}
	rows := make([][]string, 0, len(states))
	for _, k := range states {
		row := []string{k}
		if len(moments) > 1 {
			for _, i := range moments {
				row = append(row, human.Count(d.Inputs[i].ByState[k]))
			}
		} else {
			row = append(row, human.Count(s.ByState[k]))
		}
		rows = append(rows, row)
	}
	t.heading("GOROUTINES BY STATE")
	t.table(tableSpec{header: header, rows: rows, right: right, flex: []int{0}})
}
