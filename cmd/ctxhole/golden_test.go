package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite fixtures/golden/ from the current output")

// toolVersionRe matches the tool version in a JSON report, which depends
// on how the binary was built, not on the input.
var toolVersionRe = regexp.MustCompile(`("tool": \{\s*"name": "ctxhole",\s*"version": )"[^"]*"`)

// mdVersionRe matches the tool version in a Markdown report.
var mdVersionRe = regexp.MustCompile(`(_Written by ctxhole )\S+( from )`)

// TestGolden runs `ctxhole analyze` in-process on every committed incident
// capture directory and compares the JSON, the table (no colour) and the
// Markdown with fixtures/golden/<name>.json, .txt and .md. Run with -update
// to rewrite them.
func TestGolden(t *testing.T) {
	t.Chdir(repoRoot(t))
	t.Setenv("NO_COLOR", "1")
	t.Setenv("COLUMNS", "") // the table fits the default width, 100
	dirs, err := filepath.Glob("fixtures/captures/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixture captures under fixtures/captures")
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || strings.HasPrefix(fi.Name(), ".") {
			continue // a file, or a generator's work in progress
		}
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct{ format, ext string }{{"json", ".json"}, {"table", ".txt"}, {"markdown", ".md"}} {
				code, out, errOut := runCmd(t, "", "analyze", "-o", c.format, dir)
				if code != exitOK {
					t.Fatalf("analyze -o %s %s: exit %d: %s", c.format, dir, code, errOut)
				}
				if c.format == "json" {
					validateJSON(t, []byte(out))
					out = toolVersionRe.ReplaceAllString(out, `$1"(golden)"`)
				}
				if c.format == "markdown" {
					out = mdVersionRe.ReplaceAllString(out, `$1(golden)$2`)
				}
				golden := filepath.Join("fixtures", "golden", name+c.ext)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./cmd/ctxhole -run TestGolden -update)", err)
				}
				if out != string(want) {
					t.Errorf("analyze -o %s %s differs from %s (run with -update if the change is intended)\n%s",
						c.format, dir, golden, firstDiff(string(want), out))
				}
			}
		})
	}
}

// firstDiff describes the first line where got departs from want.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(no line differs)"
}

// TestAnalyzeMeetsFixtureExpectations checks the real command against what
// each incident generator knows it built (manifest.json "expect"): the
// principal finding has the expected category and its root stack passes
// through the expected root function; a capture with no expected category
// (the healthy service) gets no high or critical finding.
func TestAnalyzeMeetsFixtureExpectations(t *testing.T) {
	t.Chdir(repoRoot(t))
	manifests, err := filepath.Glob("fixtures/captures/*/manifest.json")
	if err != nil || len(manifests) == 0 {
		t.Fatalf("no fixture manifests: %v", err)
	}
	for _, mpath := range manifests {
		dir := filepath.Dir(mpath)
		if strings.HasPrefix(filepath.Base(dir), ".") {
			continue // a generator's work in progress
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var m struct {
				Expect struct {
					Category     string `json:"category"`
					RootFunction string `json:"root_function"`
				} `json:"expect"`
			}
			if err := json.Unmarshal([]byte(mustRead(t, mpath)), &m); err != nil {
				t.Fatalf("%s: %v", mpath, err)
			}
			code, out, errOut := runCmd(t, "", "analyze", "-o", "json", dir)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc struct {
				Findings []struct {
					Category string `json:"category"`
					Severity string `json:"severity"`
					Root     struct {
						Stack []struct {
							Function string `json:"function"`
						} `json:"stack"`
					} `json:"root"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if m.Expect.Category == "" {
				for _, f := range doc.Findings {
					if f.Severity == "high" || f.Severity == "critical" {
						t.Errorf("healthy capture has a %s %s finding", f.Severity, f.Category)
					}
				}
				return
			}
			if len(doc.Findings) == 0 {
				t.Fatalf("no finding; want %s", m.Expect.Category)
			}
			f := doc.Findings[0]
			if f.Category != m.Expect.Category {
				t.Errorf("principal finding is %s, want %s", f.Category, m.Expect.Category)
			}
			found := false
			for _, fr := range f.Root.Stack {
				found = found || fr.Function == m.Expect.RootFunction
			}
			if m.Expect.RootFunction != "" && !found {
				t.Errorf("root stack does not pass through %s", m.Expect.RootFunction)
			}
		})
	}
}

// TestAnalyzeRealWorld runs every format over the real-world dumps kept
// outside the repository (../shared/realworld): each must succeed, the
// JSON must validate and nothing may carry a control character but the
// table's newlines.
func TestAnalyzeRealWorld(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "..", "shared", "realworld")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		t.Skipf("no real-world dumps in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, format := range []string{"table", "json", "markdown"} {
				code, out, errOut := runCmd(t, "", "analyze", "-v", "-o", format, f)
				if code != exitOK {
					t.Fatalf("-o %s: exit %d: %s", format, code, errOut)
				}
				if format == "json" {
					validateJSON(t, []byte(out))
				}
				if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }); i >= 0 {
					t.Errorf("-o %s: control character %q at byte %d", format, out[i], i)
				}
			}
		})
	}
}

// TestAnalyzeVariants renders every format-variant capture (Go 1.17 to
// 1.26: system tracebacks, SIGQUIT, panics, deadlocks, test timeouts,
// ancestors, labels, a 64 MiB cut dump...) in all three formats: each must
// succeed, the JSON must validate and no output may carry a control
// character but newlines and tabs.
func TestAnalyzeVariants(t *testing.T) {
	t.Chdir(repoRoot(t))
	files, err := filepath.Glob("fixtures/variants/captures/*/*")
	if err != nil || len(files) == 0 {
		t.Skipf("no variant captures: %v", err)
	}
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), ".") {
			continue
		}
		t.Run(strings.TrimPrefix(f, "fixtures/variants/captures/"), func(t *testing.T) {
			for _, format := range []string{"table", "json", "markdown"} {
				code, out, errOut := runCmd(t, "", "analyze", "-v", "-o", format, f)
				if code != exitOK {
					t.Fatalf("-o %s: exit %d: %s", format, code, errOut)
				}
				if format == "json" {
					validateJSON(t, []byte(out))
				}
				if i := strings.IndexFunc(out, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }); i >= 0 {
					t.Errorf("-o %s: control character %q at byte %d", format, out[i], i)
				}
			}
		})
	}
}
