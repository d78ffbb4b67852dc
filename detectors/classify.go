package detectors

import (
	"fmt"

	"github.com/ctxhole/ctxhole/parser"
)

// scope says whether a goroutine serves a request: request-scoped goroutines
// blocked past any sane deadline are holes; background loops are not.
type scope uint8

const (
	scopeNone    scope = iota
	scopeHTTP          // under net/http's conn.serve or an HTTP/2 handler
	scopeGRPC          // under a gRPC server handler
	scopeSpawned       // started (transitively) by a request-scoped goroutine
)

// requestFrames mark a stack as serving a request.
var requestFrames = []struct {
	fn    string
	scope scope
}{
	{"net/http.(*conn).serve", scopeHTTP},
	{"net/http.(*http2serverConn).runHandler", scopeHTTP},
	{"golang.org/x/net/http2.(*serverConn).runHandler", scopeHTTP},
	{"google.golang.org/grpc.(*Server).processUnaryRPC", scopeGRPC},
	{"google.golang.org/grpc.(*Server).processStreamingRPC", scopeGRPC},
	{"google.golang.org/grpc.(*Server).handleStream", scopeGRPC},
}

// frameReasons infer a wait reason from the runtime frames where a capture
// printed none (aggregated formats, old runtimes).
var frameReasons = []struct{ fn, reason string }{
	{"runtime.chansend1", rChanSend},
	{"runtime.chansend", rChanSend},
	{"runtime.chanrecv1", rChanRecv},
	{"runtime.chanrecv2", rChanRecv},
	{"runtime.chanrecv", rChanRecv},
	{"runtime.selectgo", rSelect},
	{"runtime.block", parser.ReasonSelectNoCases},
	{"sync.runtime_SemacquireRWMutexR", rRLock},
	{"sync.runtime_SemacquireRWMutex", rWLock},
	{"sync.runtime_SemacquireMutex", rMutex},
	{"internal/sync.runtime_SemacquireMutex", rMutex},
	{"sync.runtime_SemacquireWaitGroup", rWaitGroup},
	{"sync.(*WaitGroup).Wait", rWaitGroup},
	{"sync.runtime_notifyListWait", rCond},
	{"internal/poll.runtime_pollWait", rIOWait},
	{"time.Sleep", rSleep},
	{"runtime.cgocall", rSyscall},
	{"syscall.Syscall", rSyscall},
	{"syscall.Syscall6", rSyscall},
	{"syscall.RawSyscall", rSyscall},
	{"internal/runtime/syscall.Syscall6", rSyscall},
}

// effectiveReason is the wait reason to classify by: the parsed one, the
// status for system calls, or one inferred from the frames.
func effectiveReason(grp *parser.Group) string {
	switch grp.Status {
	case parser.StatusSyscall:
		return rSyscall
	case parser.StatusRunning, parser.StatusRunnable:
		return grp.Status.String()
	}
	if grp.Reason != "" {
		return grp.Reason
	}
	for _, f := range grp.Frames {
		for _, fr := range frameReasons {
			if f.Func == fr.fn {
				return fr.reason
			}
		}
	}
	return ""
}

// maybeBlocked reports whether a group can be part of a hang: parked, in a
// system call, or of an aggregated format that prints no state at all.
func maybeBlocked(grp *parser.Group) bool {
	switch grp.Status {
	case parser.StatusWaiting, parser.StatusLeaked, parser.StatusSyscall:
		return true
	case parser.StatusUnknown:
		return true
	}
	return false
}

// classification is what one group is: the signature that explains it, or
// why it is background.
type classification struct {
	reason     string
	match      sigMatch
	matched    bool
	category   Category
	background bool
	// idle is set when background was judged from the goroutine's own
	// circumstances (an application loop parked on a channel), not from a
	// library's background row: such a goroutine can still hold a lock.
	idle   bool
	anchor int // frame index of the blocking call
	app    int // first application frame, -1 if none
	scope  scope
	// parentGone is set when the creating goroutine is named ("in goroutine
	// N") and no longer exists: whoever was to receive or release is gone.
	parentGone bool
	parentID   int64
	why        string
	fix        Fix
	confidence float64
	reasons    []string
	// watcherMissing is set for signatures with a Watcher when no watcher
	// goroutine exists in the snapshot.
	watcherMissing bool
	// idleOver is the idle-by-design row a group matched whose wait is
	// past the row's limit: reported, but as a hygiene problem (low),
	// unless something waits on it.
	idleOver *idleRow
}

