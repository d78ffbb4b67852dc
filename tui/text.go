package tui

import (
	"fmt"
	"strings"

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
