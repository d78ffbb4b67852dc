package detectors

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Leak thresholds: how much a group must grow across snapshots to be a
// leak, and how far above the snapshot's typical group a single count must
// be.
const (
	leakMinGrowth    = 3
	leakHighGrowth   = 10
	leakNormMultiple = 10
)

// findLeaks reports groups that grow across snapshots, and groups whose
// count in the analyzed snapshot is far above the process's norm.
func (a *analysis) findLeaks() error {
	if a.snap == nil {
		return nil
	}
	if len(a.series) >= 2 {
		a.leaksAcrossSnapshots()
	}
	a.leaksByCount()
	if a.snap.Preamble.Goleak {
		a.goleakLeaks()
	}
	return nil
}

// goleakLeaks reports the goroutines of a goleak report that no finding
// explains yet: goleak lists only goroutines still running after the test
// ended and its retries ran out, so each one outlived the code that
// started it, even one that looks like a loop waiting for work (a
// library's package-level worker started from init is ignore-list
// material, and says so).
func (a *analysis) goleakLeaks() {
	for _, n := range a.nodes {
		if n.finding != nil || !maybeBlocked(n.grp) {
			continue
		}
		f := &Finding{Category: CatGoroutineLeak, Fix: fixLeak}
		a.attachTree(f, n, 0, RelRoot, nil, map[*node]bool{})
		a.fillFinding(f, n)
		f.Chain[0].Category = CatGoroutineLeak
		f.Evidence = append(f.Evidence, Evidence{Kind: "preamble", GoroutineID: firstID(n.grp),
			Text: "go.uber.org/goleak lists these goroutines as still running after the test ended"})
		f.Reasons = append(f.Reasons, "goleak found them still running after the test: they outlived the code that started them")
		f.Severity = SevMedium
		f.Title = fmt.Sprintf("Goroutine leak (goleak): %s still running after the test in %s",
			human.Plural(n.grp.Count, "goroutine"), parser.ShortFunc(f.Chain[0].Function))
		if n.cls.background && !n.cls.idle {
			f.Severity = SevLow
			f.Title += ": a library's long-lived goroutine (ignore it with goleak.IgnoreTopFunction if it is started once, from init)"
		}
		a.findings = append(a.findings, f)
	}
}

func (a *analysis) leaksAcrossSnapshots() {
	snaps := a.series
	counts := make([]map[string]int, len(snaps))
	ids := make([]map[string]map[int64]time.Duration, len(snaps))
	withIDs := true
	for i, s := range snaps {
		counts[i] = make(map[string]int)
		ids[i] = make(map[string]map[int64]time.Duration)
		for _, grp := range s.Groups() {
			k := grp.Key()
			counts[i][k] += grp.Count
			for _, m := range grp.Members {
				if m.ID == 0 {
					// Aggregated records have none; a text dump's
					// goroutine 0 (the scheduler's g0 in crash
					// tracebacks) is no goroutine of the program.
					withIDs = withIDs && s.Source.Format == parser.FormatGoroutineText
					continue
				}
				if ids[i][k] == nil {
					ids[i][k] = make(map[int64]time.Duration)
				}
				wait := time.Duration(-1)
				if m.WaitKnown {
					wait = m.Wait
				}
				ids[i][k][m.ID] = wait
			}
		}
	}
	last := len(snaps) - 1
	nodesByKey := make(map[string][]*node)
	for _, n := range a.nodes {
		k := n.grp.Key()
		nodesByKey[k] = append(nodesByKey[k], n)
	}
	for _, key := range slices.Sorted(maps.Keys(counts[last])) {
		series := make([]int, len(snaps))
		for i := range snaps {
			series[i] = counts[i][key]
		}
		if !growing(series) {
			continue
		}
		g := &Growth{From: series[0], To: series[last], Snapshots: len(snaps)}
		t0, t1 := snaps[0].Source.Time, snaps[last].Source.Time
		if !t0.IsZero() && !t1.IsZero() && t1.After(t0) {
			g.PerMinute = float64(g.To-g.From) / t1.Sub(t0).Minutes()
			g.RateKnown = true
		}
		id := identityVerdict{byCount: true}
		if withIDs {
			perSnap := make([]map[int64]time.Duration, len(snaps))
			for i := range snaps {
				perSnap[i] = ids[i][key]
			}
			id = judgeIdentity(perSnap)
			if id.churn {
				continue // the goroutines are replaced, not kept: load, not a leak
			}
		}
		for _, n := range nodesByKey[key] {
			a.reportLeak(n, g, series, id)
		}
	}
}

