package detectors

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

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
	return nil
}

func (a *analysis) leaksAcrossSnapshots() {
	snaps := a.series
	counts := make([]map[string]int, len(snaps))
	for i, s := range snaps {
		counts[i] = make(map[string]int)
		for _, grp := range parser.GroupGoroutines(s.Goroutines) {
			counts[i][grp.Key()] += grp.Count
		}
	}
	last := len(snaps) - 1
	nodesByKey := make(map[string][]*node)
	for _, n := range a.nodes {
		k := n.grp.Key()
		nodesByKey[k] = append(nodesByKey[k], n)
	}
	for _, key := range sortedKeys(counts[last]) {
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
		for _, n := range nodesByKey[key] {
			a.reportLeak(n, g, series)
		}
	}
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

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// reportLeak turns a growing group into a goroutine-leak finding, or adds
// the growth to the finding it already belongs to when it is one link of a
// larger chain.
func (a *analysis) reportLeak(n *node, g *Growth, series []int) {
	ev := Evidence{Kind: "snapshot-growth", GoroutineID: firstID(n.grp),
		Text: fmt.Sprintf("%d → %d goroutines with this stack across %d snapshots (%s)%s",
			g.From, g.To, g.Snapshots, joinInts(series), rateText(g))}
	if f := n.finding; f != nil && (len(f.Chain) > 1 || f.Chain[0].Group != n.grp) {
		f.Growth = g
		f.Evidence = append(f.Evidence, ev)
		return
	}
	f := n.finding
	blocked := n.cls.category
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
	f.Reasons = append(f.Reasons, fmt.Sprintf("the group grew from %d to %d goroutines across %d snapshots", g.From, g.To, g.Snapshots))
	f.Confidence = clamp01(max(f.Confidence, 0.8))
	f.Severity = SevMedium
	if g.To-g.From >= leakHighGrowth {
		f.Severity = SevHigh
	}
	f.Fix = fixLeak
	if blocked != "" && blocked != CatGoroutineLeak && n.cls.fix.Summary != "" {
		f.Fix.Detail += " Each leaked goroutine is " + CategoryPhrase(blocked) + ": " + n.cls.fix.Summary + "."
	}
	f.Title = fmt.Sprintf("Goroutine leak: %d → %d goroutines blocked in %s%s",
		g.From, g.To, parser.ShortFunc(f.Chain[0].Function), rateText(g))
	f.Explanation = fmt.Sprintf("Goroutines with this identical stack keep accumulating: %d in the first snapshot, %d in the last%s. "+
		"Each one was started to do one job and never finished. %s", g.From, g.To, rateText(g), f.Explanation)
}

func rateText(g *Growth) string {
	if !g.RateKnown {
		return ""
	}
	return fmt.Sprintf(", +%.1f per minute", g.PerMinute)
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
