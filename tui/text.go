package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/ctxhole/ctxhole/parser"
)

// ellipsis marks text cut to fit the terminal.
const ellipsis = "…"

// clean makes capture text safe and single-line for the terminal: control
// characters stripped by parser.CleanText, tabs and newlines turned into
// spaces so that every cell width is known.
func clean(s string) string {
	s = parser.CleanText(s)
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, s)
	}
	return s
}

// cleanLines is clean for multi-line text (code examples, explanations):
// each line cleaned, tabs expanded to four spaces.
func cleanLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = clean(strings.ReplaceAll(l, "\t", "    "))
	}
	return lines
}

// fit cuts a (possibly styled) line to at most w cells, ending it with an
// ellipsis when something was cut. Lines are never wrapped: a wrapped line
// would shift everything below it.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, ellipsis)
}

// fitLeft cuts plain text to its last w cells, starting it with an ellipsis:
// for file paths, where the end (file name and line) is what matters.
func fitLeft(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n <= w {
		return s
	}
	if w == 1 {
		return ellipsis
	}
	return ansi.TruncateLeft(s, n-w+1, ellipsis)
}

// pad cuts or pads plain text to exactly w cells, for table columns.
func pad(s string, w int) string {
	s = fit(s, w)
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// padLeft right-aligns plain text in w cells.
func padLeft(s string, w int) string {
	s = fit(s, w)
	if n := ansi.StringWidth(s); n < w {
		s = strings.Repeat(" ", w-n) + s
	}
	return s
}

// wrap word-wraps plain text to w cells and returns its lines.
func wrap(s string, w int) []string {
	if w < 10 {
		w = 10
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

// fmtWait formats a goroutine wait as the runtime measures it: whole
// minutes, shown as "45m" or "21h48m"; "-" when unknown.
func fmtWait(d time.Duration, known bool) string {
	if !known {
		return "-"
	}
	if d < time.Minute {
		return "<1m"
	}
	m := int64(d / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%dm", m)
	}
	if m < 48*60 {
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	}
	return fmt.Sprintf("%dd%02dh", m/(24*60), (m/60)%24)
}

// fmtOffset formats a trace offset or span compactly ("1.25s", "340ms").
func fmtOffset(d time.Duration) string {
	switch {
	case d < 0:
		return "-"
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	case d < time.Second:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return d.Round(time.Second).String()
	}
}

// fmtCount formats a count with thousands separators.
func fmtCount(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtIDs lists goroutine IDs compactly, folding consecutive runs into
// ranges ("1-4, 9, 12") and stopping after max items.
func fmtIDs(ids []int64, max int) string {
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if len(parts) == max {
			return strings.Join(parts, ", ") + fmt.Sprintf(", … (%d more)", len(ids)-i)
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		} else {
			parts = append(parts, fmt.Sprint(ids[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// plural returns "1 finding" or "3 findings".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmtCount(n) + " " + word + "s"
}