// identityVerdict is what goroutine IDs say about a growing group.
type identityVerdict struct {
	// byCount is set when the snapshots print no IDs: growth is all
	// there is.
	byCount bool
	// traced is set when an execution trace saw the goroutines created
	// and none of them woken: identity proven by the trace.
	traced bool
	// churn is set when the goroutines of the base snapshot are mostly
	// gone by the last one, replaced by new ones, and none that stayed
	// waits longer: a busy group, not an accumulating one.
	churn bool
	// base is the snapshot index compared with the last; kept are the
	// base's goroutines still there in the last, of baseCount.
	base, kept, baseCount int
	// longer is how many kept goroutines print a longer wait in the last
	// snapshot than in the base (minutes grow while they stay stuck).
	longer int
	sample []int64
}

// judgeIdentity compares, by goroutine ID, the earliest snapshot holding
// the group with the last: a leak keeps its goroutines (the same IDs
// persist, their waits grow) while new ones accumulate; churn replaces
// them. ids[i] maps the group's goroutine IDs in snapshot i to their wait
// (-1 when not printed).
func judgeIdentity(ids []map[int64]time.Duration) identityVerdict {
	last := len(ids) - 1
	v := identityVerdict{base: -1}
	for i := 0; i < last; i++ {
		if len(ids[i]) > 0 {
			v.base = i
			break
		}
	}
	if v.base < 0 {
		// The group exists only in the last snapshot: nothing persisted
		// long enough to tell a leak from a burst.
		v.churn = true
		return v
	}
	v.baseCount = len(ids[v.base])
	for id, w0 := range ids[v.base] {
		w1, ok := ids[last][id]
		if !ok {
			continue
		}
		v.kept++
		v.sample = append(v.sample, id)
		if w1 >= 0 && w1 > w0 {
			v.longer++
		}
	}
	slices.Sort(v.sample)
	v.sample = v.sample[:min(len(v.sample), 5)]
	// Most of the base's goroutines still there is a leak; a few of them
	// with growing waits is one too (the rest finished their job).
	v.churn = 2*v.kept < v.baseCount && v.longer == 0
	return v
}

func (v identityVerdict) text() string {
	if v.traced {
		return "the execution trace saw each of them created and never woken"
	}
	if v.byCount {
		return "the snapshots print no goroutine IDs: growth by count alone, churn cannot be ruled out"
	}
	s := fmt.Sprintf("%d of the %d goroutines of snapshot %d are still there in the last (IDs %s)",
		v.kept, v.baseCount, v.base+1, joinIDs(v.sample))
	if v.longer > 0 {
		s += fmt.Sprintf(", %d of them waiting longer", v.longer)
	}
	return s + ": the same goroutines stay while new ones accumulate"
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}

// growing reports whether a count series is a leak: it ends clearly above
// where it started and never drops by more than a tenth on the way.
func growing(series []int) bool {
	first, last := series[0], series[len(series)-1]
	if last-first < max(leakMinGrowth, first/10) {
		return false
	}
	for i := 1; i < len(series); i++ {
		if series[i] < series[i-1]-series[i-1]/10 {
			return false
		}
	}
	return true
}

