package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTUIUsage covers what `ctxhole tui` refuses before any UI opens. The
// UI itself is driven on a pseudo-terminal by the tui package's tests.
func TestTUIUsage(t *testing.T) {
	dump := filepath.Join("..", "..", "fixtures", "captures", "db-driver-no-ctx", "goroutine-debug2.txt")
	badSigs := filepath.Join(t.TempDir(), "sigs.json")
	if err := os.WriteFile(badSigs, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, exitOK, ""},
		{"no input", nil, exitUsage, "no input"},
		{"stdin", []string{"-"}, exitUsage, "save it to a file"},
		{"unknown flag", []string{"--frobnicate", dump}, exitUsage, "frobnicate"},
		{"bad signatures", []string{"--signatures", badSigs, dump}, exitUsage, "--signatures"},
		{"not a terminal", []string{dump}, exitUsage, "not a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"tui"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.want)
			}
			if tt.name == "help" {
				if !strings.Contains(stdout.String(), "ctxhole tui [flags] FILE|DIR") {
					t.Errorf("help on stdout lacks the synopsis: %q", stdout.String())
				}
			} else if stdout.Len() != 0 {
				t.Errorf("wrote to stdout: %q", stdout.String())
			}
		})
	}
}
