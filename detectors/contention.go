package detectors

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Mutex and block profiles say where the contention cost landed. A block
// profile records where goroutines blocked (the call site); a mutex profile
// charges the delay to the frame that unlocked (the lock, as pprof records
// it). Both are joined to the findings whose chains run through those
// functions: a mutex-convoy finding cites the delay recorded at its lock
// site.

// maxCites bounds the profile samples cited per finding.
const maxCites = 6

// contentionSites aggregates a mutex or block profile by call site: the
// first frame of each sample outside the runtime and package sync (for a
// mutex profile, the function that released the lock). Samples with no such
// frame (the runtime's own locks) are left out. Sites come out by delay,
// largest first.
func contentionSites(p *parser.Contention) []ContentionCite {
	type key struct {
		fn, file string
		line     int
	}
	agg := make(map[key]*ContentionCite)
	var order []key
	for _, s := range p.Samples {
		i := parser.SyncCaller(s.Frames)
		if i < 0 {
			continue
		}
		f := s.Frames[i]
		k := key{f.Func, f.File, f.Line}
		c := agg[k]
		if c == nil {
			c = &ContentionCite{Kind: p.Kind, Function: f.Func, File: f.File, Line: f.Line}
			agg[k] = c
			order = append(order, k)
		}
		c.Count += s.Count
		c.Delay += s.Delay
	}
	out := make([]ContentionCite, 0, len(order))
	for _, k := range order {
		out = append(out, *agg[k])
	}
	slices.SortStableFunc(out, func(x, y ContentionCite) int { return cmp.Compare(y.Delay, x.Delay) })
	return out
}

// joinContention cites, on every finding, the profile sites in functions
// its chain runs through: where its waiters queue (the lock caller, the
// blocking call) and where its root is.
func (a *analysis) joinContention() error {
	if len(a.capture.Contention) == 0 {
		return nil
	}
	var sites []ContentionCite
	for _, p := range a.capture.Contention {
		sites = append(sites, contentionSites(p)...)
	}
	for _, f := range a.findings {
		fns := findingFuncs(f)
		var cites []ContentionCite
		for _, c := range sites {
			if fns[c.Function] && c.Delay > 0 {
				cites = append(cites, c)
			}
		}
		slices.SortStableFunc(cites, func(x, y ContentionCite) int { return cmp.Compare(y.Delay, x.Delay) })
		if len(cites) > maxCites {
			cites = cites[:maxCites]
		}
		f.Contention = append(f.Contention, cites...)
		for _, c := range cites {
			f.Evidence = append(f.Evidence, Evidence{Kind: "profile", Text: citeText(c)})
		}
	}
	return nil
}

// findingFuncs are the functions a finding's profile sites may be in: each
// link's named function and, for goroutines queued on a lock, the function
// that takes it; and the root's own frames up to its first application
// frame, where the holder blocks and will release.
func findingFuncs(f *Finding) map[string]bool {
	fns := make(map[string]bool)
	for _, l := range f.Chain {
		if l.Function != "" {
			fns[l.Function] = true
		}
		if l.Group != nil {
			if i := parser.SyncCaller(l.Group.Frames); i >= 0 && (l.Category == CatMutexConvoy || slices.Contains(lockReasons, l.Group.Reason)) {
				fns[l.Group.Frames[i].Func] = true
			}
		}
	}
	for i, fr := range f.Root.Frames {
		fns[fr.Func] = true
		if i >= f.Root.AppFrame && f.Root.AppFrame >= 0 {
			break
		}
	}
	return fns
}

// citeText says what a cited sample means.
func citeText(c ContentionCite) string {
	at := c.Function
	if c.File != "" {
		at = fmt.Sprintf("%s (%s:%d)", c.Function, c.File, c.Line)
	}
	delay := human.Duration(c.Delay)
	if c.Kind == "mutex" {
		return fmt.Sprintf("mutex profile: %s of waiting behind locks released in %s, %d contention(s)", delay, at, c.Count)
	}
	return fmt.Sprintf("block profile: %s blocked in %s, %d event(s)", delay, at, c.Count)
}
