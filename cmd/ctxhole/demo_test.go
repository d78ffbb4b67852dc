package main

import (
	"os"
	"strings"
	"testing"
)

// TestSampleMatchesFixture keeps the embedded sample byte-identical to the
// committed capture it was copied from.
func TestSampleMatchesFixture(t *testing.T) {
	t.Chdir(repoRoot(t))
	want, err := os.ReadFile(flagshipDump)
	if err != nil {
		t.Fatal(err)
	}
	if sampleDump != string(want) {
		t.Fatalf("cmd/ctxhole/sample/db-driver-no-ctx.txt differs from %s: copy it again", flagshipDump)
	}
}

func TestDemo(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"table", []string{"demo"}, exitOK, []string{"GOROUTINE GROUPS", "database/sql.(*DB).conn", sampleName,
			"db-driver-no-ctx", "github.com/lib/pq.(*conn)", "connect_timeout"}},
		{"markdown", []string{"demo", "-o", "markdown"}, exitOK, []string{"## Summary", "## Goroutine groups"}},
		{"json", []string{"demo", "-o", "json"}, exitOK, []string{`"file": "` + sampleName + `"`}},
		{"html", []string{"demo", "-o", "html"}, exitOK, []string{"<!DOCTYPE html>", "principal: db-driver-no-ctx", `<svg class="chain"`}},
		{"inputs are refused", []string{"demo", "dump.txt"}, exitUsage, nil},
		{"unknown format", []string{"demo", "-o", "yaml"}, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			if tt.name == "json" {
				validateJSON(t, []byte(out))
			}
		})
	}
}
