package detectors

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Lock holders are found from what a dump holds, most reliable first: the
// lock's address (or the address of the struct around it) in a frame of a
// goroutine not queued on that lock; then a goroutine inside the very
// function that takes the lock, past the Lock call; then one inside a method
// of the same receiver type. The confidence says which one matched.
const (
	confAddr          = 0.9
	confAddrUncertain = 0.7
	confSameFunc      = 0.6
	// confPastLock is for a goroutine inside the locking function past
	// the Lock call's line: structurally inside the critical section.
	confPastLock = 0.75
	confSameType = 0.45
	// maxFieldOffset bounds how far into a struct a lock field may sit for
	// a receiver word to count as the lock's owner.
	maxFieldOffset = 4096
	// maxArgOffset bounds it for plain argument words, which are more often
	// unrelated pointers.
	maxArgOffset = 256
)

// isLockWaiter reports whether a node is queued on a sync lock.
func isLockWaiter(n *node) bool {
	return n.cls.category == CatMutexConvoy || slices.Contains(lockReasons, n.cls.reason)
}

// lockSite returns the index of the frame that took the lock a node waits
// on: for a lock-like library primitive (Signature.Lock, a weighted
// semaphore) the first frame outside the primitive's package past its
// anchor; for sync locks the first frame after the sync and runtime
// frames.
func lockSite(n *node) int {
	if !lockLike(n) {
		return parser.SyncCaller(n.grp.Frames)
	}
	frames := n.grp.Frames
	pkg := frames[n.cls.match.anchor].Package()
	for i := n.cls.match.anchor + 1; i < len(frames); i++ {
		if frames[i].Package() != pkg {
			return i
		}
	}
	return -1
}

// lockLike reports whether a node waits on a lock-like library primitive.
func lockLike(n *node) bool {
	return n.cls.matched && !n.cls.background && n.cls.match.sig.Lock && n.cls.match.anchor >= 0
}

// lockWord is what one word tells about a lock's owner.
type lockWord struct {
	// certain: printed without "?".
	certain bool
	// near: a plain argument of the locking frame pointing a little
	// below the lock, which may be the struct the lock is a field of or
	// an unrelated neighbour on the heap (a WaitGroup allocated next to
	// a local Mutex). Found in another goroutine inside the same locking
	// function it is the struct the lock belongs to; anywhere else it is
	// a lead, not a proof (nearWordProof).
	near bool
}

// minAddr is the lowest word that can be an object's address: the first
// page of the address space is never mapped, so a smaller word is an
// integer (a length, a count, a stale "?" register under the register
// ABI). Taken for a lock address, a 0x5 word would tie every goroutine
// that prints a string of length 1 to the lock.
const minAddr = 0x1000

// lockWords are the words that identify a lock's owner in other stacks:
// the lock address, the receiver of the method that takes it, and argument
// words of that frame pointing just before the lock. A lock address below
// minAddr is no address: it has no words.
func lockWords(n *node) map[uint64]lockWord {
	words := make(map[uint64]lockWord)
	if n.object < minAddr {
		return words
	}
	words[n.object] = lockWord{certain: n.objectCertain}
	site := lockSite(n)
	for _, m := range n.grp.Members {
		ci := site
		if ci < 0 || ci >= len(m.Frames) {
			continue
		}
		f := m.Frames[ci]
		for k, arg := range m.Args(ci) {
			if arg.Unused || arg.Value < minAddr || arg.Value > n.object {
				continue
			}
			limit, receiver := uint64(maxArgOffset), k == 0 && f.Receiver() != ""
			if receiver {
				limit = maxFieldOffset
			}
			if n.object-arg.Value < limit {
				if _, ok := words[arg.Value]; !ok {
					words[arg.Value] = lockWord{certain: !arg.Uncertain, near: !receiver}
				}
			}
		}
		if len(n.grp.Members) > 64 {
			break // identical stacks: a sample names the owner as well
		}
	}
	return words
}

