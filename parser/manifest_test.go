package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadBundleManifest checks what a bundle's manifest brings to Load:
// capture times on the files' snapshots, and a warning for every capture
// that failed or came back empty, so the report says what is missing.
func TestLoadBundleManifest(t *testing.T) {
	src := filepath.Join("..", "fixtures", "captures", "mutex-convoy", "goroutine-debug2.txt")
	dump, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "goroutine-debug2.txt"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	m := &Manifest{Version: ManifestVersion, Files: []ManifestFile{
		{Name: "goroutine-debug2.txt", Kind: "goroutine-debug2", CapturedAt: at, Bytes: int64(len(dump))},
		{Name: "block.pb.gz", Kind: "block", Error: "HTTP 404 Not Found: 404 page not found"},
		{Name: "mutex.pb.gz", Kind: "mutex", Empty: true, Note: "mutex profiling is not enabled"},
		{Name: "trace.out", Kind: "trace", Note: "onset: context only, not a warning", Error: "fetch: \x1b[31mreset\x1b[0m"},
	}}
	if err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 1 || !c.Snapshots[0].Source.Time.Equal(at) {
		t.Fatalf("snapshot time = %v, want the manifest's %v", c.Snapshots[0].Source.Time, at)
	}
	var msgs []string
	for _, w := range c.Warnings {
		msgs = append(msgs, filepath.Base(w.File)+": "+w.Msg)
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{
		"block.pb.gz: not captured: HTTP 404",
		"mutex.pb.gz: captured empty: mutex profiling is not enabled",
		"trace.out: not captured: fetch: ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "onset") || strings.Contains(got, "\x1b") {
		t.Errorf("a plain note or a control character became a warning:\n%s", got)
	}
}
