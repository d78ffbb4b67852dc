package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestFirstScreen is the on-call engineer's 80-column terminal: for every
// fixture, `COLUMNS=80 ctxhole analyze DIR` has the verdict on its first
// line and the principal finding (its category, fix and chain) within the
// first 15 lines, and no line is wider than 80 columns, nor any table of
// `analyze -v`.
func TestFirstScreen(t *testing.T) {
	t.Chdir(repoRoot(t))
	t.Setenv("NO_COLOR", "1")
	dirs, err := filepath.Glob("fixtures/captures/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixture captures: %v", err)
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || strings.HasPrefix(fi.Name(), ".") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			code, js, errOut := runCmd(t, "", "analyze", "-o", "json", dir)
			if code != exitOK {
				t.Fatalf("analyze -o json: exit %d: %s", code, errOut)
			}
			var doc struct {
				Findings []struct {
					Category string `json:"category"`
					Fix      struct {
						Summary string `json:"summary"`
					} `json:"fix"`
					Chain []struct{} `json:"chain"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatal(err)
			}
			t.Setenv("COLUMNS", "80")
			code, out, errOut := runCmd(t, "", "analyze", dir)
			if code != exitOK {
				t.Fatalf("analyze: exit %d: %s", code, errOut)
			}
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			for i, l := range lines {
				if n := utf8.RuneCountInString(l); n > 80 {
					t.Errorf("line %d is %d columns wide: %q", i+1, n, l)
				}
			}
			if !strings.HasPrefix(lines[0], "ctxhole: ") {
				t.Fatalf("first line is not the verdict: %q", lines[0])
			}
			// With -v every table (inputs, states, waits, all groups)
			// fits too; only a fix's Go example keeps its own lines.
			if code, verbose, errOut := runCmd(t, "", "analyze", "-v", dir); code != exitOK {
				t.Errorf("analyze -v: exit %d: %s", code, errOut)
			} else {
				for i, l := range strings.Split(verbose, "\n") {
					if n := utf8.RuneCountInString(l); n > 80 && (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "|")) {
						t.Errorf("-v: table line %d is %d columns wide: %q", i+1, n, l)
					}
				}
			}
			if len(doc.Findings) == 0 {
				if !strings.Contains(lines[0], "no findings") {
					t.Errorf("verdict %q does not say there is no finding", lines[0])
				}
				return
			}
			p := doc.Findings[0]
			if !strings.Contains(lines[0], "principal: "+p.Category) {
				t.Errorf("verdict %q does not name the principal finding %s", lines[0], p.Category)
			}
			screen := strings.Join(lines[:min(15, len(lines))], "\n")
			for _, want := range []string{"#1 ", p.Category, "fix: "} {
				if !strings.Contains(screen, want) {
					t.Errorf("first 15 lines lack %q:\n%s", want, screen)
				}
			}
			// The fix is wrapped: its first words are on the first screen.
			if words := strings.Fields(p.Fix.Summary); len(words) > 0 && !strings.Contains(screen, "fix: "+words[0]) {
				t.Errorf("first 15 lines lack the principal's fix %q:\n%s", p.Fix.Summary, screen)
			}
			if len(p.Chain) > 0 {
				at := slices.Index(lines, "  chain:")
				if at < 0 || at >= 15 {
					t.Fatalf("first 15 lines lack the principal's chain:\n%s", screen)
				}
				// The chain's links (indented by 4 or more) end within
				// the first screen.
				end := at + 1
				for end < len(lines) && strings.HasPrefix(lines[end], "    ") {
					end++
				}
				if end > 15 {
					t.Errorf("the principal's chain runs to line %d:\n%s", end, strings.Join(lines[:end], "\n"))
				}
			}
		})
	}
}

// TestFindingIDAcrossFormats: one moment captured as debug=2, debug=1 and
// proto gives one finding ID for one hole. The principal of each listed
// fixture is the same hole in all three formats, whatever else debug=2's
// addresses and goroutine IDs let the detectors link to it
// (recursive-rlock's extra waiter, waitgroup-stuck's blocked workers);
// and across every fixture, findings of two formats that name the same
// category, root and application frame have the same ID.
func TestFindingIDAcrossFormats(t *testing.T) {
	t.Chdir(repoRoot(t))
	type finding struct {
		ID       string `json:"id"`
		Category string `json:"category"`
		Root     struct {
			Function string `json:"function"`
			AppFrame int    `json:"app_frame"`
			Stack    []struct {
				Function string `json:"function"`
			} `json:"stack"`
		} `json:"root"`
	}
	// hole is what identifies a finding whatever the format.
	hole := func(f finding) string {
		app := ""
		if i := f.Root.AppFrame; i >= 0 && i < len(f.Root.Stack) {
			app = f.Root.Stack[i].Function
		}
		return f.Category + " " + f.Root.Function + " " + app
	}
	formats := []string{"goroutine-debug2.txt", "goroutine-debug1.txt", "goroutine.pb.gz"}
	analyze := func(t *testing.T, dir string) [][]finding {
		var out [][]finding
		for _, f := range formats {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				// A bundle that was not taken in this format (the
				// flight recorder writes debug=2 and proto only).
				out = append(out, nil)
				continue
			}
			code, js, errOut := runCmd(t, "", "analyze", "-o", "json", filepath.Join(dir, f))
			if code != exitOK {
				t.Fatalf("%s: exit %d: %s", f, code, errOut)
			}
			var doc struct {
				Findings []finding `json:"findings"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, doc.Findings)
		}
		return out
	}
	t.Run("principal", func(t *testing.T) {
		for _, name := range []string{"db-driver-no-ctx", "mutex-convoy", "http-client-no-timeout", "tx-never-rolled-back",
			"recursive-rlock", "waitgroup-stuck", "mutex-holder-asleep", "kafka-producer-stalled", "semaphore-convoy", "cond-wait"} {
			t.Run(name, func(t *testing.T) {
				var ids []string
				var category string
				for i, fs := range analyze(t, filepath.Join("fixtures", "captures", name)) {
					if len(fs) == 0 {
						t.Fatalf("%s: no finding", formats[i])
					}
					if category == "" {
						category = fs[0].Category
					}
					// The debug=2 principal's hole; a format that links
					// less may rank another finding first (waitgroup-stuck's
					// proto lists the blocked workers on their own).
					at := slices.IndexFunc(fs, func(f finding) bool { return f.Category == category })
					if at < 0 {
						t.Fatalf("%s: no %s finding", formats[i], category)
					}
					ids = append(ids, fs[at].ID)
				}
				if ids[0] != ids[1] || ids[0] != ids[2] {
					t.Errorf("principal IDs debug=2/debug=1/proto = %v, want one", ids)
				}
			})
		}
	})
	t.Run("every finding", func(t *testing.T) {
		dirs, err := filepath.Glob("fixtures/captures/*/goroutine-debug2.txt")
		if err != nil || len(dirs) == 0 {
			t.Fatalf("no fixture captures: %v", err)
		}
		matched := 0
		for _, d2 := range dirs {
			dir := filepath.Dir(d2)
			ids := map[string]string{} // hole → ID
			for i, fs := range analyze(t, dir) {
				for _, f := range fs {
					h := hole(f)
					if id, ok := ids[h]; ok {
						matched++
						if id != f.ID {
							t.Errorf("%s: %s is %s in one format, %s in %s", filepath.Base(dir), h, id, f.ID, formats[i])
						}
					}
					ids[h] = f.ID
				}
			}
		}
		if matched < 20 {
			t.Errorf("only %d findings seen in more than one format", matched)
		}
	})
}
