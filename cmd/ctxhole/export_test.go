package main

import (
	"bytes"
	"os"
	"path/filepath"
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