// linkLocks finds the likely holder of every lock goroutines queue on.
func (a *analysis) linkLocks() error {
	var (
		waiters []*node
		idx     addrIndex
	)
	for _, n := range a.nodes {
		if !isLockWaiter(n) {
			continue
		}
		waiters = append(waiters, n)
		for w, lw := range lockWords(n) {
			idx.add(w, n, w == n.object, lw.near)
		}
	}
	if len(waiters) == 0 {
		return nil
	}
	idx.sort()
	found := make(map[*node]bool)
	hits := a.wordHits(&idx, maxArgOffset)
	scanWords(&idx, hits, func(en addrEntry, w argWord) {
		waiter, holder, arg := en.n, w.holder, w.arg
		if holder.object == waiter.object && isLockWaiter(holder) {
			return // queued on the same lock: a fellow waiter, not the holder
		}
		found[waiter] = true
		conf, grade := confAddr, GradeProven
		if arg.Uncertain || !waiter.objectCertain || en.near && !nearWordProof(waiter, w.f) {
			// A "?" word may be a stale register spill: a lead, not a
			// proof.
			conf, grade = confAddrUncertain, GradeInferred
		}
		e := a.addEdge(&edge{waiter: waiter, holder: holder, rel: RelWaitsOn, object: waiter.object, confidence: conf, grade: grade})
		if e == nil {
			return
		}
		g, f := w.g, w.f
		object := waiter.object
		waitKnown, waitMax := waiter.grp.WaitKnown > 0, waiter.grp.WaitMax
		e.explain = func(e *edge) {
			fr := *f
			when := ""
			if g.WaitKnown && waitKnown && g.Wait >= waitMax {
				when = fmt.Sprintf("; it has been blocked for %s, since before its waiters", human.Wait(g.Wait, true))
			}
			e.reason = fmt.Sprintf("goroutine %d has 0x%x (the lock or its owner) in %s and is not queued on the lock%s",
				g.ID, arg.Value, f.Func, when)
			e.evidence = []Evidence{{Kind: "argument", GoroutineID: g.ID, Frame: &fr,
				Text: fmt.Sprintf("%s(0x%x%s) in goroutine %d: the lock 0x%x belongs to this object", f.Func, arg.Value, uncertainMark(arg), g.ID, object)}}
		}
	})
	a.lockHolderByNearWord(&idx, hits, found)
	for _, w := range waiters {
		// A lock-like primitive's holders are, by construction, in the
		// acquiring function past the call: that structure can confirm
		// an address link made on uncertain words.
		if !found[w] || lockLike(w) {
			a.lockHolderByCallSite(w)
		}
	}
	return nil
}

// nearWordProof reports whether a holder's frame carrying a near word of
// waiter's lock (lockWord.near) proves the holder owns the lock's struct:
// the frame is the very function that takes the lock, working on the same
// object (a lock-order cycle: transfer(a, b) and transfer(b, a)).
func nearWordProof(waiter *node, holderFrame *parser.Frame) bool {
	ci := lockSite(waiter)
	return ci >= 0 && ci < len(waiter.grp.Frames) && waiter.grp.Frames[ci].Func == holderFrame.Func
}

// lockHolderByNearWord links waiters whose lock no frame names exactly to a
// goroutine holding a pointer to the struct the lock lives in: an argument
// word a little below the lock address (the lock is a field of what that
// goroutine works on). The waiters' own receivers are often stale "?"
// words under the register ABI, so this looks at the holders' side. It
// reads the lock addresses from idx, the index linkLocks built, and skips
// the waiters already found.
func (a *analysis) lockHolderByNearWord(idx *addrIndex, hits wordHits, found map[*node]bool) {
	// wanted[k]: entry k is the object of a waiter this pass looks for
	// (by position, not by a map lookup per hit).
	wanted := make([]bool, len(idx.entries))
	some := false
	for k, e := range idx.entries {
		if e.object && !found[e.n] {
			wanted[k], some = true, true
		}
	}
	if !some {
		return
	}
	linked := make(map[*node]*node) // waiter → the holder it was last linked to
	hits.each(func(h *wordHit) {
		holder := h.holder
		for k := h.from; k < h.near; k++ {
			en := idx.entries[k]
			w := en.n
			if !wanted[k] || w == holder || linked[w] == holder || (isLockWaiter(holder) && holder.object == w.object) {
				continue
			}
			aw := h.word() // only now: it reads the goroutine's frame
			arg := aw.arg
			linked[w] = holder
			found[w] = true
			conf := confAddrUncertain
			if arg.Uncertain || !w.objectCertain {
				conf = confSameFunc
			}
			e := a.addEdge(&edge{waiter: w, holder: holder, rel: RelWaitsOn, object: w.object, confidence: conf, grade: GradeInferred})
			if e == nil {
				continue
			}
			g, f, object := aw.g, aw.f, w.object
			e.explain = func(e *edge) {
				fr := *f
				e.reason = fmt.Sprintf("goroutine %d holds 0x%x in %s, the struct that contains the lock 0x%x (+0x%x), and is not queued on it",
					g.ID, arg.Value, f.Func, object, object-arg.Value)
				e.evidence = []Evidence{{Kind: "argument", GoroutineID: g.ID, Frame: &fr,
					Text: fmt.Sprintf("%s(0x%x%s) in goroutine %d: the lock 0x%x is a field at +0x%x of this object",
						f.Func, arg.Value, uncertainMark(arg), g.ID, object, object-arg.Value)}}
			}
		}
	})
}

