package parser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBundleSymlinksStayInside: in a bundle directory, symbolic links to a
// directory elsewhere, to a huge file elsewhere and a manifest linked from
// elsewhere are skipped with a warning naming them; a link to a file
// inside the bundle is read.
func TestBundleSymlinksStayInside(t *testing.T) {
	dump := []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n")
	bundle, outside := t.TempDir(), t.TempDir()
	write := func(p string, data []byte) {
		t.Helper()
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(bundle, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bundle, "goroutine-debug2.txt"), dump)
	write(filepath.Join(outside, "secret-dump.txt"), dump)
	write(filepath.Join(outside, "manifest.json"), []byte(`{"version":1,"files":[]}`))
	huge := filepath.Join(outside, "huge.txt")
	write(huge, nil)
	if err := os.Truncate(huge, 2<<30); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	link(outside, "elsewhere")
	link(huge, "huge.txt")
	link(filepath.Join(outside, "manifest.json"), "manifest.json")
	link("goroutine-debug2.txt", "again.txt")
	link("/", "root")

	c, err := Load([]string{bundle}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 2 {
		t.Errorf("%d snapshots, want 2 (the dump and the link to it inside the bundle)", len(c.Snapshots))
	}
	for _, s := range c.Snapshots {
		if strings.Contains(s.Source.File, "secret") {
			t.Errorf("read %s through a link leaving the bundle", s.Source.File)
		}
	}
	var warns []string
	for _, w := range c.Warnings {
		warns = append(warns, w.String())
	}
	all := strings.Join(warns, "\n")
	for _, name := range []string{"elsewhere", "huge.txt", "manifest.json", "root"} {
		if !strings.Contains(all, filepath.Join(bundle, name)+": ") || !strings.Contains(all, "leaves the directory") {
			t.Errorf("no warning that %s leaves the bundle:\n%s", name, all)
		}
	}
}
