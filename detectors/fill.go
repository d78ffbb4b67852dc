package detectors

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// fillFinding computes everything a finding says from its chain and root.
func (a *analysis) fillFinding(f *Finding, root *node) {
	groups := chainGroups(f)
	var ids []int64
	f.Goroutines, f.WaitKnown, f.WaitMin, f.WaitMax = 0, false, 0, 0
	for _, g := range groups {
		f.Goroutines += g.Count
		ids = append(ids, g.IDs...)
		if g.WaitKnown > 0 {
			if !f.WaitKnown || g.WaitMin < f.WaitMin {
				f.WaitMin = g.WaitMin
			}
			f.WaitMax = max(f.WaitMax, g.WaitMax)
			f.WaitKnown = true
		}
	}
	slices.Sort(ids)
	f.IDs = sampleIDs(ids, a.opts.maxIDs())

	first := root.grp.First()
	f.Root = Root{
		GoroutineID: first.ID,
		Group:       root.grp,
		Frames:      first.Frames,
		AppFrame:    root.cls.app,
		State:       root.grp.State,
		Wait:        root.grp.WaitMax,
		WaitKnown:   root.grp.WaitKnown > 0,
	}
	if f.Category == "" {
		f.Category = a.principalCategory(f, root)
	}
	if f.Fix.Summary == "" {
		f.Fix = a.fixFor(f, root)
	}
	f.Evidence = append(rootEvidence(root), f.Evidence...)
	f.Root.Grade, f.Root.Basis = a.gradeRoot(f, root)
	f.Chain[0].Grade = f.Root.Grade
	f.Reasons = dedupe(append(append([]string{fmt.Sprintf("root %s: %s", f.Root.Grade, f.Root.Basis)}, root.cls.reasons...), f.Reasons...))
	f.Confidence = a.confidenceFor(f, root)
	f.Severity = a.severityFor(f, root)
	f.Title = a.titleFor(f, root)
	f.Explanation = a.explanationFor(f, root)
}

// principalCategory names the hole a chain is about: a dominant root (a
// driver that ignores the context) names it; otherwise the queue that
// formed behind the root (a lock convoy, an exhausted pool); otherwise the
// root's own category.
func (a *analysis) principalCategory(f *Finding, root *node) Category {
	if root.cls.matched && root.cls.match.sig.Dominant && root.cls.hole() {
		return root.cls.category
	}
	best, bestCount := Category(""), 0
	for _, l := range f.Chain[1:] {
		if l.Depth == 1 && structural(l.Category) && l.Goroutines > bestCount {
			best, bestCount = l.Category, l.Goroutines
		}
	}
	if best != "" {
		return best
	}
	if root.cls.category != "" {
		return root.cls.category
	}
	for _, l := range f.Chain {
		if l.Category != "" {
			return l.Category
		}
	}
	return CatUnclassified
}

// structural categories are queues: the goroutines behind a root name the
// incident (a convoy, an exhausted pool) more than the root's own wait
// does. A WaitGroup.Wait behind stuck workers is their victim, not the
// name of the incident: the workers' own wait is.
func structural(c Category) bool {
	return c == CatMutexConvoy || c == CatDBPoolExhausted
}

// fixFor is the fix of the signature at the root, or of the queue when the
// queue names the finding.
func (a *analysis) fixFor(f *Finding, root *node) Fix {
	if root.cls.category == f.Category && root.cls.fix.Summary != "" {
		return root.cls.fix
	}
	if fix := a.queueFix(f); fix.Summary != "" {
		return fix
	}
	switch f.Category {
	case CatMutexConvoy:
		return fixMutex
	case CatDBPoolExhausted:
		return fixDBPool
	case CatWaitGroupStuck:
		return fixWaitGroup
	}
	if root.cls.fix.Summary != "" {
		return root.cls.fix
	}
	return fixUnclassified
}

// queueFix is the fix of the signature the queue naming the finding
// matched (a weighted semaphore's, not a sync.Mutex's), if one did: the
// largest group right below the root in the finding's category.
func (a *analysis) queueFix(f *Finding) Fix {
	best := -1
	for i, l := range f.Chain[1:] {
		if l.Depth == 1 && l.Category == f.Category && (best < 0 || l.Goroutines > f.Chain[best].Goroutines) {
			best = i + 1
		}
	}
	if best < 0 || f.Chain[best].Group == nil || len(f.Chain[best].Group.Members) == 0 {
		return Fix{}
	}
	n := a.nodeOf[f.Chain[best].Group.Members[0]]
	if n == nil || !n.cls.matched || n.cls.background {
		return Fix{}
	}
	return n.cls.match.sig.Fix
}