func uncertainMark(arg parser.Arg) string {
	if arg.Uncertain {
		return "?"
	}
	return ""
}

// How a call-site holder candidate relates to the waiter's lock site.
const (
	viaFunc = iota + 1
	viaFuncBefore
	viaClosure
	viaSibling
	viaType
)

// siteCandidate is one possible holder for the waiters of one lock site.
type siteCandidate struct {
	n     *node
	conf  float64
	frame parser.Frame
	fi    int // frame's index in n's stack
	how   int
}

// lockHolderByCallSite falls back to stacks when no address links a lock to
// its holder (the register ABI often prints no receiver, aggregated formats
// print no arguments): a goroutine inside the function that takes the lock
// but at another line, inside the function a locking closure was defined
// in, inside a sibling closure, or inside a method of the same receiver
// type.
func (a *analysis) lockHolderByCallSite(w *node) {
	ci := lockSite(w)
	if ci < 0 {
		return
	}
	caller := w.grp.Frames[ci]
	var best *siteCandidate
	for i, c := range a.siteCandidates(caller, lockLike(w)) {
		n := c.n
		if n == w || (isLockWaiter(n) && (n.object == w.object || w.object == 0 || n.object == 0) && sameLockSite(n, caller)) {
			continue
		}
		conf := c.conf
		// The holder usually got stuck before its waiters.
		if n.grp.WaitKnown > 0 && w.grp.WaitKnown > 0 && n.grp.WaitMax >= w.grp.WaitMax {
			conf += 0.05
		}
		if best == nil || conf > best.conf || (conf == best.conf && betterHolder(n, best.n)) {
			cand := c
			cand.conf = conf
			best = &cand
		}
		if i >= 8 && best != nil {
			break // candidates come best first; the rest cannot win
		}
	}
	if best == nil {
		return
	}
	why := "no address links the lock to a holder"
	if w.object == 0 {
		why = "the capture prints no argument words"
	} else if !w.objectCertain {
		why = "the lock address was printed with \"?\" (uncertain under the register ABI)"
	}
	var how string
	grade := GradeInferred
	// The call that takes the lock: Lock, or a lock-like primitive's own
	// (a weighted semaphore's Acquire).
	call := "Lock"
	if lockLike(w) {
		call = parser.ShortFunc(w.grp.Frames[w.cls.match.anchor].Func)
	}
	switch best.how {
	case viaFunc:
		how = fmt.Sprintf("it is inside %s, the function that takes the lock, past the %s call (line %d, the lock is taken at line %d): inside the critical section",
			caller.Func, call, best.frame.Line, caller.Line)
		grade = GradeStructural
		if lockLike(w) {
			// The semaphore is not inside the receiver: the same
			// receiver at the acquiring frame is what ties them.
			if otherReceiver(caller, w.grp.First().Args(ci), best.frame, best.n.grp.First().Args(best.fi)) {
				grade = GradeInferred
				how += ", but on another receiver than the waiters'"
			}
		} else if otherInstance(w, best.frame, best.n.grp.First().Args(best.fi)) {
			grade = GradeInferred
			how += ", but on another receiver than the waiters'"
		}
	case viaFuncBefore:
		how = fmt.Sprintf("it is inside %s, the function that takes the lock, before the %s call (line %d, the lock is taken at line %d)",
			caller.Func, call, best.frame.Line, caller.Line)
	case viaClosure:
		how = fmt.Sprintf("it is inside %s, where the locking closure %s was defined", best.frame.Func, caller.Func)
	case viaSibling:
		how = fmt.Sprintf("it is inside %s, a closure of the same function as the locking closure %s, sharing what it captured", best.frame.Func, caller.Func)
	default:
		how = fmt.Sprintf("it is inside %s, a method of the lock owner's type", best.frame.Func)
	}
	fr := best.frame
	label := "likely holder"
	if grade == GradeStructural {
		label = "holder by call-site structure"
	}
	a.addEdge(&edge{
		waiter: w, holder: best.n, rel: RelWaitsOn, object: w.object, confidence: best.conf, grade: grade,
		reason: fmt.Sprintf("%s (%s): %s", label, why, how),
		evidence: []Evidence{{Kind: "frame", Frame: &fr, GoroutineID: firstID(best.n.grp),
			Text: fmt.Sprintf("%s: %s; %s", label, how, why)}},
	})
}

