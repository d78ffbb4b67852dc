package main

import (
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

// TestGolden runs `ctxhole analyze` in-process on every committed incident
// capture directory and compares the JSON and the table (no colour) with
// fixtures/golden/<name>.json and .txt. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	t.Chdir(repoRoot(t))
	t.Setenv("NO_COLOR", "1")
	dirs, err := filepath.Glob("fixtures/captures/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixture captures under fixtures/captures")
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct{ format, ext string }{{"json", ".json"}, {"table", ".txt"}} {
				code, out, errOut := runCmd(t, "", "analyze", "-o", c.format, dir)
				if code != exitOK {
					t.Fatalf("analyze -o %s %s: exit %d: %s", c.format, dir, code, errOut)
				}
				if c.format == "json" {
					validateJSON(t, []byte(out))
					out = toolVersionRe.ReplaceAllString(out, `$1"(golden)"`)
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
