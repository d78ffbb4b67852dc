package detectors

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// buildChains turns the wait-for edges into findings: every stuck group
// follows its most confident edge to what it waits on, the groups at the end
// of those paths are the roots, and each root with everything waiting on it
// becomes one finding, its chain flattened in pre-order.
func (a *analysis) buildChains() error {
	parent := a.chooseParents()
	children := make(map[*node][]*edge)
	for _, n := range a.nodes {
		if e := parent[n]; e != nil {
			children[e.holder] = append(children[e.holder], e)
		}
	}
	for _, list := range children {
		slices.SortStableFunc(list, func(x, y *edge) int { return cmp.Compare(y.waiter.grp.Count, x.waiter.grp.Count) })
	}
	var roots []*node
	for _, n := range a.nodes {
		if n.finding != nil || parent[n] != nil {
			continue
		}
		if n.cls.hole() || len(children[n]) > 0 {
			roots = append(roots, n)
		}
	}
	// Queues on one lock or pool whose holder nobody could name are one
	// convoy, whatever stacks the waiters came from.
	merged := make(map[string]*Finding)
	type tree struct {
		f    *Finding
		root *node
	}
	var trees []tree
	for _, r := range roots {
		key := ""
		if len(children[r]) == 0 {
			key = queueKey(r)
		}
		if f, ok := merged[key]; ok && key != "" {
			a.attachTree(f, r, 1, RelSameObject, children, map[*node]bool{})
			continue
		}
		f := &Finding{}
		a.attachTree(f, r, 0, RelRoot, children, map[*node]bool{})
		trees = append(trees, tree{f, r})
		if key != "" {
			merged[key] = f
		}
	}
	for _, t := range trees {
		a.fillFinding(t.f, t.root)
		a.findings = append(a.findings, t.f)
	}
	return nil
}

// chooseParents picks for each group the edge it most likely waits on, and
// breaks any loop of such edges that is not a lock cycle (already
// reported) at its weakest edge.
func (a *analysis) chooseParents() map[*node]*edge {
	parent := make(map[*node]*edge)
	for _, n := range a.nodes {
		if n.finding != nil {
			continue
		}
		var best *edge
		for _, e := range n.out {
			if e.holder.finding != nil && e.holder.cycle {
				// Waiting on a deadlocked lock: it joins the cycle's finding.
				continue
			}
			if best == nil || e.confidence > best.confidence ||
				(e.confidence == best.confidence && e.holder.grp.WaitMax > best.holder.grp.WaitMax) {
				best = e
			}
		}
		if best != nil {
			parent[n] = best
		}
	}
	for _, n := range a.nodes {
		path := make(map[*node]bool)
		var walk []*edge
		for cur := n; parent[cur] != nil; cur = parent[cur].holder {
			if path[cur] {
				// A loop: drop its weakest edge.
				weakest := walk[len(walk)-1]
				for _, e := range walk {
					if path[e.waiter] && e.confidence < weakest.confidence {
						weakest = e
					}
				}
				delete(parent, weakest.waiter)
				break
			}
			path[cur] = true
			walk = append(walk, parent[cur])
		}
	}
	return parent
}

// queueKey identifies what a holder-less root waits on, so that roots
// waiting on the same thing become one finding: a lock or pool by its
// address (or, with none printed, the function that takes the lock), a
// library hole by its signature, a generic wait by its category and site.
func queueKey(n *node) string {
	switch {
	case isLockWaiter(n):
		if n.object != 0 {
			return fmt.Sprintf("lock:%x", n.object)
		}
		if ci := lockCaller(n.grp.Frames); ci >= 0 {
			return "lock@" + n.grp.Frames[ci].Func
		}
	case isPoolWaiter(n):
		return fmt.Sprintf("pool:%x", n.object)
	case n.cls.hole() && n.cls.matched && n.cls.match.sig.Priority < prioGeneric:
		// One signature, one hole: idle and half-sent connections of one
		// server are one finding.
		return "sig:" + n.cls.match.sig.ID
	case n.cls.hole():
		if fi := tellingFrame(n); fi >= 0 {
			return "site:" + string(n.cls.category) + "@" + n.grp.Frames[fi].Func
		}
	}
	return ""
}

