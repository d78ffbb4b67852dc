package vet

import (
	"flag"

	"golang.org/x/tools/go/analysis"
)

// offByDefault lists the analyzers whose measured precision on real
// modules is below 80% (README, "Precision"): they run only when asked for.
var offByDefault = map[string]bool{"chanrecv": true}

// DefaultOn reports whether an analyzer runs by default.
func DefaultOn(a *analysis.Analyzer) bool { return !offByDefault[a.Name] }

// VetTool returns the analyzers for a go vet tool (cmd/ctxhole-vet): those
// off by default are wrapped so that they run only with -NAME.enable (or
// when named with -NAME, which makes go vet run only the named ones).
func VetTool() []*analysis.Analyzer {
	var out []*analysis.Analyzer
	for _, a := range Analyzers() {
		if DefaultOn(a) {
			out = append(out, a)
			continue
		}
		out = append(out, gate(a))
	}
	return out
}

// gate returns a copy of a that reports nothing unless its "enable" flag
// is set.
func gate(a *analysis.Analyzer) *analysis.Analyzer {
	on := new(bool)
	g := &analysis.Analyzer{
		Name: a.Name, Doc: a.Doc + " [off by default: -" + a.Name + ".enable]", URL: a.URL,
		Requires: a.Requires, ResultType: a.ResultType, FactTypes: a.FactTypes,
	}
	a.Flags.VisitAll(func(f *flag.Flag) { g.Flags.Var(f.Value, f.Name, f.Usage) })
	g.Flags.BoolVar(on, "enable", false, "run "+a.Name+" (off by default: its measured precision is below 80%)")
	run := a.Run
	g.Run = func(p *analysis.Pass) (any, error) {
		if !*on {
			return nil, nil
		}
		return run(p)
	}
	return g
}