// rootEvidence is what the root's own stack shows.
func rootEvidence(root *node) []Evidence {
	first := root.grp.First()
	var ev []Evidence
	if fi := tellingFrame(root); fi >= 0 {
		fr := first.Frames[fi]
		what := "blocking call"
		if root.cls.matched && !root.cls.background {
			what = "matches signature " + root.cls.match.sig.ID
		}
		ev = append(ev, Evidence{Kind: "frame", GoroutineID: first.ID, Frame: &fr,
			Text: fmt.Sprintf("%s at %s (%s)", fr.Func, fr.Location(), what)})
	}
	state := root.grp.State
	if state == "" {
		state = root.cls.reason
	}
	if state != "" {
		ev = append(ev, Evidence{Kind: "state", GoroutineID: first.ID,
			Text: fmt.Sprintf("%s in state %q", human.Plural(root.grp.Count, "goroutine"), state)})
	}
	if root.grp.WaitKnown > 0 {
		ev = append(ev, Evidence{Kind: "wait", GoroutineID: first.ID,
			Text: fmt.Sprintf("blocked for %s (%d of %d goroutines print a wait)",
				human.WaitRange(root.grp.WaitMin, root.grp.WaitMax, true), root.grp.WaitKnown, root.grp.Count)})
	}
	if root.cls.scope != scopeNone {
		ev = append(ev, Evidence{Kind: "frame", GoroutineID: first.ID, Text: "request-scoped: " + root.cls.scope.String()})
	}
	if path := requestPath(root); path != "" {
		ev = append(ev, Evidence{Kind: "frame", GoroutineID: first.ID, Text: "request path: " + path})
	}
	if text := channelSpread(root.grp); text != "" {
		ev = append(ev, Evidence{Kind: "argument", GoroutineID: first.ID, Text: text})
	}
	return ev
}

// channelSpread says, for goroutines parked on channel operations whose
// runtime frames print the channel (SIGQUIT and crash dumps do), whether
// they wait on one shared channel or each on its own: one channel nobody
// drains, or one abandoned channel per request.
func channelSpread(grp *parser.Group) string {
	const sample = 10000
	chans := make(map[uint64]int)
	seen := 0
	var sites []objectSite
	if len(grp.Members) > 0 {
		sites = objectSites(grp.First().Frames, nil) // members share their functions
	}
	for _, m := range grp.Members {
		if seen == sample || len(sites) == 0 {
			break
		}
		seen++
		if len(m.Frames) != len(grp.First().Frames) {
			continue
		}
		if addr, _, kind := waitObjectAt(m, sites); kind == objChan && addr != 0 {
			chans[addr]++
		}
	}
	known := 0
	for _, n := range chans {
		known += n
	}
	switch {
	case known < 2:
		return ""
	case len(chans) == 1:
		for addr := range chans {
			return fmt.Sprintf("all %d goroutines whose frames print the channel wait on the same channel 0x%x", known, addr)
		}
	}
	return fmt.Sprintf("%d goroutines wait on %d distinct channels: one abandoned channel per caller", known, len(chans))
}

// confidenceFor derives a finding's confidence from how its root was
// established (its grade), less what a weak classification (a stack matched
// on frames alone, no signature at all) and the capture's gaps take away.
func (a *analysis) confidenceFor(f *Finding, root *node) float64 {
	conf := gradeConfidence[f.Root.Grade]
	if conf == 0 {
		conf = gradeConfidence[GradeInferred]
	}
	if cls := root.cls.confidence; cls > 0 && cls < 0.8 {
		conf -= (0.8 - cls) / 2
	}
	if !f.WaitKnown && root.grp.Status != parser.StatusUnknown {
		conf -= 0.05
		f.Reasons = append(f.Reasons, "no wait duration printed: the goroutines may have blocked less than a minute ago")
	}
	if strings.Contains(string(f.Category), "unclassified") {
		conf = min(conf, 0.5)
	}
	return clamp01(conf)
}

func clamp01(x float64) float64 {
	return max(0, min(1, x))
}

// dedupe drops repeated strings, keeping the first of each.
func dedupe(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// requestPath spells out how a request reached the blocking call: the
// server frame, the handler (the outermost application frame above it) and
// the call that blocks.
func requestPath(n *node) string {
	frames := n.grp.Frames
	serve := -1
	for i := len(frames) - 1; i >= 0 && serve < 0; i-- {
		for _, r := range requestFrames {
			if frames[i].Func == r.fn {
				serve = i
				break
			}
		}
	}
	block := tellingFrame(n)
	if serve < 0 || block < 0 || block >= serve {
		return ""
	}
	handler := -1
	for i := serve - 1; i > block; i-- {
		if n.cls.app >= 0 && IsAppFrame(frames[i]) {
			handler = i
			break
		}
	}
	parts := []string{frames[serve].Func}
	if handler >= 0 {
		parts = append(parts, frames[handler].Func+" (handler)")
	}
	parts = append(parts, frames[block].Func)
	return strings.Join(parts, " → ")
}

// blockingFunc names the call a group is blocked in, for evidence text;
// "an unknown frame" for a group with no frames (a stack the capture could
// not print).
func blockingFunc(n *node) string {
	if fi := tellingFrame(n); fi >= 0 && fi < len(n.grp.Frames) {
		return n.grp.Frames[fi].Func
	}
	return "an unknown frame"
}
