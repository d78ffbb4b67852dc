package report

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// para writes text wrapped to the writer's width: the first line after
// first, the continuation lines after hang (both usually indentation).
// Without a width the text is one line. Words longer than a line are
// broken where wrapText would break them.
func (t *textWriter) para(first, hang, text string) {
	for _, line := range wrapIndented(first, hang, text, t.width) {
		t.printf("%s\n", line)
	}
}

// wrapIndented wraps text to width columns (escape sequences not
// counted), the first line prefixed with first, the others with hang.
func wrapIndented(first, hang, text string, width int) []string {
	if width <= 0 {
		return []string{first + text}
	}
	var lines []string
	prefix := first
	cur := prefix
	empty := true
	flush := func() {
		lines = append(lines, strings.TrimRight(cur, " "))
		prefix = hang
		cur = prefix
		empty = true
	}
	room := func() int { return width - ansi.StringWidth(cur) }
	for _, word := range strings.Fields(text) {
		w := ansi.StringWidth(word)
		if !empty && w+1 > room() {
			flush()
		}
		for ansi.StringWidth(word) > room() && room() > 8 {
			if !empty {
				flush()
			}
			head, rest := breakWord(word, room())
			cur += head
			flush()
			word = rest
		}
		if !empty {
			cur += " "
		}
		cur += word
		empty = false
	}
	if !empty || len(lines) == 0 {
		lines = append(lines, strings.TrimRight(cur, " "))
	}
	return lines
}
