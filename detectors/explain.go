package detectors

import (
	"fmt"
	"strings"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// categoryPhrases say in a few words what each category's goroutines do.
var categoryPhrases = map[Category]string{
	CatDBDriverNoCtx:        "blocked in a database driver the context cannot interrupt",
	CatDBPoolExhausted:      "queued for a database/sql connection",
	CatHTTPClientNoTimeout:  "waiting on an outbound HTTP request with no timeout",
	CatHTTPServerNoTimeout:  "held by an HTTP server connection with no timeouts",
	CatGRPCStreamNoDeadline: "waiting on a gRPC call or stream with no deadline",
	CatIONoDeadline:         "blocked in network I/O with no deadline",
	CatChanSendBlocked:      "stranded on a channel send nobody receives",
	CatChanRecvBlocked:      "stranded on a channel receive nobody satisfies",
	CatNilChannel:           "blocked forever on a nil channel",
	CatEmptySelect:          "parked forever in an empty select {}",
	CatMutexConvoy:          "queued on one lock",
	CatLockCycle:            "deadlocked on each other's locks",
	CatWaitGroupStuck:       "stuck in WaitGroup.Wait",
	CatCondWait:             "waiting on a sync.Cond nobody signals",
	CatGoroutineLeak:        "accumulating with identical stacks (leak)",
	CatResourceLeak:         "holding a resource nobody uses any more (leak)",
	CatSyscallBlocked:       "stuck in a system call",
	CatSleepPoll:            "polling with time.Sleep",
	CatSchedStarvation:      "holding every P while runnable goroutines wait (CPU starvation)",
	CatUnclassified:         "blocked with no known signature",
}

// categoryPhrase returns a short description of a category.
func categoryPhrase(c Category) string {
	if p, ok := categoryPhrases[c]; ok {
		return p
	}
	return string(c)
}

// titleFor writes the one-sentence diagnosis, in the direction of blame:
// what is stranded, on what, and who left or holds it. A root that is only
// inferred says so: "holder not proven; likely …", "holder unknown".
func (a *analysis) titleFor(f *Finding, root *node) string {
	rootFn := "?"
	if len(f.Chain) > 0 && f.Chain[0].Function != "" {
		rootFn = parser.ShortFunc(f.Chain[0].Function)
	}
	since := ""
	if f.WaitKnown {
		since = " for " + human.Wait(f.WaitMax, true)
	}
	waiting := waitingGoroutines(f)
	inferred := f.Root.Grade == GradeInferred
	if f.Category == CatLockCycle {
		return lockCycleTitle(f, since)
	}
	if waiting > 0 && f.Category == CatWaitGroupStuck && f.Chain[0].Category == CatWaitGroupStuck &&
		f.Chain[1].Category == CatChanSendBlocked {
		t := fmt.Sprintf("Wait cycle: %s in WaitGroup.Wait in %s while the %s they wait for are blocked sending their results to them%s",
			human.Plural(root.grp.Count, "goroutine"), rootFn, human.Plural(waiting, "goroutine"), since)
		if inferred {
			t = "Likely wait cycle (not proven: no creation record links them): " + strings.TrimPrefix(t, "Wait cycle: ")
		}
		return t
	}
	if waiting > 0 && (root.cls.category == CatChanSendBlocked || root.cls.category == CatChanRecvBlocked) && !inferred {
		// The stranded goroutines are the cause; those waiting for them
		// (a WaitGroup closer, a collector) are the victims.
		return fmt.Sprintf("%s %s in %s%s: %s; %s %s",
			human.Plural(root.grp.Count, "goroutine"), strandedPhrase(root.cls.category), rootFn, since, a.whoLeft(root),
			human.Plural(waiting, "goroutine"), waiterTail(f))
	}
	if waiting > 0 && inferred {
		return fmt.Sprintf("%s %s%s; holder not proven: likely %s blocked in %s",
			human.Plural(waiting, "goroutine"), a.waiterPhrase(f), since, human.Plural(root.grp.Count, "goroutine"), rootFn)
	}
	if waiting > 0 {
		return fmt.Sprintf("%s %s behind %s blocked in %s%s",
			human.Plural(waiting, "goroutine"), a.waiterPhrase(f), human.Plural(root.grp.Count, "goroutine"), rootFn, since)
	}
	switch {
	case isLockWaiter(root):
		on := "one lock"
		if root.object != 0 {
			on = fmt.Sprintf("lock 0x%x", root.object)
		}
		return fmt.Sprintf("%s queued on %s in %s%s; holder unknown", human.Plural(f.Goroutines, "goroutine"), on, rootFn, since)
	case isPoolWaiter(root):
		return fmt.Sprintf("%s queued for a database connection in %s%s; holder unknown", human.Plural(f.Goroutines, "goroutine"), rootFn, since)
	case root.cls.category == CatWaitGroupStuck && f.Category == CatWaitGroupStuck:
		return fmt.Sprintf("%s stuck in WaitGroup.Wait in %s%s; workers unknown", human.Plural(f.Goroutines, "goroutine"), rootFn, since)
	case f.Category == CatChanSendBlocked || f.Category == CatChanRecvBlocked:
		return fmt.Sprintf("%s %s in %s%s: %s", human.Plural(f.Goroutines, "goroutine"), strandedPhrase(f.Category), rootFn, since, a.whoLeft(root))
	}
	return fmt.Sprintf("%s %s in %s%s", human.Plural(f.Goroutines, "goroutine"), categoryPhrase(f.Category), rootFn, since)
}

// creatorCounterpart reports whether a goroutine's creator may be the
// other side of its wait, so that the creator's exit matters: a channel,
// a sync.Cond or WaitGroup it shared, a wait nothing else explains. A
// read from a server or a queue in a library is not waiting for whoever
// started the goroutine (a background job outlives its handler by design).
func creatorCounterpart(c Category) bool {
	switch c {
	case CatChanSendBlocked, CatChanRecvBlocked, CatCondWait, CatWaitGroupStuck, CatUnclassified, CatGoroutineLeak:
		return true
	}
	return false
}

// strandedPhrase says what stranded channel waiters do.
func strandedPhrase(c Category) string {
	if c == CatChanRecvBlocked {
		return "stranded on a channel receive"
	}
	return "stranded on a channel send"
}

// whoLeft names who left stranded channel waiters: their creator, when
// the dump names it and it is gone; their creator, when it is alive and
// itself blocked elsewhere (it is who should be on the other side); the
// function that started them (the one their closure belongs to, or their
// creator) when it is on no goroutine's stack any more; otherwise nobody
// is known to be on the other side.
func (a *analysis) whoLeft(n *node) string {
	other := "receivers"
	if n.cls.category == CatChanRecvBlocked {
		other = "senders"
	}
	if n.cls.parentGone {
		return fmt.Sprintf("their %s returned (their creator, goroutine %d, has exited)", other, n.cls.parentID)
	}
	starter := a.starter(n)
	if starter != "" && appFrame([]parser.Frame{{Func: starter}}, a.libPrefixes) == 0 && len(a.callSiteIndex()[starter]) == 0 {
		return fmt.Sprintf("their %s returned (%s, which started them, is on no goroutine's stack)", other, parser.ShortFunc(starter))
	}
	if p := a.byID[n.cls.parentID]; p != nil && n.cls.parentID != 0 && oneParent(n.grp) {
		// Started through a library (errgroup.Go) by a goroutine still
		// here: that goroutine is who should be on the other side.
		if pn := a.nodeOf[p]; pn != nil && p.Blocked() {
			return fmt.Sprintf("their creator, goroutine %d, is alive but itself blocked [%s] in %s", n.cls.parentID, stateOf(pn), parser.ShortFunc(blockingFunc(pn)))
		}
	}
	if starter != "" && len(a.callSiteIndex()[starter]) == 0 {
		return fmt.Sprintf("their %s returned (%s, which started them, is on no goroutine's stack)", other, parser.ShortFunc(starter))
	}
	if other == "senders" {
		return "nothing sends or closes the channel"
	}
	return "nobody receives"
}

// starter is the function that started a group's goroutines: the
// function its entry closure belongs to, else its creator; "" if neither
// is known.
func (a *analysis) starter(n *node) string {
	if enc := enclosingFunc(entryFunc(n)); enc != "" {
		return enc
	}
	if n.grp.CreatedBy != nil && parser.FuncClass(n.grp.CreatedBy.Func) != parser.ClassRuntime {
		return n.grp.CreatedBy.Func
	}
	return ""
}

// waiterTail says what the goroutines waiting on stranded ones do.
func waiterTail(f *Finding) string {
	verb := "wait"
	if waitingGoroutines(f) == 1 {
		verb = "waits"
	}
	for _, l := range f.Chain[1:] {
		if l.Depth == 1 && l.Category == CatWaitGroupStuck {
			return verb + " for them in WaitGroup.Wait"
		}
	}
	return verb + " for them"
}

// waiterPhrase says what the goroutines of a chain below its root do: as
// their signature says it (a semaphore is not a lock, a producer's send is
// not a pool), else as their category does.
func (a *analysis) waiterPhrase(f *Finding) string {
	for _, l := range f.Chain[1:] {
		if l.Depth == 1 {
			if w := a.linkWaiting(l); w != "" {
				return w
			}
			switch l.Category {
			case CatMutexConvoy:
				return "queued on a lock"
			case CatDBPoolExhausted:
				return "queued for a database connection"
			case CatWaitGroupStuck:
				return "waiting in WaitGroup.Wait"
			case CatChanSendBlocked:
				return "blocked sending"
			}
			return "waiting"
		}
	}
	return "waiting"
}

// explanationFor writes the paragraph: what is blocked, why the deadline
// cannot reach it, who waits behind it, and how sure the analysis is.
func (a *analysis) explanationFor(f *Finding, root *node) string {
	var b strings.Builder
	rootFn := "an unknown frame"
	if len(f.Chain) > 0 && f.Chain[0].Function != "" {
		rootFn = f.Chain[0].Function
	}
	fmt.Fprintf(&b, "%s %s blocked in %s", human.Plural(root.grp.Count, "goroutine"), isAre(root.grp.Count), rootFn)
	if root.grp.WaitKnown > 0 {
		fmt.Fprintf(&b, " and %s been for %s", hasHave(root.grp.Count), human.WaitRange(root.grp.WaitMin, root.grp.WaitMax, true))
	} else {
		b.WriteString(" (the capture prints no wait duration for them)")
	}
	b.WriteString(". ")
	if root.cls.why != "" {
		b.WriteString(upperFirst(root.cls.why))
		b.WriteString(". ")
	} else if root.grp.Status.String() == "running" || root.grp.Status.String() == "runnable" {
		b.WriteString("The root is not blocked: it is " + root.grp.Status.String() + ", so whatever it holds is held by work in progress (a CPU-bound loop under the lock, or a holder that never releases). ")
	}
	if root.cls.watcherMissing {
		b.WriteString("No context-watcher goroutine of this driver exists in the capture, which means the calls were made with a context that can never be cancelled (context.Background(), or GORM without WithContext). ")
	}
	if root.cls.scope != scopeNone && f.Category != CatHTTPServerNoTimeout && f.Category != CatResourceLeak {
		fmt.Fprintf(&b, "They are request-scoped (%s): a caller is waiting on each of them, far past any sane deadline. ", root.cls.scope)
	}
	if root.cls.parentGone && creatorCounterpart(root.cls.category) {
		fmt.Fprintf(&b, "The goroutine that created them (goroutine %d) has exited: nobody is left to receive, send or release. ", root.cls.parentID)
	}
	for _, l := range f.Chain[1:] {
		if l.Depth != 1 {
			continue
		}
		switch l.Relation {
		case RelSameObject:
			if noun := queueNoun(l.Category); noun != "" {
				fmt.Fprintf(&b, "%s more in %s queue on the same %s. ", human.Plural(l.Goroutines, "goroutine"), parser.ShortFunc(l.Function), noun)
			} else {
				fmt.Fprintf(&b, "Another %s, from a different stack, %s stuck the same way in %s. ", human.Plural(l.Goroutines, "goroutine"), isAre(l.Goroutines), parser.ShortFunc(l.Function))
			}
		case RelCycle:
		default:
			obj := ""
			if l.Object != 0 {
				obj = fmt.Sprintf(" 0x%x", l.Object)
			}
			fmt.Fprintf(&b, "%s in %s wait on them", human.Plural(l.Goroutines, "goroutine"), parser.ShortFunc(l.Function))
			if w := a.linkWaiting(l); w != "" {
				fmt.Fprintf(&b, ", %s", w)
				if l.Object != 0 {
					fmt.Fprintf(&b, " (0x%x)", l.Object)
				}
			} else if noun := queueNoun(l.Category); noun != "" {
				fmt.Fprintf(&b, " (%s%s)", noun, obj)
			}
			if l.WaitKnown {
				fmt.Fprintf(&b, ", the longest for %s", human.Wait(l.WaitMax, true))
			}
			b.WriteString(". ")
		}
	}
	if f.Category == CatWaitGroupStuck && len(f.Chain) > 1 && f.Chain[0].Category == CatWaitGroupStuck && f.Chain[1].Category == CatChanSendBlocked {
		b.WriteString("This is a wait cycle: Wait is called before the results channel is drained, and a worker blocked on its send never reaches Done. Drain the channel concurrently (or size its buffer for every worker) and close it after Wait. ")
	}
	if f.Category == CatHTTPServerNoTimeout {
		b.WriteString(serverConnBreakdown(f))
	}
	if f.Category == CatMutexConvoy && len(f.Chain) > 0 && f.Chain[0].Category == CatMutexConvoy {
		b.WriteString("No holder could be identified: it may be running (a CPU-bound loop under the lock), or the lock was never released (an Unlock missing on an error path or after a panic). ")
	}
	if f.Category == CatDBPoolExhausted && len(f.Chain) > 0 && f.Chain[0].Category == CatDBPoolExhausted {
		b.WriteString("No goroutine holding a connection is blocked: connections are likely leaked (a *sql.Rows not closed, a *sql.Tx neither committed nor rolled back), or held by goroutines that are busy. ")
	}
	if root.cls.app >= 0 {
		fr := root.grp.Frames[root.cls.app]
		fmt.Fprintf(&b, "The first application frame is %s at %s.", fr.Func, fr.Location())
	}
	return strings.TrimSpace(b.String())
}

// linkWaiting is the Waiting phrase of the signature a link's goroutines
// matched, "" if none.
func (a *analysis) linkWaiting(l Link) string {
	if l.Group == nil || len(l.Group.Members) == 0 {
		return ""
	}
	n := a.nodeOf[l.Group.Members[0]]
	if n == nil || !n.cls.matched || n.cls.background {
		return ""
	}
	return n.cls.match.sig.Waiting
}

func queueNoun(c Category) string {
	switch c {
	case CatMutexConvoy, CatLockCycle:
		return "lock"
	case CatDBPoolExhausted:
		return "connection pool"
	case CatWaitGroupStuck:
		return "WaitGroup"
	}
	return ""
}

// upperFirst capitalises a sentence, but not one that starts with an
// import path or identifier ("lib/pq", "go-redis", "time.Sleep").
func upperFirst(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || strings.ContainsAny(first, "/.()-") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// serverConnBreakdown splits the connections of an http-server-no-timeout
// finding by what they wait for, since each is bounded by another timeout:
// a request stalled mid-headers or mid-body (ReadHeaderTimeout,
// ReadTimeout), an idle keep-alive connection (IdleTimeout), a response
// the client does not read (WriteTimeout).
func serverConnBreakdown(f *Finding) string {
	var midRequest, idle, writing int
	for _, grp := range chainGroups(f) {
		switch {
		case hasFrame(grp.Frames, "net/http.(*conn).readRequest"):
			midRequest += grp.Count
		case hasFrame(grp.Frames, "net.(*conn).Write"):
			writing += grp.Count
		case hasFrame(grp.Frames, "net/http.(*connReader).Read"):
			idle += grp.Count
		}
	}
	var parts []string
	if midRequest > 0 {
		parts = append(parts, fmt.Sprintf("%s stopped sending mid-request (bounded by ReadHeaderTimeout and ReadTimeout)", connections(midRequest)))
	}
	if idle > 0 {
		parts = append(parts, fmt.Sprintf("%s sat idle between keep-alive requests (bounded by IdleTimeout)", connections(idle)))
	}
	if writing > 0 {
		parts = append(parts, fmt.Sprintf("%s got stuck writing a response the client does not read (bounded by WriteTimeout)", connections(writing)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Of these, " + strings.Join(parts, "; ") + ". "
}

func connections(n int) string {
	if n == 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// lockCycleTitle names a lock-order deadlock by its members: the links of
// the cycle (the closing "cycle" link repeats the root and is not counted)
// and the goroutines queued behind them.
func lockCycleTitle(f *Finding, since string) string {
	members := 0
	for _, l := range f.Chain {
		if l.Category == CatLockCycle && l.Relation != RelCycle {
			members += l.Goroutines
		}
	}
	other := "the next one wants"
	if members == 2 {
		other = "the other wants"
	}
	title := fmt.Sprintf("Lock-order deadlock: %d goroutines each hold a lock %s", members, other)
	if queued := f.Goroutines - members; queued > 0 {
		title += fmt.Sprintf("; %d more queue behind them", queued)
	}
	return title + since
}
