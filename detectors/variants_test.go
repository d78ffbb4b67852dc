package detectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// TestVariantsAnalyze analyzes every format-variant capture of every Go
// release the variant generator ran (1.17 to 1.26): panics, SIGQUIT and
// crash tracebacks, ancestors, labels, pastes from log pipelines. The
// analysis must succeed on each and every finding must be complete; a dump
// of a runtime-declared deadlock must yield a critical finding.
func TestVariantsAnalyze(t *testing.T) {
	root := filepath.Join(repoRoot(t), "fixtures", "variants", "captures")
	versions, err := os.ReadDir(root)
	if err != nil || len(versions) == 0 {
		t.Skip("no variant captures present")
	}
	for _, v := range versions {
		files, err := os.ReadDir(filepath.Join(root, v.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, fe := range files {
			name := fe.Name()
			if fe.IsDir() || name == "manifest.json" || (testing.Short() && strings.HasPrefix(name, "huge")) {
				continue
			}
			t.Run(v.Name()+"/"+name, func(t *testing.T) {
				c, err := parser.Load([]string{filepath.Join(root, v.Name(), name)}, parser.Options{})
				if err != nil {
					t.Skipf("not a capture the parser reads: %v", err)
				}
				r, err := Analyze(c, Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range r.Findings {
					if len(f.Chain) == 0 || f.Root.Group == nil || f.Title == "" || f.Fix.Summary == "" {
						t.Errorf("incomplete finding %+v", f)
					}
				}
				if !strings.HasPrefix(name, "deadlock") {
					return
				}
				if len(r.Findings) == 0 || r.Findings[0].Severity != SevCritical {
					t.Errorf("runtime-declared deadlock without a critical principal finding\n%s", describe(r, 5))
				}
			})
		}
	}
}
