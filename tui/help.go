package tui

import "fmt"

// helpView renders the help overlay: every binding of the key map in two
// columns when the terminal is wide enough, one otherwise.
func (m *model) helpView(h int) []string {
	st := m.st
	var cols [][]string
	for _, sec := range m.keys.helpSections() {
		col := []string{st.header.Render(sec.title)}
		for _, b := range sec.keys {
			hp := b.Help()
			col = append(col, fmt.Sprintf("  %-13s %s", hp.Key, hp.Desc))
		}
		cols = append(cols, col)
	}
	cols[len(cols)-1] = append(cols[len(cols)-1], fmt.Sprintf("  %-13s %s", "mouse wheel", "scroll the pane under it"))
	var lines []string
	if m.width >= 78 {
		half := (len(cols) + 1) / 2
		left := joinSections(cols[:half])
		right := joinSections(cols[half:])
		colW := m.width / 2
		for i := 0; i < max(len(left), len(right)); i++ {
			var l, r string
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			lines = append(lines, pad(l, colW)+r)
		}
	} else {
		lines = joinSections(cols)
	}
	lines = append(lines, "",
		st.dim.Render("Findings: enter opens the chain, enter again the selected link's stack."),
		st.dim.Render("Goroutines: s cycles states, w the minimum wait, / filters by function, package or file."))
	off := max(0, min(m.helpOff, len(lines)-h))
	return lines[off:min(len(lines), off+h)]
}

func joinSections(secs [][]string) []string {
	var out []string
	for i, s := range secs {
		if i > 0 {
			out = append(out, "")
		}
		out = append(out, s...)
	}
	return out
}
