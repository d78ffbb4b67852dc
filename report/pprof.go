package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/google/pprof/profile"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// WritePprof writes the goroutines of the findings as a pprof goroutine
// profile (gzipped protobuf), so `go tool pprof -http` shows the stuck
// goroutines as a flame graph. Every sample carries the labels
// "category", "severity" and "finding" (the finding's rank, from 1) next
// to the goroutine's own pprof labels, so `-tagfocus category=mutex-convoy`
// narrows the graph to one hole. With only > 0 just that finding (by rank)
// is written. A goroutine that several findings cover is written once,
// under the best-ranked one.
func WritePprof(w io.Writer, r *detectors.Diagnosis, only int) error {
	if only < 0 || only > len(r.Findings) {
		return fmt.Errorf("export pprof: no finding #%d (the report has %d)", only, len(r.Findings))
	}
	b := newProfileBuilder()
	seen := make(map[*parser.Goroutine]bool)
	for i, f := range r.Findings {
		rank := i + 1
		if only > 0 && rank != only {
			continue
		}
		for _, grp := range findingGroups(f) {
			for _, g := range grp.Members {
				if seen[g] {
					continue
				}
				seen[g] = true
				b.add(g, f, rank)
			}
		}
	}
	return b.p.Write(w)
}

// findingGroups returns the distinct groups a finding covers: its root's
// and every chain link's.
func findingGroups(f *detectors.Finding) []*parser.Group {
	var out []*parser.Group
	add := func(g *parser.Group) {
		if g != nil && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	add(f.Root.Group)
	for _, l := range f.Chain {
		add(l.Group)
	}
	return out
}

// profileBuilder interns functions and locations while samples are added.
type profileBuilder struct {
	p     *profile.Profile
	funcs map[[2]string]*profile.Function
	locs  map[locKey]*profile.Location
}

type locKey struct {
	fn, file string
	line     int
	pc       uint64
}

func newProfileBuilder() *profileBuilder {
	return &profileBuilder{
		p: &profile.Profile{
			SampleType: []*profile.ValueType{{Type: "goroutine", Unit: "count"}},
			PeriodType: &profile.ValueType{Type: "goroutine", Unit: "count"},
			Period:     1,
		},
		funcs: make(map[[2]string]*profile.Function),
		locs:  make(map[locKey]*profile.Location),
	}
}

func (b *profileBuilder) add(g *parser.Goroutine, f *detectors.Finding, rank int) {
	s := &profile.Sample{
		Value: []int64{int64(g.Count)},
		Label: map[string][]string{
			"category": {string(f.Category)},
			"severity": {f.Severity.String()},
			"finding":  {strconv.Itoa(rank)},
		},
	}
	if g.State != "" {
		s.Label["state"] = []string{g.State}
	}
	for _, l := range g.Labels {
		if _, taken := s.Label[l.Key]; !taken {
			s.Label[l.Key] = []string{l.Value}
		}
	}
	for _, fr := range g.Frames {
		s.Location = append(s.Location, b.location(fr))
	}
	b.p.Sample = append(b.p.Sample, s)
}

func (b *profileBuilder) location(fr parser.Frame) *profile.Location {
	k := locKey{fn: fr.Func, file: fr.File, line: fr.Line, pc: fr.PC}
	if l, ok := b.locs[k]; ok {
		return l
	}
	fk := [2]string{fr.Func, fr.File}
	fn, ok := b.funcs[fk]
	if !ok {
		fn = &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: fr.Func, SystemName: fr.Func, Filename: fr.File}
		b.funcs[fk] = fn
		b.p.Function = append(b.p.Function, fn)
	}
	l := &profile.Location{
		ID:      uint64(len(b.p.Location) + 1),
		Address: fr.PC,
		Line:    []profile.Line{{Function: fn, Line: int64(fr.Line)}},
	}
	b.locs[k] = l
	b.p.Location = append(b.p.Location, l)
	return l
}
