package vet

import (
	"flag"

	"golang.org/x/tools/go/analysis"
)

// offByDefault lists the analyzers whose precision on the corpus of real
// modules (vet/corpus, README "Precision") is below 80%, or was not
// measured because they reported nothing there. They run only when asked
// for (-all, -enable, -NAME.enable). vet/corpus's tests fail when this
// list and the labelled figures disagree.
var offByDefault = map[string]bool{
	"chansend": true, "chanrecv": true, // measured below 80%
	"redis": true, "syncctx": true, "otelblocking": true, "resourceleak": true, // nothing reported on the corpus: not measured
}

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
	g.Flags.BoolVar(on, "enable", false, "run "+a.Name+" (off by default: its precision was not measured at 80% or more)")
	run := a.Run
	g.Run = func(p *analysis.Pass) (any, error) {
		if !*on {
			return nil, nil
		}
		return run(p)
	}
	return g
}
