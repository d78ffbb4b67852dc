// Package vetcmd is the "ctxhole vet" command: it loads packages with
// go/packages, runs the vet analyzers with the x/tools checker, ranks the
// diagnostics against a runtime finding (--from) and prints them as go vet
// does (text or -json) or as SARIF.
package vetcmd

import (
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/go/packages"

	"github.com/ctxhole/ctxhole/vet"
)

// Exit codes, as go vet's: 0 clean, 1 diagnostics, 2 usage or load error.
const (
	exitOK    = 0
	exitDiags = 1
	exitUsage = 2
)

// Diagnostic is one diagnostic with what the drivers need to print and
// rank it.
type Diagnostic struct {
	Analyzer string
	Category string
	Package  string // import path
	PkgName  string
	Posn     token.Position
	End      token.Position
	Message  string
	// Callee is the function the diagnosed call calls, as a goroutine
	// dump names it ("net/http.(*Client).Do"); runtime.chansend1 and
	// runtime.chanrecv1 for channel operations.
	Callee string
	Fixes  []Fix
	// Rank is set by --from: the finding the diagnostic is at or like (1
	// for the first), 0 for none, and Score how closely (8 at its root
	// call site, +4 same callee, +2 same category, +1 same package).
	Rank  int
	Score int
}

// Fix is a suggested fix with its edits as byte offsets.
type Fix struct {
	Message string
	Edits   []Edit
}

// Edit replaces [Start, End) of File (byte offsets; positions for SARIF).
type Edit struct {
	File       string
	Start, End token.Position
	New        string
}

// Options selects what Analyze runs.
type Options struct {
	Dir       string   // working directory of the load ("" for the current one)
	Patterns  []string // package patterns (default ./...)
	Analyzers []*analysis.Analyzer
	Tests     bool // also load test packages (the analyzers skip _test.go files)
	// Env is the environment of the go command that lists the packages
	// (nil for this process's).
	Env []string
}

// Analyze loads the packages and runs the analyzers. Packages that do not
// load or type-check are an error, as with go vet: a diagnostic on code
// that does not compile would be a guess.
func Analyze(o Options) ([]Diagnostic, error) {
	pkgs, err := Load(o)
	if err != nil {
		return nil, err
	}
	return AnalyzePackages(pkgs, o.Analyzers)
}

// Load loads the packages o names with the syntax and types the analyzers
// need (those of their dependencies too: facts cross packages). A package
// that does not load or type-check is an error.
func Load(o Options) ([]*packages.Package, error) {
	patterns := o.Patterns
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	cfg := &packages.Config{Mode: packages.LoadAllSyntax | packages.NeedModule, Dir: o.Dir, Tests: o.Tests, Env: o.Env}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("loading packages: %w", err)
	}
	var errs []error
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			errs = append(errs, fmt.Errorf("%s: %s", p.PkgPath, e))
		}
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("packages do not load: %w", errors.Join(errs...))
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no packages match %s", strings.Join(patterns, " "))
	}
	return pkgs, nil
}

