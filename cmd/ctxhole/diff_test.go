package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

func TestDiffLeakBundle(t *testing.T) {
	const leak = "../../fixtures/captures/goroutine-leak"
	var stdout, stderr bytes.Buffer
	code := run([]string{"diff", leak, "-o", "json"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc struct {
		Before, After int
		ElapsedS      *float64 `json:"elapsed_s"`
		Findings      []struct {
			Change   string `json:"change"`
			ID       string `json:"id"`
			Category string `json:"category"`
			Before   int    `json:"goroutines_before"`
			After    int    `json:"goroutines_after"`
		} `json:"findings"`
		Groups []struct {
			Change    string   `json:"change"`
			Before    int      `json:"before"`
			After     int      `json:"after"`
			PerMinute *float64 `json:"per_minute"`
			Function  string   `json:"function"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.ElapsedS == nil || *doc.ElapsedS < 20 {
		t.Fatalf("elapsed = %v, want the bundle's capture times (snapshots 20 s apart)", doc.ElapsedS)
	}
	if len(doc.Groups) == 0 {
		t.Fatal("no group changed across a leaking bundle")
	}
	// The leak is one hole at both moments: matched by its id, growing.
	if len(doc.Findings) == 0 || doc.Findings[0].Change != "persists" || !strings.HasPrefix(doc.Findings[0].ID, "f-") ||
		doc.Findings[0].After <= doc.Findings[0].Before || doc.Findings[0].Before == 0 {
		t.Errorf("findings = %+v, want the leak's finding persisting with more goroutines", doc.Findings)
	}
	g := doc.Groups[0]
	if g.Change != "grew" || !strings.HasSuffix(g.Function, "notifyOnShip") || g.After <= g.Before {
		t.Errorf("first change = %+v, want the leaking notifyOnShip group growing", g)
	}
	if g.PerMinute == nil || *g.PerMinute <= 0 {
		t.Errorf("growth rate = %v, want > 0 per minute", g.PerMinute)
	}
}

func TestDiffTableAndErrors(t *testing.T) {
	const dir = "../../fixtures/captures/goroutine-leak/"
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"two files", []string{dir + "goroutine-debug2.1.txt", dir + "goroutine-debug2.3.txt"}, exitOK, "grew", ""},
		{"ascii table like analyze", []string{dir}, exitOK, "+--------+", ""},
		{"markdown", []string{"-o", "markdown", dir}, exitOK, "| grew | ", ""},
		{"html", []string{"-o", "html", dir}, exitOK, "<!DOCTYPE html>", ""},
		{"html findings by id", []string{"-o", "html", dir}, exitOK, `data-change="persists"`, ""},
		{"one snapshot", []string{dir + "goroutine-debug2.1.txt"}, exitUsage, "", "holds one snapshot"},
		{"no input", nil, exitUsage, "", "want one or two inputs"},
		{"bad format", []string{"-o", "xml", dir}, exitUsage, "", "unknown output format"},
		{"missing file", []string{dir + "nope.txt", dir + "goroutine-debug2.1.txt"}, exitUsage, "", "nope.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"diff"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) ||
				strings.ContainsAny(stdout.String(), "─│┌") {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
		})
	}
}

// TestDiffVerdictFirst: every human format of the diff opens on its
// verdict, the net change and what happened to the findings and groups.
func TestDiffVerdictFirst(t *testing.T) {
	const dir = "../../fixtures/captures/goroutine-leak/"
	for _, tt := range []struct{ format, prefix string }{
		{"table", "ctxhole diff: +"},
		{"markdown", "# Goroutine diff\n\n**+"},
		{"html", "<!DOCTYPE html>"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"diff", "-o", tt.format, dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			out := stdout.String()
			if !strings.HasPrefix(out, tt.prefix) || !strings.Contains(out, "findings: 1 persists; groups: ") {
				t.Errorf("-o %s does not open on the verdict:\n%.400s", tt.format, out)
			}
		})
	}
}

// TestDiffMomentsWithoutManifest: a folder of three instants each captured
// as debug=2, debug=1 and proto, without manifest.json, is three moments;
// diff compares the first and last debug=2 dumps, never a proto with a
// text dump.
func TestDiffMomentsWithoutManifest(t *testing.T) {
	const dir = "../../fixtures/captures/moments-no-manifest"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("fixture absent: %v", err)
	}
	from, to, err := diffSnapshots([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*parser.Snapshot{from, to} {
		if s.Source.Format != parser.FormatGoroutineText {
			t.Errorf("diff compares %s (%s), want the debug=2 dump of each moment", s.Source, s.Source.Format)
		}
	}
	if !strings.Contains(from.Source.File, "debug2.1") || !strings.Contains(to.Source.File, "debug2.3") {
		t.Errorf("diff compares %s with %s, want the first and last moments", from.Source, to.Source)
	}
}

// TestDiffLikeWithLike: a debug=1 capture diffed against a folder holding
// debug=2, debug=1 and proto captures of each moment is compared with the
// folder's debug=1 capture of its last moment.
func TestDiffLikeWithLike(t *testing.T) {
	const dir = "../../fixtures/captures/moments-no-manifest"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("fixture absent: %v", err)
	}
	from, to, err := diffSnapshots([]string{dir + "/goroutine-debug1.1.txt", dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if from.Source.Format != parser.FormatGoroutineDebug1 || to.Source.Format != parser.FormatGoroutineDebug1 {
		t.Errorf("diff compares %s (%s) with %s (%s), want debug=1 with debug=1", from.Source, from.Source.Format, to.Source, to.Source.Format)
	}
	if !strings.Contains(to.Source.File, "debug1.3") {
		t.Errorf("diff compares with %s, want the last moment", to.Source)
	}
}
