package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCreateNeverClobbers: a planted symlink, an existing file, a dangling
// symlink and the input itself are all left as they were.
func TestCreateNeverClobbers(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "out.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.json")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path string
		opts       Options
		want       error
	}{
		{"symlink to a file", link, Options{}, ErrExists},
		{"existing file", victim, Options{}, ErrExists},
		{"dangling symlink", dangling, Options{}, ErrExists},
		{"the input", victim, Options{Force: true, Inputs: []string{victim}}, ErrIsInput},
		{"a symlink to the input", link, Options{Force: true, Inputs: []string{victim}}, ErrIsInput},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteFile(tt.path, []byte("hostile"), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := read(t, victim); got != "precious" {
				t.Errorf("victim now holds %q", got)
			}
			if _, err := os.Stat(filepath.Join(dir, "nowhere")); !os.IsNotExist(err) {
				t.Errorf("the dangling symlink's target was created")
			}
		})
	}
}

// TestCreateForce replaces a regular file, and a symlink itself rather than
// what it points to; special files are refused.
func TestCreateForce(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(old, []byte("new"), Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, old); got != "new" {
		t.Errorf("forced write left %q", got)
	}

	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, victim); got != "precious" {
		t.Errorf("forced write through a symlink changed its target to %q", got)
	}
	if st, err := os.Lstat(link); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the symlink was not replaced by a file: %v %v", st, err)
	}

	if err := WriteFile(dir, []byte("x"), Options{Force: true}); err == nil {
		t.Errorf("a directory was accepted as a forced target")
	}
	if err := WriteFile(os.DevNull, []byte("x"), Options{Force: true}); err == nil {
		t.Errorf("%s was accepted as a forced target", os.DevNull)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "old.json" && e.Name() != "victim" && e.Name() != "link.json" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestAbortRemovesOnlyItsOwn: an aborted write removes the file it
// created, and a forced write that fails leaves the old file in place.
func TestAbortRemovesOnlyItsOwn(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new.pb.gz")
	f, err := Create(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Errorf("aborted file still there: %v", err)
	}

	old := filepath.Join(dir, "old.pb.gz")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = Create(old, Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	if got := read(t, old); got != "old" {
		t.Errorf("aborted forced write left %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left, want only old.pb.gz", len(entries))
	}
}

// TestCreateInsideAnInputDirectory: a bundle directory being read is an
// input as a whole; nothing is written into it or its subdirectories.
func TestCreateInsideAnInputDirectory(t *testing.T) {
	bundle := t.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(bundle, "x.pb.gz"), filepath.Join(bundle, "sub", "x.pb.gz")} {
		if err := WriteFile(p, []byte("x"), Options{Force: true, Inputs: []string{bundle}}); !errors.Is(err, ErrIsInput) {
			t.Errorf("%s: err = %v, want ErrIsInput", p, err)
		}
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s was created", p)
		}
	}
}