// reportLeak attaches growth to the finding whose blocking category
// explains the growing goroutines (growth is evidence that they leak, not a
// cause of its own), and makes a goroutine-leak finding only of goroutines
// no blocking category explains: idle loops, background-looking waits.
func (a *analysis) reportLeak(n *node, g *Growth, series []int, id identityVerdict) {
	ev := Evidence{Kind: "snapshot-growth", GoroutineID: firstID(n.grp),
		Text: fmt.Sprintf("%d → %d goroutines with this stack across %d snapshots (%s)%s; %s",
			g.From, g.To, g.Snapshots, joinInts(series), rateText(g), id.text())}
	if n.finding == nil && n.cls.idle && n.cls.category != "" && !id.byCount {
		// Judged an idle loop from its circumstances, yet the same
		// goroutines stay and more keep coming: loops waiting for work do
		// not multiply. The blocking category explains them after all.
		n.cls.background, n.cls.idle = false, false
		n.cls.reasons = append(n.cls.reasons, "not an idle loop: the same goroutines stay blocked while more of them accumulate")
		f := &Finding{}
		a.attachTree(f, n, 0, RelRoot, nil, map[*node]bool{})
		a.fillFinding(f, n)
		a.findings = append(a.findings, f)
	}
	if row := a.resourceRowOf(n); n.finding == nil && row != nil && !n.cls.hole() {
		// A resource's own goroutine accumulating: the resource leaks,
		// whatever the count of orphans (growth is the proof).
		a.leakedResource(n, row)
	}
	if f := n.finding; f != nil && f.Category != CatGoroutineLeak {
		if f.Growth == nil || g.To-g.From > f.Growth.To-f.Growth.From {
			f.Growth = g
		}
		f.Evidence = append(f.Evidence, ev)
		f.Reasons = append(f.Reasons, fmt.Sprintf("growth by identity: %s", id.text()))
		if !id.byCount {
			f.Confidence = clamp01(max(f.Confidence, 0.8))
		}
		f.Severity = max(f.Severity, SevMedium)
		if !id.byCount && g.To-g.From >= leakHighGrowth {
			f.Severity = max(f.Severity, SevHigh)
		}
		return
	}
	f := n.finding
	if f == nil {
		f = &Finding{}
		a.attachTree(f, n, 0, RelRoot, nil, map[*node]bool{})
		a.findings = append(a.findings, f)
	} else {
		f.Evidence, f.Reasons = nil, nil
	}
	f.Category = CatGoroutineLeak
	f.Growth = g
	f.Fix = Fix{}
	a.fillFinding(f, n)
	f.Chain[0].Category = CatGoroutineLeak
	f.Evidence = append(f.Evidence, ev)
	f.Reasons = append(f.Reasons, fmt.Sprintf("the group grew from %d to %d goroutines across %d snapshots; %s",
		g.From, g.To, g.Snapshots, id.text()))
	f.Confidence = clamp01(max(f.Confidence, 0.8))
	f.Severity = SevMedium
	if id.byCount {
		f.Confidence = min(f.Confidence, 0.6)
	} else if g.To-g.From >= leakHighGrowth {
		f.Severity = SevHigh
	}
	f.Fix = fixLeak
	f.Title = fmt.Sprintf("Goroutine leak: %d → %d goroutines in %s%s",
		g.From, g.To, parser.ShortFunc(f.Chain[0].Function), rateText(g))
	f.Explanation = fmt.Sprintf("Goroutines with this identical stack keep accumulating: %d in the first snapshot, %d in the last%s, "+
		"and no blocking category explains them (they look like loops waiting for work). Each one was started "+
		"and never ended. %s", g.From, g.To, rateText(g), f.Explanation)
}

func rateText(g *Growth) string {
	if !g.RateKnown {
		return ""
	}
	return ", " + human.Rate(g.PerMinute)
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}

// leaksByCount flags, in one snapshot, groups far larger than the
// process's typical group that no other finding explains: ten thousand idle
// workers are a leak even when each looks like it is waiting for work.
func (a *analysis) leaksByCount() {
	if len(a.nodes) == 0 {
		return
	}
	sizes := make([]int, len(a.nodes))
	for i, n := range a.nodes {
		sizes[i] = n.grp.Count
	}
	slices.Sort(sizes)
	median := max(1, sizes[len(sizes)/2])
	for _, n := range a.nodes {
		c := n.grp.Count
		if c < a.opts.leakMinCount() || c < leakNormMultiple*median || !maybeBlocked(n.grp) {
			continue
		}
		ev := Evidence{Kind: "snapshot-growth", GoroutineID: firstID(n.grp),
			Text: fmt.Sprintf("%d goroutines share this stack, %d× the median group (%d) of the snapshot", c, c/median, median)}
		if n.finding != nil {
			n.finding.Evidence = append(n.finding.Evidence, ev)
			continue
		}
		f := &Finding{Category: CatGoroutineLeak}
		a.attachTree(f, n, 0, RelRoot, nil, map[*node]bool{})
		f.Fix = fixLeak
		a.fillFinding(f, n)
		f.Chain[0].Category = CatGoroutineLeak
		f.Evidence = append(f.Evidence, ev)
		f.Severity = SevMedium
		f.Title = fmt.Sprintf("Likely goroutine leak: %d goroutines parked in %s", c, parser.ShortFunc(f.Chain[0].Function))
		a.findings = append(a.findings, f)
	}
}
