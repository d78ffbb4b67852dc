package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
)

// TestViewsAgree walks every incident fixture through the TUI's data and
// through the JSON and table outputs, and checks that they say the same
// thing: each finding's title, root function, goroutine count and longest
// wait; the application frame of each finding's root and of every
// goroutine group; each group's state and wait. The TUI renders from the
// report's Document; this test catches a view that grows its own rules
// again.
func TestViewsAgree(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(repoRoot(t), "fixtures", "captures", "*"))
	if len(dirs) == 0 {
		t.Skip("no fixture captures")
	}
	checked := 0
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			continue // a capture still being generated
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c, err := parser.Load([]string{dir}, parser.Options{})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			r, err := detectors.Analyze(c, detectors.Options{})
			if err != nil {
				t.Fatalf("analyze: %v", err)
			}
			built := report.Build(c, r, report.Tool{Name: "ctxhole"})
			var js bytes.Buffer
			if err := report.WriteJSON(&js, built); err != nil {
				t.Fatal(err)
			}
			var doc report.Document
			if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
				t.Fatalf("decode JSON: %v", err)
			}
			var tb bytes.Buffer
			if err := report.WriteTable(&tb, built, report.Options{Verbose: true}); err != nil {
				t.Fatal(err)
			}
			table := tb.String()
			d := newDataset(c, r)
			checkFindingsAgree(t, d, &doc, table)
			checkGroupsAgree(t, d, &doc, table)
		})
		checked++
	}
	if checked == 0 {
		t.Skip("no complete fixture capture")
	}
}

func checkFindingsAgree(t *testing.T, d *dataset, doc *report.Document, table string) {
	t.Helper()
	if len(d.findings) != len(doc.Findings) {
		t.Fatalf("TUI lists %d findings, JSON %d", len(d.findings), len(doc.Findings))
	}
	for i, fd := range d.findings {
		jf := doc.Findings[i]
		if fd.title != jf.Title || !strings.Contains(table, "\n  "+fd.title+"\n") {
			t.Errorf("finding %d: TUI title %q, JSON %q, or the table does not print it", i+1, fd.title, jf.Title)
		}
		if fd.rootFunc != jf.Root.Function {
			t.Errorf("finding %d: TUI root %q, JSON %q", i+1, fd.rootFunc, jf.Root.Function)
		}
		if want := human.Wait(report.FromSeconds(jf.WaitMaxS), jf.WaitKnown); fd.wait != want {
			t.Errorf("finding %d: TUI wait %q, JSON says %q", i+1, fd.wait, want)
		}
		row := regexp.MustCompile(fmt.Sprintf(`\|\s*%d\s*\|\s*%s\s*\|\s*%s\s*\|\s*%s\s*\|\s*%s\s*\|`,
			jf.Rank, regexp.QuoteMeta(jf.Severity), regexp.QuoteMeta(fd.category), regexp.QuoteMeta(fd.count), regexp.QuoteMeta(fd.wait)))
		if !row.MatchString(table) {
			t.Errorf("finding %d: the table has no row with the TUI's count %s and wait %s", i+1, fd.count, fd.wait)
		}
		if len(fd.nodes) == 0 || fd.nodes[0].link.Depth != 0 {
			continue
		}
		if fd.nodes[0].stackTitle != "root" && !strings.HasPrefix(fd.nodes[0].stackTitle, "root goroutine") {
			continue
		}
		if got := firstApp(fd.nodes[0].frames()); got != jf.Root.AppFrame {
			t.Errorf("finding %d: TUI marks root frame %d as the first application frame, JSON app_frame %d", i+1, got, jf.Root.AppFrame)
		}
	}
}

func checkGroupsAgree(t *testing.T, d *dataset, doc *report.Document, table string) {
	t.Helper()
	n := 0
	for _, sd := range d.snapshots {
		for _, row := range sd.groups {
			n++
			gi := -1
			for j := range doc.Groups {
				if &d.doc.Groups[j] == row.g {
					gi = j
				}
			}
			if gi < 0 {
				t.Fatalf("TUI group %s not in the document", row.fn)
			}
			jg := doc.Groups[gi]
			if got := firstApp(row.frames()); got != jg.AppFrameIndex {
				t.Errorf("group %d (%s): TUI marks frame %d as the first application frame, JSON app_frame_index %d", gi, row.fn, got, jg.AppFrameIndex)
			}
			wait := human.WaitRange(report.FromSeconds(jg.WaitMinS), report.FromSeconds(jg.WaitMaxS), jg.WaitKnown)
			if row.wait != wait || row.state != jg.DisplayState() {
				t.Errorf("group %d: TUI says %s/%s, JSON %s/%s", gi, row.state, row.wait, jg.DisplayState(), wait)
			}
			line := regexp.MustCompile(fmt.Sprintf(`\|\s*%d\s*\|\s*%s\s*\|\s*%s\s*\|\s*%s\s*\|`,
				jg.Input, regexp.QuoteMeta(row.count), regexp.QuoteMeta(row.state), regexp.QuoteMeta(row.wait)))
			if !line.MatchString(table) {
				t.Errorf("group %d (%s): the table has no row with the TUI's count %s, state %q and wait %s", gi, row.fn, row.count, row.state, row.wait)
			}
		}
	}
	if n != len(doc.Groups) {
		t.Errorf("TUI shows %d groups, JSON lists %d", n, len(doc.Groups))
	}
}

// firstApp returns the index of the first frame a view marks as
// application code, or -1.
func firstApp(rows []frameRow) int {
	for i, r := range rows {
		if r.app {
			return i
		}
	}
	return -1
}
