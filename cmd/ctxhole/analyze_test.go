package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/docs/schema"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// repoRoot walks up from the test's directory to the directory holding
// go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// flagshipDump is the committed capture the demo embeds.
const flagshipDump = "fixtures/captures/db-driver-no-ctx/goroutine-debug2.txt"

// runCmd runs the command line in-process from the repository root and
// returns its exit status, stdout and stderr.
func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAnalyzeExitCodes(t *testing.T) {
	t.Chdir(repoRoot(t))
	dump, err := os.ReadFile(flagshipDump)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantOut    string
		wantStderr string
	}{
		{"no input", "", []string{"analyze"}, exitUsage, "", "no input"},
		{"help", "", []string{"analyze", "-h"}, exitOK, "ctxhole analyze [flags] FILE|DIR|-", ""},
		{"help command", "", []string{"help", "analyze"}, exitOK, "ctxhole analyze [flags] FILE|DIR|-", ""},
		{"unknown flag", "", []string{"analyze", "--bogus", flagshipDump}, exitUsage, "", "ctxhole analyze: unknown flag: --bogus"},
		{"unknown format", "", []string{"analyze", "-o", "xml", flagshipDump}, exitUsage, "", `unknown output format "xml"`},
		{"bad fail-on", "", []string{"analyze", "--fail-on", "severe", flagshipDump}, exitUsage, "", `unknown severity "severe"`},
		{"missing file names the file", "", []string{"analyze", "no/such/dump.txt"}, exitUsage, "", "no/such/dump.txt"},
		{"garbage input names the file", "\x00\x01\x02 not a capture", []string{"analyze", "-"}, exitUsage, "", "ctxhole analyze: -: byte 0: "},
		{"tui cannot read keys and the capture from stdin", "", []string{"analyze", "--tui", "-"}, exitUsage, "", "--tui reads keys from standard input"},
		{"tui needs a terminal", "", []string{"analyze", "--tui", flagshipDump}, exitUsage, "", "--tui needs a terminal on standard output"},
		{"timeline is not for json", "", []string{"analyze", "--timeline", "-o", "json", flagshipDump}, exitUsage, "", "--timeline draws in the table or markdown"},
		{"table", "", []string{"analyze", flagshipDump}, exitOK, "GOROUTINE GROUPS", ""},
		{"flags after the input", "", []string{"analyze", flagshipDump, "-o", "json"}, exitOK, `"schema_version": "2"`, ""},
		{"stdin", string(dump), []string{"analyze", "-o", "json", "-"}, exitOK, `"file": "-"`, ""},
		{"double dash", "", []string{"analyze", "-o", "markdown", "--", flagshipDump}, exitOK, "## Summary", ""},
		{"fail-on without findings at the threshold", "", []string{"analyze", "--fail-on", "critical", "-o", "json", flagshipDump}, exitOK, "", ""},
		{"fail-on with a finding at the threshold", "", []string{"analyze", flagshipDump, "--fail-on", "high"}, exitFindings, "db-driver-no-ctx", ""},
		{"missing signatures file names it", "", []string{"analyze", "--signatures", "no/such/sigs.json", flagshipDump}, exitUsage, "", "no/such/sigs.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, out)
			}
			if !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, errOut)
			}
		})
	}
}

func TestAnalyzeNoColorWhenNotATerminal(t *testing.T) {
	t.Chdir(repoRoot(t))
	_, out, _ := runCmd(t, "", "analyze", flagshipDump)
	if strings.Contains(out, "\x1b") {
		t.Errorf("table written to a buffer has escape sequences")
	}
}

// TestFailOn drives --fail-on through render with findings of known
// severities: exit 1 only when one is at or above the threshold.
func TestFailOn(t *testing.T) {
	r := &detectors.Diagnosis{Findings: []*detectors.Finding{
		{Category: detectors.CatDBDriverNoCtx, Severity: detectors.SevHigh, Root: detectors.Root{AppFrame: -1}},
		{Category: detectors.CatSleepPoll, Severity: detectors.SevLow, Root: detectors.Root{AppFrame: -1}},
	}}
	tests := []struct {
		failOn string
		want   int
	}{
		{"", exitOK},
		{"info", exitFindings},
		{"medium", exitFindings},
		{"HIGH", exitFindings},
		{"critical", exitOK},
	}
	for _, tt := range tests {
		t.Run("fail-on="+tt.failOn, func(t *testing.T) {
			af := analyzeFlags{output: "json", failOn: tt.failOn}
			var stderr bytes.Buffer
			threshold, code := af.threshold(&stderr)
			if code != exitOK {
				t.Fatalf("threshold: %s", stderr.String())
			}
			var out bytes.Buffer
			if got := render(&parser.Capture{}, r, af, threshold, &out, &stderr); got != tt.want {
				t.Errorf("exit %d, want %d", got, tt.want)
			}
		})
	}
}

