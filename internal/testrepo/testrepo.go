// Package testrepo finds the inputs tests across the module read: the
// repository root, the committed fixture captures under it, and the
// real-world dumps kept beside the repository in ../shared/realworld (which
// a checkout may not have: tests that need them skip).
package testrepo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Root returns the repository root: the first directory at or above the
// working directory (a package's directory, under go test) holding go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// MustRoot is Root for a test: it fails the test when there is no root.
func MustRoot(tb testing.TB) string {
	tb.Helper()
	root, err := Root()
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// Path joins elements to the repository root.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{MustRoot(tb)}, elem...)...)
}

// RealWorldDir returns the real-world dumps directory, or "" when the
// checkout has none beside it (for fuzz seeding, which cannot skip).
func RealWorldDir() string {
	root, err := Root()
	if err != nil {
		return ""
	}
	dir := filepath.Join(root, "..", "shared", "realworld")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ""
	}
	return dir
}

// RealWorld returns the path of one real-world dump, skipping the test when
// it is absent.
func RealWorld(tb testing.TB, name string) string {
	tb.Helper()
	dir := RealWorldDir()
	if dir == "" {
		tb.Skip("no real-world dumps (../shared/realworld beside the repository)")
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("real-world dump absent: %v", err)
	}
	return path
}
