package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

func TestAnalyzeExportPprof(t *testing.T) {
	const dir = "../../fixtures/captures/mutex-convoy"
	out := filepath.Join(t.TempDir(), "stuck.pb.gz")
	var stdout, stderr bytes.Buffer
	code := run([]string{"analyze", dir, "-o", "json", "--export-pprof", out, "--export-finding", "1"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("exported profile: %v", err)
	}
	var n int64
	for _, s := range p.Sample {
		if c := s.Label["category"]; len(c) != 1 || c[0] != "mutex-convoy" {
			t.Fatalf("finding #1 export has a sample labelled %v", s.Label)
		}
		n += s.Value[0]
	}
	// The fixture convoys 195 handlers behind 1 holder.
	if n < 196 {
		t.Errorf("exported %d goroutines, want the 196 of the convoy", n)
	}
	if !strings.Contains(stderr.String(), "go tool pprof -http") {
		t.Errorf("stderr does not say where the profile went: %s", stderr.String())
	}
}

func TestAnalyzeExportPprofUsage(t *testing.T) {
	const dir = "../../fixtures/captures/mutex-convoy"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{dir, "--export-finding", "1"}, "goes with --export-pprof"},
		{[]string{dir, "--export-pprof", filepath.Join(t.TempDir(), "x"), "--export-finding", "99"}, "no finding #99"},
		{[]string{dir, "--export-pprof", filepath.Join(t.TempDir(), "no", "such", "dir", "x")}, "--export-pprof"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"analyze"}, tt.args...), strings.NewReader(""), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}

// TestExportPprofWithGoTool reads an export with the Go toolchain's own
// pprof: identical stacks are one sample whose value is their count, and
// -tagfocus selects a finding by the ID the JSON gives it (a string
// label, which pprof matches as text, not as a numeric range).
func TestExportPprofWithGoTool(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	const dir = "../../fixtures/captures/mutex-convoy"
	out := filepath.Join(t.TempDir(), "stuck.pb.gz")
	code, js, errOut := runCmd(t, "", "analyze", dir, "-o", "json", "--export-pprof", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Findings []struct {
			ID         string `json:"id"`
			Goroutines int    `json:"goroutines"`
			Root       struct {
				Function string `json:"function"`
			} `json:"root"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Findings) == 0 {
		t.Fatalf("no finding in the JSON: %v", err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range p.Sample {
		total += s.Value[0]
	}
	// 196 goroutines of the convoy on a handful of distinct stacks.
	if total < 196 || len(p.Sample) > 20 {
		t.Errorf("%d samples for %d goroutines: identical stacks are not aggregated", len(p.Sample), total)
	}

	pprof := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(goTool, append([]string{"tool", "pprof"}, append(args, out)...)...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go tool pprof %v: %v\n%s", args, err, b)
		}
		return string(b)
	}
	principal := doc.Findings[0]
	traces := pprof("-traces", "-tagfocus", "finding="+principal.ID)
	if !strings.Contains(traces, "finding:  "+principal.ID) || !strings.Contains(traces, principal.Root.Function) {
		t.Errorf("-tagfocus finding=%s: traces lack the finding's label or its root %s:\n%.2000s", principal.ID, principal.Root.Function, traces)
	}
	var focused int
	for _, line := range strings.Split(traces, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] == "runtime.gopark" {
			n, _ := strconv.Atoi(f[0])
			focused += n
		}
	}
	if focused == 0 {
		t.Errorf("-tagfocus finding=%s: no goroutine counted", principal.ID)
	}
	if got := pprof("-traces", "-tagfocus", "category=mutex-convoy"); !strings.Contains(got, "category:  mutex-convoy") {
		t.Errorf("-tagfocus category=mutex-convoy matched nothing:\n%.1000s", got)
	}
	if got := pprof("-traces", "-tagfocus", "finding=f-000000000000"); strings.Contains(got, "runtime.gopark") {
		t.Errorf("-tagfocus with an unknown finding ID matched samples:\n%.1000s", got)
	}
}
