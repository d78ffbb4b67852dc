package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// WritePprof writes the goroutines of the findings as a pprof goroutine
// profile (gzipped protobuf), so `go tool pprof -http` shows the stuck
// goroutines as a flame graph. Goroutines with the same stack, state,
// labels and finding are one sample whose value is their count, as the
// runtime's own goroutine profile aggregates them. Every sample carries
// the string labels "category", "severity", "finding" (the finding's
// stable ID, "f-" and 12 hex digits, as in the JSON) and "rank" ("#1"),
// next to the goroutine's own pprof labels, so `-tagfocus
// category=mutex-convoy` or `-tagfocus finding=f-…` narrows the graph to
// one hole (pprof reads a bare number as a numeric range, hence no bare
// numbers). With only > 0 just that finding (by rank) is written. A
// goroutine that several findings cover is written once, under the
// best-ranked one.
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
		id := findingDoc(rank, f, nil).ID
		for _, grp := range findingGroups(f) {
			for _, g := range grp.Members {
				if seen[g] {
					continue
				}
				seen[g] = true
				b.add(g, f, rank, id)
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

// profileBuilder interns functions and locations, and folds goroutines
// into samples, while they are added.
type profileBuilder struct {
	p       *profile.Profile
	funcs   map[[2]string]*profile.Function
	locs    map[locKey]*profile.Location
	samples map[string]*profile.Sample
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
		funcs:   make(map[[2]string]*profile.Function),
		locs:    make(map[locKey]*profile.Location),
		samples: make(map[string]*profile.Sample),
	}
}

// add counts goroutine g (g.Count goroutines for aggregated formats)
// into the sample of its stack, state, labels and finding.
func (b *profileBuilder) add(g *parser.Goroutine, f *detectors.Finding, rank int, id string) {
	labels := map[string][]string{
		"category": {string(f.Category)},
		"severity": {f.Severity.String()},
		"finding":  {id},
		"rank":     {"#" + strconv.Itoa(rank)},
	}
	if g.State != "" {
		labels["state"] = []string{g.State}
	}
	for _, l := range g.Labels {
		if _, taken := labels[l.Key]; !taken {
			labels[l.Key] = []string{l.Value}
		}
	}
	locs := make([]*profile.Location, 0, len(g.Frames))
	var key strings.Builder
	for _, fr := range g.Frames {
		l := b.location(fr)
		locs = append(locs, l)
		fmt.Fprintf(&key, "%d,", l.ID)
	}
	names := slices.Sorted(maps.Keys(labels))
	for _, k := range names {
		fmt.Fprintf(&key, "\x00%s=%s", k, labels[k][0])
	}
	n := int64(max(g.Count, 1))
	if s, ok := b.samples[key.String()]; ok {
		s.Value[0] += n
		return
	}
	s := &profile.Sample{Value: []int64{n}, Label: labels, Location: locs}
	b.samples[key.String()] = s
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