// hole reports whether the group is a candidate finding.
func (c *classification) hole() bool { return !c.background && c.category != "" }

// classify assigns every group of the analyzed snapshot its category.
func (a *analysis) classify() error {
	watchers := a.watcherCounts()
	memo := make(map[*parser.Group]*matchPair)
	for _, n := range a.nodes {
		// Nodes split from one group by lock address share its stack:
		// match the signature tables once per original group.
		m, ok := memo[n.origin]
		if !ok || n.origin == nil {
			m = a.matchTables(n.grp)
			if n.origin != nil {
				memo[n.origin] = m
			}
		}
		n.cls = a.classifyMatched(n.grp, m, watchers)
		if lockLike(n) && n.object == 0 {
			// A lock-like primitive is the receiver of its anchor frame.
			if r, ok := receiverWord(n.grp.First(), n.cls.match.anchor); ok {
				n.object, n.objectCertain = r.Value, !r.Uncertain
			}
		}
	}
	return nil
}

// matchPair is the best hole row and the best background row for a stack,
// and, once asked for (bestIdle), its best idle row.
type matchPair struct {
	hole, bg     sigMatch
	okHole, okBg bool
	idleDone     bool
	idle         *idleRow
	idleM        sigMatch
}

func (a *analysis) matchTables(grp *parser.Group) *matchPair {
	reason := effectiveReason(grp)
	m := new(matchPair)
	m.hole, m.okHole = a.sigIdx.best(a.sigIdx.view(grp.Frames), reason)
	m.bg, m.okBg = a.bgIdx.best(a.bgIdx.view(grp.Frames), reason)
	return m
}

// watcherCounts counts, for every Watcher pattern of the signatures, the
// goroutines of the snapshot running it.
func (a *analysis) watcherCounts() map[string]int {
	counts := make(map[string]int)
	for _, s := range a.sigs {
		if s.Watcher != "" {
			counts[s.Watcher] = 0
		}
	}
	if len(counts) == 0 {
		return counts
	}
	for _, n := range a.nodes {
		for pat := range counts {
			if hasFrame(n.grp.Frames, pat) {
				counts[pat] += n.grp.Count
			}
		}
	}
	return counts
}

func hasFrame(frames []parser.Frame, pattern string) bool {
	return frameIndex(frames, pattern) >= 0
}

func frameIndex(frames []parser.Frame, pattern string) int {
	for i, f := range frames {
		if matchFrame(pattern, f.Func) {
			return i
		}
	}
	return -1
}

// classifyGroup classifies one group against the signature tables.
func (a *analysis) classifyGroup(grp *parser.Group, watchers map[string]int) classification {
	return a.classifyMatched(grp, a.matchTables(grp), watchers)
}

