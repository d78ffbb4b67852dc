package corpus

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/packages"

	"github.com/ctxhole/ctxhole/vet/vetcmd"
)

// Measured is what the analyzers report on one module of the corpus.
type Measured struct {
	// Diagnostics, with Posn.Filename relative to the module root.
	Diagnostics []vetcmd.Diagnostic
	// Lines is the number of lines of the measured packages' non-test Go
	// files.
	Lines int
}

// Keys returns the diagnostics as Label.Key names them.
func (m Measured) Keys() []string {
	var out []string
	for _, d := range m.Diagnostics {
		out = append(out, fmt.Sprintf("%s %s:%d", d.Analyzer, d.Posn.Filename, d.Posn.Line))
	}
	return out
}

// Measure fetches the module through the module proxy (into the module
// cache, as go build would), type-checks the packages it names with their
// dependencies at the versions the module's go.mod selects, and runs the
// analyzers on them. The packages are loaded from a scratch main module
// under tmp that requires only this one, so no two corpus modules
// influence each other's versions.
func Measure(m Module, analyzers []*analysis.Analyzer, tmp string) (Measured, error) {
	dir, err := os.MkdirTemp(tmp, "corpus-")
	if err != nil {
		return Measured{}, err
	}
	defer os.RemoveAll(dir)
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	if i := strings.IndexAny(goVersion, " -"); i >= 0 {
		goVersion = goVersion[:i]
	}
	gomod := fmt.Sprintf("module ctxhole.invalid/corpus\n\ngo %s\n\nrequire %s %s\n", goVersion, m.Path, m.Version)
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		return Measured{}, err
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
	pkgs, err := vetcmd.Load(vetcmd.Options{Dir: dir, Patterns: m.ImportPatterns(), Env: env})
	if err != nil {
		return Measured{}, fmt.Errorf("%s@%s: %w", m.Path, m.Version, err)
	}
	var root string
	var out Measured
	for _, p := range pkgs {
		if p.Module == nil || p.Module.Path != m.Path {
			return Measured{}, fmt.Errorf("%s@%s: pattern matched %s outside the module", m.Path, m.Version, p.PkgPath)
		}
		if p.Module.Version != m.Version {
			return Measured{}, fmt.Errorf("%s@%s: loaded at %s", m.Path, m.Version, p.Module.Version)
		}
		root = p.Module.Dir
		n, err := countLines(p)
		if err != nil {
			return Measured{}, err
		}
		out.Lines += n
	}
	diags, err := vetcmd.AnalyzePackages(pkgs, analyzers)
	if err != nil {
		return Measured{}, fmt.Errorf("%s@%s: %w", m.Path, m.Version, err)
	}
	for _, d := range diags {
		r, err := filepath.Rel(root, d.Posn.Filename)
		if err != nil || strings.HasPrefix(r, "..") {
			continue // in a dependency (not a root package)
		}
		d.Posn.Filename = filepath.ToSlash(r)
		out.Diagnostics = append(out.Diagnostics, d)
	}
	return out, nil
}

// countLines counts the lines of a package's non-test Go files.
func countLines(p *packages.Package) (int, error) {
	n := 0
	for _, f := range p.GoFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		n += bytes.Count(b, []byte{'\n'})
	}
	return n, nil
}