// otherInstance reports whether a holder candidate's frame is a method
// called on another object than the one the waiters lock: both receiver
// words are printed without "?" and differ by more than a struct's size.
func otherInstance(w *node, holderFrame parser.Frame, holderArgs []parser.Arg) bool {
	if holderFrame.Receiver() == "" || len(holderArgs) == 0 || holderArgs[0].Uncertain || holderArgs[0].Value == 0 {
		return false
	}
	words := lockWords(w)
	if len(words) == 0 {
		return false
	}
	h := holderArgs[0].Value
	for word, lw := range words {
		if !lw.certain {
			return false
		}
		if word == h || (word > h && word-h < maxFieldOffset) {
			return false
		}
	}
	return true
}

// otherReceiver reports whether two frames of one method print different
// receiver words (xa and ya are their argument words), both without "?".
func otherReceiver(x parser.Frame, xa []parser.Arg, y parser.Frame, ya []parser.Arg) bool {
	if x.Receiver() == "" || len(xa) == 0 || len(ya) == 0 || xa[0].Uncertain || ya[0].Uncertain {
		return false
	}
	return xa[0].Value != ya[0].Value
}

func siteKey(caller parser.Frame) string {
	return caller.Func + ":" + strconv.Itoa(caller.Line)
}

// siteCandidates scores, once per lock site, every group that could hold
// the lock taken there, best first; waiters at one site (thousands of
// them, each on its own lock, in the worst case) share the list.
//
// past is set for lock-like primitives (Signature.Lock): a slot taken at
// caller is held only past the acquiring line, so goroutines before it
// are never candidates.
func (a *analysis) siteCandidates(caller parser.Frame, past bool) []siteCandidate {
	key := siteKey(caller)
	if past {
		key += ":past"
	}
	if list, ok := a.siteCache[key]; ok {
		return list
	}
	enclosing := enclosingFunc(caller.Func)
	recvType := receiverType(caller)
	idx := a.callSiteIndex()
	seen := make(map[*node]bool)
	var list []siteCandidate
	for _, k := range []string{caller.Func, enclosing, typeKey(recvType), enclosingKey(enclosing)} {
		if k == "" {
			continue
		}
		for _, n := range idx[k] {
			if seen[n] || (n.cls.background && !n.cls.idle) {
				continue
			}
			seen[n] = true
			best := siteCandidate{n: n}
			for fi, f := range n.grp.Frames {
				conf, how := 0.0, 0
				switch {
				case f.Func == caller.Func && f.Line > caller.Line:
					// Past the Lock call, inside the critical section.
					conf, how = confPastLock, viaFunc
				case past && f.Func == caller.Func:
					continue // at or before the Acquire: not holding a slot yet
				case f.Func == caller.Func && f.Line < caller.Line:
					// Before the Lock call: it has not taken this lock
					// yet, unless the function locks in a loop.
					conf, how = confSameType-0.1, viaFuncBefore
				case enclosing != "" && f.Func == enclosing:
					conf, how = confSameFunc-0.1, viaClosure
				case enclosing != "" && f.Func != caller.Func && enclosingFunc(f.Func) == enclosing:
					// A sibling closure: it shares the captured lock.
					conf, how = confSameType, viaSibling
				case recvType != "" && receiverType(f) == recvType:
					conf, how = confSameType, viaType
				default:
					continue
				}
				if conf > best.conf {
					best.conf, best.frame, best.fi, best.how = conf, f, fi, how
				}
			}
			if best.conf > 0 {
				list = append(list, best)
			}
		}
	}
	slices.SortStableFunc(list, func(x, y siteCandidate) int {
		if c := cmp.Compare(y.conf, x.conf); c != 0 {
			return c
		}
		if betterHolder(x.n, y.n) {
			return -1
		}
		if betterHolder(y.n, x.n) {
			return 1
		}
		return 0
	})
	if a.siteCache == nil {
		a.siteCache = make(map[string][]siteCandidate)
	}
	a.siteCache[key] = list
	return list
}