// classifyMatched classifies a group whose best table rows are known.
func (a *analysis) classifyMatched(grp *parser.Group, m *matchPair, watchers map[string]int) classification {
	c := classification{reason: effectiveReason(grp), anchor: -1}
	c.app = appFrame(grp.Frames, a.libPrefixes)
	c.scope, c.parentGone, c.parentID = a.scopeOf(grp)
	if !maybeBlocked(grp) {
		return c
	}
	hole, okHole, bg, okBg := m.hole, m.okHole, m.bg, m.okBg
	if okBg && (!okHole || bgWins(bg, hole, len(grp.Frames))) {
		c.background = true
		c.match, c.matched = bg, true
		return c
	}
	if !a.snapDeadlock() && a.judgeIdleByDesign(grp, &c, m) {
		return c
	}
	if okHole {
		c.match, c.matched = hole, true
		s := hole.sig
		c.category, c.why, c.fix = s.Category, s.Why, s.Fix
		c.anchor = hole.anchor
		c.confidence = s.confidence()
		c.reasons = append(c.reasons, fmt.Sprintf("matched signature %s", s.ID))
		if hole.reasonUnknown {
			c.confidence -= 0.15
			c.reasons = append(c.reasons, "the capture prints no wait state; matched on frames alone")
		}
		watcher := s.Watcher
		if watcher != "" && s.WatcherUntil != "" {
			module, limit := watcherLimit(s.WatcherUntil)
			if v, ok := moduleVersion(grp.Frames, module); !ok || !versionBefore(v, limit) {
				// A version that watches without a goroutine, or one
				// the capture does not name: no goroutine to count.
				watcher = ""
				c.reasons = append(c.reasons, watcherUnknownReason(s, v, ok))
			}
		}
		if watcher != "" && watchers[s.Watcher] == 0 {
			c.watcherMissing = true
			c.confidence += 0.05
			c.reasons = append(c.reasons, fmt.Sprintf("no %s goroutine exists: no cancellable context was passed", parser.ShortFunc(s.Watcher)))
		} else if watcher != "" && watchers[s.Watcher] >= grp.Count {
			// Every blocked call has its watcher: the context is
			// cancellable, it just carries no deadline and nobody cancels.
			c.category = CatIONoDeadline
			c.why += "; a context watcher goroutine exists for every blocked call, so the calls did get a " +
				"cancellable context, but it carries no deadline and nobody cancels it"
			c.reasons = append(c.reasons, fmt.Sprintf("%d context watcher goroutine(s) for %d blocked call(s): cancellable context without deadline",
				watchers[s.Watcher], grp.Count))
		} else if watcher != "" {
			c.reasons = append(c.reasons, fmt.Sprintf("only %d context watcher goroutine(s) for %d blocked call(s): some calls have no cancellable context",
				watchers[s.Watcher], grp.Count))
		}
	}
	if c.anchor < 0 {
		c.anchor = parser.TellingFrame(grp.Frames)
	}
	if a.snapDeadlock() {
		// The runtime declared every goroutine asleep for good: no wait
		// is an idle loop that work will wake.
		c.reasons = append(c.reasons, "the runtime declared a global deadlock (\"all goroutines are asleep\")")
	} else {
		a.judgeIdle(grp, &c)
	}
	if c.category == "" && !c.background && c.reason != "" && c.reason != "running" && c.reason != "runnable" {
		c.category = CatUnclassified
		c.why = fmt.Sprintf("blocked in %q and no signature matched this stack", c.reason)
		c.fix = fixUnclassified
		c.confidence = 0.4
		c.reasons = append(c.reasons, "no signature matched; reported so nothing blocked is dropped")
	}
	if c.category == "" && !c.background && c.reason == "" && grp.Status == parser.StatusUnknown && len(grp.Frames) > 0 {
		c.category = CatUnclassified
		c.why = "the capture prints no state for these goroutines and the frames it keeps name no blocking call " +
			"(debug=1 hides the runtime frames that would say channel, lock or network)"
		c.fix = fixUnclassified
		c.confidence = 0.3
		c.reasons = append(c.reasons, "state unknown in an aggregated capture")
	}
	if c.confidence > 1 {
		c.confidence = 1
	}
	return c
}

// bgWins decides between a background row and a hole row that both match:
// the background row describes what the goroutine is for when it matches at
// or outside the hole's blocking call (a transport read loop is a read, but
// the loop is the point); a hole deeper in a request's stack wins.
func bgWins(bg, hole sigMatch, nframes int) bool {
	bgAt := bg.anchor
	if bgAt < 0 {
		bgAt = nframes
	}
	holeAt := hole.anchor
	if holeAt < 0 {
		holeAt = 0
	}
	if hole.sig.Priority <= prioUser {
		return false // the user's own rows always win
	}
	return bgAt >= holeAt
}

