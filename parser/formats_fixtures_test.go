package parser

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// fxReasons counts goroutines by status and reason.
func fxReasons(s *Snapshot) map[string]int {
	m := map[string]int{}
	for _, g := range s.Goroutines {
		m[fmt.Sprintf("%v/%s", g.Status, g.Reason)] += g.Count
	}
	return m
}

// The format-variant captures hold the same program's goroutine profile
// written by every runtime from Go 1.17 to 1.26, as protobuf and as
// debug=1 text. Whatever each runtime names its frames, the inferred states
// must agree across versions, and the debug=1 text must agree with the
// protobuf except where its hidden runtime frames leave the reason unknown.
func TestVariantProfilesAgree(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(fxRepoRoot(t), "fixtures", "variants", "captures", "go1.*"))
	if len(dirs) == 0 {
		t.Skip("no format-variant captures")
	}
	var want map[string]int
	for _, dir := range dirs {
		c, err := Load([]string{filepath.Join(dir, "goroutine.pb.gz"), filepath.Join(dir, "debug1.txt")}, Options{})
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		proto, debug1 := c.Snapshots[0], c.Snapshots[1]
		got := fxReasons(proto)
		if want == nil {
			want = got
			if len(want) < 8 {
				t.Fatalf("%s: only %d distinct states: %v", dir, len(want), want)
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: protobuf states %v\nwant (as %s) %v", filepath.Base(dir), got, filepath.Base(dirs[0]), want)
		}
		if proto.Count() != debug1.Count() || debug1.Count() != debug1.DeclaredTotal || len(debug1.Warnings) != 0 {
			t.Errorf("%s: proto %d goroutines, debug=1 %d of %d, warnings %v", filepath.Base(dir), proto.Count(), debug1.Count(), debug1.DeclaredTotal, debug1.Warnings)
		}
		// debug=1 hides runtime.selectgo and runtime.block: those records
		// are waiting with no reason. Channel sends and receives are read
		// from the hidden frames' PCs (debug1chan.go) and, like every
		// other state, must match.
		hidden := map[string]bool{"waiting/select": true, "waiting/select (no cases)": true}
		fromProto := map[string]int{}
		for k, n := range got {
			if hidden[k] {
				k = "waiting/"
			}
			fromProto[k] += n
		}
		if d := fxReasons(debug1); !maps.Equal(d, fromProto) {
			t.Errorf("%s: debug=1 states %v\nwant %v", filepath.Base(dir), d, fromProto)
		}
	}
}

// Go 1.26's goroutineleak profile in debug=1 form: every record is leaked.
func TestVariantLeakProfile(t *testing.T) {
	path := filepath.Join(fxRepoRoot(t), "fixtures", "variants", "captures", "go1.26.8", "leak-debug1.txt")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no leak profile capture: %v", err)
	}
	c, err := Load([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := c.Snapshots[0]
	if s.Source.Format != FormatGoroutineDebug1 {
		t.Errorf("format %s", s.Source.Format)
	}
	if s.Count() == 0 || s.Count() != s.DeclaredTotal || len(s.Warnings) != 0 {
		t.Errorf("count %d declared %d warnings %v", s.Count(), s.DeclaredTotal, s.Warnings)
	}
	for _, g := range s.Goroutines {
		if g.Status != StatusLeaked {
			t.Errorf("record at line %d: status %v, want leaked", g.Line, g.Status)
		}
	}
}

// Mutex and block profiles have the same sample types and period; the
// incident captures, whose names say which is which, check that the stacks
// tell them apart.
func TestIncidentContentionKinds(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(fxRepoRoot(t), "fixtures", "captures", "*"))
	if len(dirs) == 0 {
		t.Skip("no incident captures")
	}
	for _, dir := range dirs {
		for _, kind := range []string{"mutex", "block"} {
			path := filepath.Join(dir, kind+".pb.gz")
			if _, err := os.Stat(path); err != nil {
				continue
			}
			c, err := Load([]string{path}, Options{})
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			p := c.Contention[0]
			if len(p.Samples) == 0 && !p.Source.Time.IsZero() {
				// An incident with no lock contention at all (CPU
				// starvation): an empty profile's stacks cannot tell
				// mutex from block.
				t.Logf("%s: no samples, kind not checked", path)
				continue
			}
			if p.Kind != kind || len(p.Samples) == 0 || p.Source.Time.IsZero() {
				t.Errorf("%s: kind %q, %d samples, time %v", path, p.Kind, len(p.Samples), p.Source.Time)
			}
		}
	}
}