// validateJSON checks a JSON report against the published schema.
func validateJSON(t *testing.T, out []byte) {
	t.Helper()
	sdoc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.ReportV2()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schema.ReportV2URL, sdoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schema.ReportV2URL)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("output does not validate against report.v2.json: %v", err)
	}
}

func TestAnalyzeJSONSummary(t *testing.T) {
	t.Chdir(repoRoot(t))
	code, out, errOut := runCmd(t, "", "analyze", "-o", "json", flagshipDump)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	validateJSON(t, []byte(out))
	var doc struct {
		Summary struct {
			Goroutines int            `json:"goroutines"`
			ByState    map[string]int `json:"by_state"`
		} `json:"summary"`
		Groups []struct {
			Count int `json:"count"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	headers := strings.Count(mustRead(t, flagshipDump), "\ngoroutine ") + 1 // the first has no newline before it
	if doc.Summary.Goroutines != headers {
		t.Errorf("summary.goroutines = %d, want %d (headers in the dump)", doc.Summary.Goroutines, headers)
	}
	sum := 0
	for _, n := range doc.Summary.ByState {
		sum += n
	}
	grouped := 0
	for _, g := range doc.Groups {
		grouped += g.Count
	}
	if sum != headers || grouped != headers {
		t.Errorf("by_state adds to %d, groups to %d, want %d", sum, grouped, headers)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTimeline draws the principal finding's Gantt chart below the table
// and inside a code fence in Markdown.
func TestTimeline(t *testing.T) {
	r := &detectors.Diagnosis{Findings: []*detectors.Finding{{
		Category: detectors.CatDBDriverNoCtx, Severity: detectors.SevCritical, Goroutines: 1,
		Root: detectors.Root{AppFrame: -1},
		Chain: []detectors.Link{{Depth: 0, Relation: detectors.RelRoot, Goroutines: 1,
			Function: "github.com/lib/pq.(*conn).startup", Timed: true, Start: 840 * time.Millisecond, End: -1}},
		TraceEnd: 5 * time.Second,
	}}}
	tests := []struct {
		output string
		r      *detectors.Diagnosis
		want   []string
	}{
		{"table", r, []string{"TIMELINE of finding #1", "github.com/lib/pq.(*conn).startup"}},
		{"markdown", r, []string{"## Timeline chart of finding 1\n\n```\n"}},
		{"table", nil, []string{"timeline: no finding to draw"}},
	}
	for _, tt := range tests {
		var out, stderr bytes.Buffer
		af := analyzeFlags{output: tt.output, timeline: true}
		if code := render(&parser.Capture{}, tt.r, af, nil, &out, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d: %s", tt.output, code, stderr.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s output lacks %q:\n%s", tt.output, w, out.String())
			}
		}
	}
}

// TestAnalyzeWarnings: parser warnings go to the summary, and in table mode
// also to stderr. The input is the flagship dump with a stray log line
// pasted between two goroutines (hand-made: a malformed-input test).
func TestAnalyzeWarnings(t *testing.T) {
	t.Chdir(repoRoot(t))
	dump := mustRead(t, flagshipDump)
	i := strings.Index(dump, "\n\ngoroutine ")
	if i < 0 {
		t.Fatal("no goroutine boundary in the flagship dump")
	}
	mangled := dump[:i+2] + "level=info msg=\"stray log line\"\n" + dump[i+2:]

	code, out, errOut := runCmd(t, mangled, "analyze", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "ctxhole: warning: -:") || !strings.Contains(out, "WARNINGS (") {
		t.Errorf("table mode: stderr %q; stdout lacks WARNINGS", errOut)
	}

	code, out, errOut = runCmd(t, mangled, "analyze", "-o", "json", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Summary struct {
			Warnings []struct {
				File    string `json:"file"`
				Line    int    `json:"line"`
				Message string `json:"message"`
			} `json:"warnings"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Summary.Warnings) == 0 || doc.Summary.Warnings[0].File != "-" || doc.Summary.Warnings[0].Line == 0 {
		t.Errorf("json summary.warnings = %+v, want a warning on stdin with a line", doc.Summary.Warnings)
	}
	if errOut != "" {
		t.Errorf("json mode wrote to stderr: %q", errOut)
	}
}
