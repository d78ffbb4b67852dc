package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportNeverClobbers: a symlink planted under the export's name, and
// a file already there, are left untouched; "y" writes a new file beside
// them and says where.
func TestExportNeverClobbers(t *testing.T) {
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 80, 24)
	dir := m.opts.ExportDir
	victim := filepath.Join(t.TempDir(), "authorized_keys")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "ctxhole-finding-1-db-driver-no-ctx.json")); err != nil {
		t.Fatal(err)
	}
	press(m, "y", "y")
	if got, _ := os.ReadFile(victim); string(got) != "precious\n" {
		t.Fatalf("export followed the planted symlink: target now %q", got)
	}
	for _, name := range []string{"ctxhole-finding-1-db-driver-no-ctx.2.json", "ctxhole-finding-1-db-driver-no-ctx.3.json"} {
		if st, err := os.Lstat(filepath.Join(dir, name)); err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !strings.Contains(m.status, ".3.json") || m.statusErr {
		t.Errorf("status %q (error %v)", m.status, m.statusErr)
	}
}
