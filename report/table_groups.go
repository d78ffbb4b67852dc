package report

import (
	"fmt"
	"strconv"

	"github.com/ctxhole/ctxhole/internal/human"
)

func writeGroupsTable(t *textWriter, d *Document, opts Options) {
	if len(d.Groups) == 0 {
		return
	}
	shown := d.Groups
	title := "GOROUTINE GROUPS"
	if !opts.Verbose {
		primary := primarySnapshot(d)
		var inSnap []Group
		for _, g := range d.Groups {
			if g.Input == primary {
				inSnap = append(inSnap, g)
			}
		}
		n := min(len(inSnap), opts.maxGroups())
		shown = inSnap[:n]
		title = fmt.Sprintf("GOROUTINE GROUPS of input %d (%s), top %d of %d by count", primary, d.Inputs[primary].File, n, len(inSnap))
		if n < len(d.Groups) {
			title += "; -v shows all"
		}
	}
	t.heading(title)
	rows := make([][]string, 0, len(shown))
	for _, g := range shown {
		top, app := "", ""
		if g.TopFrame != nil {
			top = g.TopFrame.Function + "\n" + location(shortFile(g.TopFrame.File), g.TopFrame.Line)
		}
		if g.AppFrame != nil {
			app = g.AppFrame.Function + "\n" + location(shortFile(g.AppFrame.File), g.AppFrame.Line)
		}
		wait := human.WaitRange(FromSeconds(g.WaitMinS), FromSeconds(g.WaitMaxS), g.WaitKnown)
		row := []string{human.Count(g.Count), g.DisplayState(), wait, top, app}
		if opts.Verbose {
			row = append([]string{strconv.Itoa(g.Input)}, row...)
		}
		rows = append(rows, row)
	}
	header := []string{"count", "state", "wait", "top frame", "first app frame"}
	right := []int{0}
	if opts.Verbose {
		header = append([]string{"input"}, header...)
		right = []int{0, 1}
	}
	flex := []int{1, 2, 3, 4}
	if opts.Verbose {
		flex = []int{2, 3, 4, 5}
	}
	t.table(tableSpec{header: header, rows: rows, right: right, flex: flex, rowLines: true})
}