// judgeIdle decides, for goroutines parked on channels or select with no
// library signature, between a hole and an idle loop waiting for work.
func (a *analysis) judgeIdle(grp *parser.Group, c *classification) {
	generic := !c.matched || c.match.sig.Priority >= prioGeneric
	if !generic || c.background {
		return
	}
	switch c.reason {
	case rChanSend, rChanRecv, rSelect:
	default:
		// sync.Cond waits stay findings: a Cond cannot watch a context,
		// so even an idle-looking waiter is a hole once nobody signals.
		return
	}
	if c.scope != scopeNone {
		c.reasons = append(c.reasons, "request-scoped: "+c.scope.String())
		if c.reason == rSelect && !c.matched {
			c.category = CatUnclassified
			c.why = "a request-scoped goroutine waits in a select none of whose cases fires; no case watches " +
				"a context that is ever cancelled"
			c.fix = fixChanRecv
			c.confidence = 0.55
			if c.scope == scopeHTTP {
				// The handler itself: it ignores r.Context(), or nothing
				// cancels it because the server sets no WriteTimeout.
				c.category = CatHTTPServerNoTimeout
				c.why = "an HTTP handler waits in a select that never fires: it does not watch r.Context(), " +
					"or the client is still connected and no WriteTimeout or handler deadline bounds it"
				c.fix = fixHTTPServer
			}
		}
		return
	}
	if c.parentGone && grp.Count > 1 && c.reason != rChanSend && oneParent(grp) {
		// Started together by one goroutine that has since returned (a
		// setup function that launched a pool): workers waiting for work.
		c.background, c.idle = true, true
		c.reasons = append(c.reasons, fmt.Sprintf("all %d were started by goroutine %d, which has exited: a worker pool waiting for work", grp.Count, c.parentID))
		return
	}
	if c.parentGone {
		c.reasons = append(c.reasons, fmt.Sprintf("its creator, goroutine %d, has exited: nobody is left on the other side", c.parentID))
		if c.reason == rSelect && !c.matched {
			c.category = CatUnclassified
			c.why = "a goroutine whose creator has exited waits in a select none of whose cases fires"
			c.fix = fixLeak
			c.confidence = 0.5
		}
		return
	}
	if p, ok := a.byID[c.parentID]; ok && (p.Reason == rWaitGroup || hasFrame(p.Frames, "sync.(*WaitGroup).Wait")) {
		c.reasons = append(c.reasons, fmt.Sprintf("its creator, goroutine %d, waits for it in WaitGroup.Wait", c.parentID))
		return
	}
	parentUnknown := grp.First().CreatedBy == nil || grp.First().CreatedBy.Parent == 0
	if c.reason == rChanSend && (grp.Count >= a.opts.leakMinCount() || parentUnknown || grp.WaitMax >= longBlocked) {
		// A plain send is how a result is handed back, not how a loop
		// waits for work: with nothing saying its receiver is alive (no
		// parent printed), a pile of them, or a send that has waited a
		// minute or more (a producer whose consumer stopped receiving:
		// back-pressure lasts milliseconds), it is a hole.
		return
	}
	c.background, c.idle = true, true
	c.reasons = append(c.reasons, "long-lived loop waiting for work (not request-scoped, creator alive)")
}

// snapDeadlock reports whether the runtime declared the analyzed snapshot a
// global deadlock: then nothing is idle, everything is asleep for good.
func (a *analysis) snapDeadlock() bool {
	return a.snap != nil && a.snap.Preamble.Deadlock()
}

func (s scope) String() string {
	switch s {
	case scopeHTTP:
		return "under an HTTP server handler"
	case scopeGRPC:
		return "under a gRPC server handler"
	case scopeSpawned:
		return "started by a request-scoped goroutine"
	}
	return "not request-scoped"
}

// scopeOf finds whether a group serves a request, directly or through the
// goroutine that created it.
func (a *analysis) scopeOf(grp *parser.Group) (sc scope, parentGone bool, parent int64) {
	if s := framesScope(grp.Frames); s != scopeNone {
		return s, false, 0
	}
	first := grp.First()
	if first.CreatedBy == nil || first.CreatedBy.Parent == 0 {
		return scopeNone, false, 0
	}
	parent = first.CreatedBy.Parent
	id := parent
	for depth := 0; depth < 16; depth++ {
		g, ok := a.byID[id]
		if !ok {
			return scopeNone, depth == 0, parent
		}
		if framesScope(g.Frames) != scopeNone {
			return scopeSpawned, false, parent
		}
		if g.CreatedBy == nil || g.CreatedBy.Parent == 0 || g.CreatedBy.Parent == id {
			break
		}
		id = g.CreatedBy.Parent
	}
	return scopeNone, false, parent
}

func framesScope(frames []parser.Frame) scope {
	for i := len(frames) - 1; i >= 0; i-- {
		for _, r := range requestFrames {
			if frames[i].Func == r.fn {
				return r.scope
			}
		}
	}
	return scopeNone
}

// oneParent reports whether every member of a group was created by the
// same goroutine: a pool, where per-request leaks have one creator each.
func oneParent(grp *parser.Group) bool {
	var parent int64
	for _, m := range grp.Members {
		if m.CreatedBy == nil || m.CreatedBy.Parent == 0 {
			return false
		}
		if parent == 0 {
			parent = m.CreatedBy.Parent
		} else if m.CreatedBy.Parent != parent {
			return false
		}
	}
	return parent != 0
}

// receiverWord returns the first argument word g printed for its frame i
// (a method's receiver, a function's first parameter), when it printed a
// used, non-zero one: the object the frame works on.
func receiverWord(g *parser.Goroutine, i int) (parser.Arg, bool) {
	if g == nil || i < 0 || i >= len(g.Frames) {
		return parser.Arg{}, false
	}
	args := g.Args(i)
	if len(args) == 0 || args[0].Unused || args[0].Value == 0 {
		return parser.Arg{}, false
	}
	return args[0], true
}
