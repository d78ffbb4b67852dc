package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// timelineRows returns the row lines of a timeline frame: those below
// the axis that hold the label column's rule.
func timelineRows(frame string) (axis string, rows []string) {
	lines := strings.Split(frame, "\n")
	for i, l := range lines {
		if strings.Contains(l, "│") && i > 0 {
			if axis == "" {
				axis = lines[i-1]
			}
			rows = append(rows, l)
		}
	}
	return axis, rows
}

// ruleColumn is the cell column of a row's "│", the label column's edge.
func ruleColumn(row string) int {
	before, _, _ := strings.Cut(row, "│")
	return ansi.StringWidth(before)
}

// TestTimelineLabelsAligned renders the timeline of dumps (counts of one
// and of hundreds, waits of one and of three minutes) and of a trace (a
// chain, and a trace's stuck goroutines with IDs of different lengths)
// at several widths, scrolled and not: every row's bar starts in one
// column, under the axis, the same whichever rows are in view; counts are
// right-aligned so the names start in one column; and where the terminal
// has room, no label is cut.
func TestTimelineLabelsAligned(t *testing.T) {
	tests := []struct {
		incident, file string
		diagnose       bool
	}{
		{"goroutine-leak", "sigquit.txt", true},
		{"http-client-no-timeout", "goroutine-debug2.txt", true},
		{"mutex-holder-asleep", "goroutine-debug2.txt", true},
		{"db-driver-no-ctx", "trace-onset.out", true},
		{"db-driver-no-ctx", "trace-onset.out", false}, // the trace's stuck goroutines
	}
	for _, tt := range tests {
		c := loadFixture(t, tt.incident, tt.file)
		var r *detectors.Diagnosis
		if tt.diagnose {
			var err error
			if r, err = detectors.Analyze(c, detectors.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, w := range []int{60, 80, 120, 200} {
			t.Run(fmt.Sprintf("%s/%s/diagnosed=%v/%d", tt.incident, tt.file, tt.diagnose, w), func(t *testing.T) {
				m := newTestModel(t, c, r, w, 16)
				press(m, "3")
				frame := screen(m)
				checkFrame(t, frame, w, 16)
				axis, rows := timelineRows(frame)
				if len(rows) == 0 {
					t.Fatalf("no timeline row:\n%s", frame)
				}
				col := ruleColumn(rows[0])
				if lead := len(axis) - len(strings.TrimLeft(axis, " ")); lead != col+1 {
					t.Errorf("the axis starts at column %d, the bars at %d:\n%s", lead, col+1, frame)
				}
				tl := m.buildTimeline()
				for _, row := range rows {
					if got := ruleColumn(row); got != col {
						t.Errorf("a row's bar starts at column %d, the first row's at %d:\n%s", got+2, col+2, frame)
					}
				}
				// Names start in one column after the right-aligned
				// numbers.
				nameCol := -1
				for _, r := range tl.rows {
					at := strings.Index(r.label, r.name)
					if nameCol < 0 {
						nameCol = at
					}
					if at != nameCol || !strings.HasSuffix(r.label, r.num+" "+r.name) && r.num != "" {
						t.Errorf("label %q: name at %d, want %d after a right-aligned number", r.label, at, nameCol)
					}
				}
				if w >= 120 && strings.Contains(strings.Join(rows, "\n"), "…") {
					t.Errorf("labels cut at width %d although there is room:\n%s", w, frame)
				}
				// Scrolled to the last row, the column stays put.
				for range tl.rows {
					press(m, "j")
				}
				_, scrolled := timelineRows(screen(m))
				for _, row := range scrolled {
					if got := ruleColumn(row); got != col {
						t.Errorf("scrolled, a row's bar starts at column %d, was %d", got+2, col+2)
					}
				}
			})
		}
	}
}

// TestTimelineCountsAligned: a dump with groups of 1 and 1,234 goroutines
// waiting 1 and 93 minutes lays its timeline labels out in columns.
func TestTimelineCountsAligned(t *testing.T) {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n")
	id := 2
	add := func(n int, wait, fn string) {
		for range n {
			fmt.Fprintf(&b, "\ngoroutine %d [chan receive, %s]:\n%s()\n\t/src/main.go:20 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:9 +0x2a\n", id, wait, fn)
			id++
		}
	}
	add(1234, "93 minutes", "main.leaky")
	add(1, "1 minutes", "main.(*averyveryverylongtypename).andAnEvenLongerMethodName")
	add(17, "5 minutes", "main.mid")
	ss, err := parser.ReadText(strings.NewReader(b.String()), "dump.txt")
	if err != nil {
		t.Fatal(err)
	}
	c := &parser.Capture{Snapshots: ss}
	m := newTestModel(t, c, nil, 120, 20)
	press(m, "3")
	frame := screen(m)
	_, rows := timelineRows(frame)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3:\n%s", len(rows), frame)
	}
	var nameCols []int
	for _, want := range []string{"1,234 main.leaky", "   17 main.mid", "    1 main.(*averyveryverylongtypename).andAnEvenLongerMethodName"} {
		i := slices.IndexFunc(rows, func(r string) bool { return strings.Contains(r, want) })
		if i < 0 {
			t.Errorf("no row shows %q:\n%s", want, frame)
			continue
		}
		nameCols = append(nameCols, ansi.StringWidth(rows[i][:strings.Index(rows[i], "main.")]))
		if ruleColumn(rows[i]) != ruleColumn(rows[0]) {
			t.Errorf("row %q: bar at column %d, first row's at %d", want, ruleColumn(rows[i]), ruleColumn(rows[0]))
		}
	}
	if len(nameCols) == 3 && (nameCols[0] != nameCols[1] || nameCols[1] != nameCols[2]) {
		t.Errorf("names start at columns %v:\n%s", nameCols, frame)
	}
}