// attachTree adds n and, below it, everything that waits on it.
func (a *analysis) attachTree(f *Finding, n *node, depth int, rel Relation, children map[*node][]*edge, seen map[*node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	l := a.link(n, depth, rel)
	f.Chain = append(f.Chain, l)
	n.finding = f
	for _, e := range children[n] {
		if e.waiter.finding != nil && e.waiter.finding != f {
			continue
		}
		idx := len(f.Chain)
		a.attachTree(f, e.waiter, depth+1, e.rel, children, seen)
		if idx < len(f.Chain) && e.object != 0 {
			f.Chain[idx].Object = e.object
		}
		f.Evidence = append(f.Evidence, e.evidence...)
		f.Reasons = append(f.Reasons, e.reason)
	}
}

// attach adds one waiter (and what waits on it through its own edges) under
// a finding built elsewhere (a lock cycle).
func (a *analysis) attach(f *Finding, n *node, depth int, rel Relation, seen map[*node]bool) {
	children := map[*node][]*edge{n: n.in}
	a.attachTree(f, n, depth, rel, children, seen)
}

// link describes one group as a chain link.
func (a *analysis) link(n *node, depth int, rel Relation) Link {
	fi := tellingFrame(n)
	l := Link{
		Depth:      depth,
		Relation:   rel,
		Category:   n.cls.category,
		Goroutines: n.grp.Count,
		IDs:        sampleIDs(n.grp.IDs, a.opts.maxIDs()),
		State:      n.grp.State,
		WaitMax:    n.grp.WaitMax,
		WaitKnown:  n.grp.WaitKnown > 0,
		Group:      n.grp,
		Object:     n.object,
		End:        -1,
	}
	if fi >= 0 {
		fr := n.grp.Frames[fi]
		l.Function, l.File, l.Line = fr.Func, fr.File, fr.Line
	}
	return l
}

// tellingFrame is the frame that best names what a group is doing: the
// blocking call its signature anchors on, else its first application frame,
// else its first frame outside the runtime.
func tellingFrame(n *node) int {
	if n.cls.matched && n.cls.match.anchor >= 0 && !n.cls.background {
		return n.cls.match.anchor
	}
	if n.cls.app >= 0 {
		return n.cls.app
	}
	return firstNonRuntime(n.grp.Frames)
}

func sampleIDs(ids []int64, limit int) []int64 {
	if len(ids) <= limit {
		return append([]int64(nil), ids...)
	}
	return append([]int64(nil), ids[:limit]...)
}

// chainNodes returns the distinct groups of a finding's chain.
func chainGroups(f *Finding) []*parser.Group {
	seen := make(map[*parser.Group]bool)
	var out []*parser.Group
	for _, l := range f.Chain {
		if l.Group != nil && !seen[l.Group] {
			seen[l.Group] = true
			out = append(out, l.Group)
		}
	}
	return out
}

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
	f.Reasons = dedupe(append(append([]string(nil), root.cls.reasons...), f.Reasons...))
	f.Confidence = a.confidenceFor(f, root)
	f.Severity = a.severityFor(f, root)
	f.Title = titleFor(f, root)
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
// incident (a convoy, an exhausted pool, a Wait that cannot return) more
// than the root's own wait does.
func structural(c Category) bool {
	return c == CatMutexConvoy || c == CatDBPoolExhausted || c == CatWaitGroupStuck
}

// fixFor is the fix of the signature at the root, or of the queue when the
// queue names the finding.
func (a *analysis) fixFor(f *Finding, root *node) Fix {
	if root.cls.category == f.Category && root.cls.fix.Summary != "" {
		return root.cls.fix
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
			Text: fmt.Sprintf("%s in state %q", goroutines(root.grp.Count), state)})
	}
	if root.grp.WaitKnown > 0 {
		ev = append(ev, Evidence{Kind: "wait", GoroutineID: first.ID,
			Text: fmt.Sprintf("blocked for %s–%s (%d of %d goroutines print a wait)",
				fmtWait(root.grp.WaitMin), fmtWait(root.grp.WaitMax), root.grp.WaitKnown, root.grp.Count)})
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
	for _, m := range grp.Members {
		if seen == sample {
			break
		}
		seen++
		if addr, _, kind := waitObject(m.Frames); kind == objChan && addr != 0 {
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

// fmtWait prints a wait as the runtime counts it, in whole minutes.
func fmtWait(d time.Duration) string {
	m := int(d / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// confidenceFor combines the root's classification with the weakest link
// that ties the chain together.
func (a *analysis) confidenceFor(f *Finding, root *node) float64 {
	conf := root.cls.confidence
	if conf == 0 {
		conf = 0.5
	}
	for _, e := range root.in {
		if e.waiter.finding == f {
			conf = min(conf, e.confidence+0.1)
		}
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
		if n.cls.app >= 0 && !isLibraryFrame(frames[i], nil) {
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
