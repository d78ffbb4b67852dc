package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestExportPprofNeverClobbers: --export-pprof never replaces the input it
// is analysing (even with --force, even through a symlink), never replaces
// an existing file without --force, and a failed export removes nothing
// that was there before.
func TestExportPprofNeverClobbers(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/captures/mutex-convoy/goroutine-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "dump.txt")
	existing := filepath.Join(dir, "existing.pb.gz")
	link := filepath.Join(dir, "link.pb.gz")
	for p, data := range map[string][]byte{in: src, existing: []byte("keep me")} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"the input", []string{in, "--export-pprof", in, "--force"}, "is one of the inputs"},
		{"a symlink to the input", []string{in, "--export-pprof", link, "--force"}, "is one of the inputs"},
		{"an existing file", []string{in, "--export-pprof", existing}, "already exists"},
		{"a failed forced export", []string{in, "--export-pprof", existing, "--force", "--export-finding", "99"}, "no finding #99"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"analyze", "-o", "json"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
			if got, _ := os.ReadFile(in); !bytes.Equal(got, src) {
				t.Errorf("the input was changed")
			}
			if got, _ := os.ReadFile(existing); string(got) != "keep me" {
				t.Errorf("the existing file now holds %d bytes", len(got))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 3 {
				t.Errorf("%d entries in the directory, want the 3 it had", len(entries))
			}
		})
	}
}

// fullDisk fails every write as a full disk does.
type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestDiffToAFullDisk: a diff that cannot be written is an error and a
// non-zero exit, in both formats, to a writer that fails and (where the
// system has one) to /dev/full.
func TestDiffToAFullDisk(t *testing.T) {
	const bundle = "../../fixtures/captures/db-driver-no-ctx"
	outs := map[string]func() io.Writer{"failing writer": func() io.Writer { return fullDisk{} }}
	if f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0); err == nil {
		defer f.Close()
		outs["/dev/full"] = func() io.Writer { return f }
	}
	for name, out := range outs {
		for _, format := range []string{"table", "json"} {
			var stderr bytes.Buffer
			code := run([]string{"diff", "-o", format, bundle}, strings.NewReader(""), out(), &stderr)
			if code == exitOK || !strings.Contains(stderr.String(), "no space left") {
				t.Errorf("%s, %s: exit %d, stderr %q; want non-zero and the error", name, format, code, stderr.String())
			}
		}
	}
}