// AnalyzePackages runs the analyzers on loaded packages (Load) and returns
// their diagnostics sorted by position, each once.
func AnalyzePackages(pkgs []*packages.Package, analyzers []*analysis.Analyzer) ([]Diagnostic, error) {
	g, err := checker.Analyze(analyzers, pkgs, nil)
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	var out []Diagnostic
	seen := map[string]bool{}
	for act := range g.All() {
		if !act.IsRoot {
			continue
		}
		if act.Err != nil {
			return nil, fmt.Errorf("%s on %s: %w", act.Analyzer.Name, act.Package.PkgPath, act.Err)
		}
		for _, d := range act.Diagnostics {
			dd := convert(act, d)
			key := dd.Analyzer + "\x00" + dd.Posn.String() + "\x00" + dd.Message
			if seen[key] { // a package and its test variant
				continue
			}
			seen[key] = true
			out = append(out, dd)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out, nil
}

func less(a, b Diagnostic) bool {
	if a.Posn.Filename != b.Posn.Filename {
		return a.Posn.Filename < b.Posn.Filename
	}
	if a.Posn.Offset != b.Posn.Offset {
		return a.Posn.Offset < b.Posn.Offset
	}
	return a.Analyzer < b.Analyzer
}

func convert(act *checker.Action, d analysis.Diagnostic) Diagnostic {
	fset := act.Package.Fset
	end := d.End
	if end == token.NoPos {
		end = d.Pos
	}
	cat := d.Category
	if cat == "" {
		cat = vet.Category(act.Analyzer)
	}
	out := Diagnostic{
		Analyzer: act.Analyzer.Name,
		Category: cat,
		Package:  act.Package.PkgPath,
		PkgName:  act.Package.Name,
		Posn:     fset.Position(d.Pos),
		End:      fset.Position(end),
		Message:  d.Message,
		Callee:   calleeAt(act.Package, d.Pos, end),
	}
	for _, f := range d.SuggestedFixes {
		fx := Fix{Message: f.Message}
		for _, e := range f.TextEdits {
			ee := e.End
			if ee == token.NoPos {
				ee = e.Pos
			}
			fx.Edits = append(fx.Edits, Edit{File: fset.Position(e.Pos).Filename, Start: fset.Position(e.Pos), End: fset.Position(ee), New: string(e.NewText)})
		}
		out.Fixes = append(out.Fixes, fx)
	}
	return out
}

// calleeAt names what the diagnosed node calls: the call expression, or
// the channel operation, that spans [pos, end).
func calleeAt(p *packages.Package, pos, end token.Pos) string {
	for _, f := range p.Syntax {
		if !(f.FileStart <= pos && pos < f.FileEnd) {
			continue
		}
		path, _ := astutil.PathEnclosingInterval(f, pos, end)
		for _, n := range path {
			switch n := n.(type) {
			case *ast.CallExpr:
				return vet.FuncName(p.TypesInfo, n)
			case *ast.SendStmt:
				return "runtime.chansend1"
			case *ast.UnaryExpr:
				if n.Op == token.ARROW {
					return "runtime.chanrecv1"
				}
			case *ast.FuncDecl, *ast.FuncLit, ast.Stmt:
				return ""
			}
		}
	}
	return ""
}

// Run is the "ctxhole vet" command.
func Run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ctxhole vet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print diagnostics as go vet -json does")
	sarif := fs.Bool("sarif", false, "print diagnostics as SARIF 2.1.0 (for code-scanning UIs)")
	from := fs.String("from", "", "rank first the diagnostics at and like the root call sites of this runtime finding: a `REPORT` (ctxhole analyze -o json) or the captures themselves (a bundle directory or files)")
	all := fs.Bool("all", false, "run every analyzer, also those off by default")
	enable := fs.String("enable", "", "comma-separated `analyzers` to run (instead of the defaults)")
	dir := fs.String("C", "", "change to `dir` before loading packages")
	tests := fs.Bool("tests", false, "also load test packages (diagnostics in _test.go files are still skipped)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ctxhole vet [flags] [packages]   (default ./...)")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Finds timeout holes in source. Analyzers (* = on by default):")
		for _, a := range vet.Analyzers() {
			mark := " "
			if vet.DefaultOn(a) {
				mark = "*"
			}
			fmt.Fprintf(stderr, "  %s %-13s %s\n", mark, a.Name, a.Doc)
		}
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *jsonOut && *sarif {
		fmt.Fprintln(stderr, "ctxhole vet: -json and -sarif are exclusive")
		return exitUsage
	}
	analyzers, err := selectAnalyzers(*all, *enable)
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole vet: %v\n", err)
		return exitUsage
	}
	var sites []Site
	if *from != "" {
		sites, err = LoadSites(*from)
		if err != nil {
			fmt.Fprintf(stderr, "ctxhole vet: --from: %v\n", err)
			return exitUsage
		}
	}
	diags, err := Analyze(Options{Dir: *dir, Patterns: fs.Args(), Analyzers: analyzers, Tests: *tests})
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole vet: %v\n", err)
		return exitUsage
	}
	base := *dir
	if base == "" {
		base, _ = os.Getwd()
	}
	base, _ = filepath.Abs(base)
	if sites != nil {
		diags = Rank(diags, sites)
	}
	switch {
	case *jsonOut:
		err = WriteJSON(stdout, diags)
	case *sarif:
		err = WriteSARIF(stdout, diags, base)
	default:
		if sites != nil {
			WriteSummary(stderr, diags, sites, base)
		}
		err = WriteText(stdout, diags, base)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole vet: %v\n", err)
		return exitUsage
	}
	if len(diags) > 0 {
		return exitDiags
	}
	return exitOK
}

// selectAnalyzers returns the defaults, every analyzer, or those named.
func selectAnalyzers(all bool, enable string) ([]*analysis.Analyzer, error) {
	var out []*analysis.Analyzer
	if enable != "" {
		byName := map[string]*analysis.Analyzer{}
		for _, a := range vet.Analyzers() {
			byName[a.Name] = a
		}
		for _, name := range strings.Split(enable, ",") {
			a, ok := byName[strings.TrimSpace(name)]
			if !ok {
				return nil, fmt.Errorf("-enable: unknown analyzer %q", name)
			}
			out = append(out, a)
		}
		return out, nil
	}
	for _, a := range vet.Analyzers() {
		if all || vet.DefaultOn(a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// rel prints a file relative to base when it is inside it.
func rel(base, file string) string {
	if r, err := filepath.Rel(base, file); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return file
}