// receiverType names a method's receiver type with its package
// ("main.priceCache"), "" for a plain function.
func receiverType(f parser.Frame) string {
	r := f.Receiver()
	if r == "" {
		return ""
	}
	return f.Package() + "." + strings.TrimPrefix(r, "*")
}

func enclosingKey(fn string) string {
	if fn == "" {
		return ""
	}
	return "closure-of:" + fn
}

func typeKey(recvType string) string {
	if recvType == "" {
		return ""
	}
	return "type:" + recvType
}

// callSiteIndex maps every function name, every receiver type
// ("type:pkg.T") and every function that defines closures
// ("closure-of:pkg.F") to the groups whose stacks hold it, so that holder
// searches cost the candidates, not the whole snapshot, even with
// thousands of distinct locks. Built once, on first use.
func (a *analysis) callSiteIndex() map[string][]*node {
	if a.siteIndex != nil {
		return a.siteIndex
	}
	idx := make(map[string][]*node)
	for _, n := range a.nodes {
		seen := make(map[string]bool)
		for _, f := range n.grp.Frames {
			for _, k := range []string{f.Func, typeKey(receiverType(f)), enclosingKey(enclosingFunc(f.Func))} {
				if k != "" && !seen[k] {
					seen[k] = true
					idx[k] = append(idx[k], n)
				}
			}
		}
	}
	delete(idx, "")
	a.siteIndex = idx
	return idx
}

// sameLockSite reports whether a lock-waiting node takes its lock from the
// same function as caller: a fellow waiter, never the holder.
func sameLockSite(n *node, caller parser.Frame) bool {
	ci := lockSite(n)
	return ci >= 0 && n.grp.Frames[ci].Func == caller.Func
}

func firstID(grp *parser.Group) int64 {
	if len(grp.IDs) > 0 {
		return grp.IDs[0]
	}
	return 0
}

// betterHolder breaks a tie between two equally likely holders: one
// goroutine holds a mutex, so a group of one beats a crowd (the crowd is
// more likely fellow waiters of another lock), then the smaller group, then
// the one stuck longer.
func betterHolder(n, best *node) bool {
	if (n.grp.Count == 1) != (best.grp.Count == 1) {
		return n.grp.Count == 1
	}
	if n.grp.Count != best.grp.Count {
		return n.grp.Count < best.grp.Count
	}
	return n.grp.WaitMax > best.grp.WaitMax
}

// enclosingFunc returns the function a closure is defined in
// ("main.deadlock" for "main.deadlock.func1" or "main.deadlock.func1.2"),
// or "" for a function that is not a closure.
func enclosingFunc(fn string) string {
	start := strings.LastIndexByte(fn, '/') + 1
	for i := start; ; {
		j := strings.Index(fn[i:], ".func")
		if j < 0 {
			return ""
		}
		k := i + j + len(".func")
		if k < len(fn) && fn[k] >= '0' && fn[k] <= '9' {
			return fn[:i+j]
		}
		i = k
	}
}
