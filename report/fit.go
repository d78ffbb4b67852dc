package report

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ctxhole/ctxhole/parser"
)

// minFlexWidth is the narrowest a flexible column is squeezed to while
// the others leave room; tightFlexWidth the narrowest when they do not
// (a table wider than the terminal folds into garbage, so narrow columns
// are the lesser evil).
const (
	minFlexWidth   = 16
	tightFlexWidth = 8
)

// fitColumns wraps the flexible columns' cells so that the table fits
// width: the fixed columns keep their natural width, and the flexible ones
// share the rest, the narrow ones first taking only what they need. Headers
// are not wrapped: a table whose fixed columns and headers alone overflow
// is left as wide as it must be.
func fitColumns(width int, header []string, rows [][]string, flex []int) [][]string {
	if len(flex) == 0 {
		return rows
	}
	natural := make([]int, len(header))
	for c, h := range header {
		natural[c] = cellWidth(h)
	}
	for _, r := range rows {
		for c, cell := range r {
			if c < len(natural) {
				natural[c] = max(natural[c], cellWidth(cell))
			}
		}
	}
	// Each column costs its content plus "| " before it and " " after;
	// the table adds one "|" at the end.
	avail := width - 1
	for c, w := range natural {
		avail -= 3
		if !slices.Contains(flex, c) {
			avail -= w
		}
	}
	// A header is not wrapped: it is its column's floor (and
	// tightFlexWidth), which the columns served before it leave free.
	floor := func(c int) int { return min(natural[c], max(tightFlexWidth, cellWidth(header[c]))) }
	order := slices.Clone(flex)
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(natural[a], natural[b]) })
	limit := make(map[int]int, len(flex))
	for i, c := range order {
		share := avail / (len(order) - i)
		if share < minFlexWidth {
			// Squeeze below minFlexWidth only as far as the width needs.
			share = max(share, tightFlexWidth)
		}
		reserved := 0
		for _, later := range order[i+1:] {
			reserved += floor(later)
		}
		share = min(share, avail-reserved)
		limit[c] = max(min(natural[c], share), floor(c))
		avail -= limit[c]
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
		for _, c := range flex {
			if c < len(r) && cellWidth(r[c]) > limit[c] {
				out[i][c] = wrapText(r[c], limit[c])
			}
		}
	}
	return out
}

// cellWidth is the widest line of a cell in columns, escape sequences not
// counted.
func cellWidth(s string) int {
	w := 0
	for line := range strings.SplitSeq(s, "\n") {
		w = max(w, utf8.RuneCountInString(parser.CleanText(line)))
	}
	return w
}

// wrapText wraps each line of s to width columns: at spaces where it can,
// inside long words (after a '/', '.' or ')' when one is near the end)
// where it must.
func wrapText(s string, width int) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		out = append(out, wrapLine(line, width)...)
	}
	return strings.Join(out, "\n")
}

func wrapLine(line string, width int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(line) {
		for utf8.RuneCountInString(word) > width {
			if cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			head, rest := breakWord(word, width)
			lines = append(lines, head)
			word = rest
		}
		switch {
		case cur == "":
			cur = word
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= width:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

// breakWord splits a word longer than width: after the last '/', '.' or
// ')' in its second half that fits, else at exactly width runes.
func breakWord(word string, width int) (string, string) {
	runes := []rune(word)
	cut := width
	for i := width; i > width/2; i-- {
		if r := runes[i-1]; r == '/' || r == '.' || r == ')' {
			cut = i
			break
		}
	}
	return string(runes[:cut]), string(runes[cut:])
}
