package detectors

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ctxhole/ctxhole/parser"
)

// pass is one step of the analysis. Passes run in order over the shared
// analysis state; each reads what earlier ones built.
type pass struct {
	name string
	run  func(*analysis) error
}

// passes lists the analysis steps. Trace- and profile-derived passes are
// added here with one line each.
func (a *analysis) passes() []pass {
	return []pass{
		{"trace-snapshot", (*analysis).traceSnapshot}, // a trace alone: its goroutines become the snapshot
		{"classify", (*analysis).classify},
		{"trace-idle", (*analysis).traceIdle}, // trace-only: brief blocks are not stuck; stranded channel waiters are
		{"locks", (*analysis).linkLocks},
		{"recursive-locks", (*analysis).recursiveLocks}, // a lock held further up the waiter's own stack
		{"pools", (*analysis).linkPools},
		{"held-by", (*analysis).linkHeldBy}, // library queues → the goroutines that hold them
		{"spawned", (*analysis).linkSpawned},
		{"one-lock-dump", (*analysis).unifyLocks}, // one holder per lock before cycles are read
		{"cycles", (*analysis).findCycles},
		{"resources", (*analysis).findResourceLeaks}, // orphaned resources: library goroutines outliving their users
		{"trace-links", (*analysis).traceLinks},      // wake history and timing links
		{"one-lock", (*analysis).unifyLocks},         // every waiter on one lock behind one holder
		{"chains", (*analysis).buildChains},
		{"trace-history", (*analysis).traceHistory}, // chains the trace saw form and resolve
		{"starvation", (*analysis).starvation},      // CPU-bound work holding every P (traces; dumps as a guess)
		{"leaks", (*analysis).findLeaks},
		{"trace-leaks", (*analysis).traceLeaks},           // groups a trace saw accumulate
		{"trace-timing", (*analysis).traceTiming},         // link start/end, wakes, trace evidence
		{"contention", (*analysis).joinContention},        // mutex/block profile delay at the chain's sites
		{"unexplained", (*analysis).unexplained},          // nothing blocked a minute or more is dropped
		{"runtime-verdicts", (*analysis).runtimeVerdicts}, // "all goroutines are asleep", "test timed out"
		{"rank", (*analysis).rank},
	}
}

// analysis is the state the passes share.
type analysis struct {
	opts    Options
	capture *parser.Capture
	// sigIdx and bgIdx are sigs and bgSigs compiled once.
	sigIdx, bgIdx *sigIndex
	// idleIdx is the idle rows' signatures (idle) compiled once, in the
	// same order.
	idleIdx *sigIndex
	// splitFrames is how many frames a snapshot needs before the
	// argument-word scan is split across the cores (wordHits).
	splitFrames int
	// snap is the snapshot diagnosed: the latest of the richest format,
	// the latest state of the process. series are the snapshots of that
	// format in time order, for growth (leaks).
	snap   *parser.Snapshot
	series []*parser.Snapshot
	sigs   []Signature // hole rows: user rows first, then the built-in tables
	bgSigs []Signature // background rows
	idle   []idleRow   // idle-by-design waits (idle.go)
	// resRows are the resource rows (resources.go), set by the resources
	// pass.
	resRows []resourceRow
	// libPrefixes are the user signatures' libraries: not application code.
	libPrefixes []string

	nodes  []*node
	byID   map[int64]*parser.Goroutine
	nodeOf map[*parser.Goroutine]*node
	// edgeOf holds every live edge by its waiter and holder: one edge per
	// pair, found without scanning the waiter's out list.
	edgeOf map[edgeKey]*edge
	// dropped lists the edges removed since the last sweep (dropEdge); the
	// holders' in lists still hold them until sweepDropped.
	dropped []*edge

	findings []*Finding
	// findingTexts indexes each finding's reasons and evidence
	// (addReason, addEvidence).
	findingTexts map[*Finding]*findingTexts

	// siteIndex maps function names and receiver types to the groups
	// holding them (callSiteIndex), nil until first used.
	siteIndex map[string][]*node
	// siteCache holds the scored holder candidates per lock site
	// (siteCandidates), filled as sites are met.
	siteCache map[string][]siteCandidate
	// recursive describes the readers that wait for a read lock they
	// already hold (recursiveLocks), for the cycle's title.
	recursive map[*node]string
	// pinned is the finding the runtime's own verdict names (a proven
	// deadlock, a hung test): it ranks first.
	pinned *Finding
}

// node is one group of identical goroutines of the analyzed snapshot,
// split further by the object they wait on (a lock, a pool) when members of
// one stack wait on different objects.
type node struct {
	grp *parser.Group
	// origin is the group this node was split from (grp itself when not
	// split): nodes of one origin share a stack.
	origin *parser.Group
	cls    classification
	// object is the address the members wait on (lock, *sql.DB,
	// WaitGroup), 0 if none or unknown; objectCertain is false when the
	// word was printed with "?".
	object        uint64
	objectCertain bool
	out           []*edge // what this node waits on
	in            []*edge // who waits on this node
	// finding is the finding this node was reported in, nil if none yet.
	finding *Finding
	cycle   bool
}

// edge says that waiter waits on holder: a lock it holds, a pool
// connection, a worker it spawned.
type edge struct {
	waiter, holder *node
	rel            Relation
	object         uint64
	grade          Grade
	confidence     float64
	evidence       []Evidence
	reason         string
	// explain, when set, writes reason and evidence the first time they
	// are read (explained): the linking passes can propose many edges
	// that later passes drop, and formatting each proposal cost more than
	// finding it.
	explain func(*edge)
	// dropped is set when the edge was removed (dropEdge) and waits for
	// sweepDropped to leave its holder's in list.
	dropped bool
}

// explained returns e with its reason and evidence written (see explain).
func (e *edge) explained() *edge {
	if f := e.explain; f != nil {
		e.explain = nil
		f(e)
	}
	return e
}

// edgeKey identifies an edge: at most one links a waiter to a holder.
type edgeKey struct{ waiter, holder *node }

// PhaseGrouping is the Progress phase while the snapshot's goroutines are
// grouped, before the passes (each reported by its name).
const PhaseGrouping = "grouping"

// Analyze diagnoses a capture: it classifies the stuck goroutines of the
// latest snapshot, links them into blocking chains, finds leaks across
// snapshots and returns the findings ranked, principal root cause first.
func Analyze(c *parser.Capture, opts Options) (*Diagnosis, error) {
	if c == nil {
		return nil, errors.New("detectors: no capture")
	}
	for i := range opts.Signatures {
		if err := opts.Signatures[i].validate(); err != nil {
			return nil, fmt.Errorf("detectors: user signature %d: %w", i, err)
		}
	}
	if opts.Progress != nil {
		opts.Progress(parser.Progress{Phase: PhaseGrouping})
	}
	a := newAnalysis(c, opts)
	goroutines := 0
	if a.snap != nil {
		goroutines = a.snap.Count()
	}
	for _, p := range a.passes() {
		if opts.Progress != nil {
			opts.Progress(parser.Progress{Phase: p.name, Goroutines: goroutines})
		}
		if err := p.run(a); err != nil {
			return nil, fmt.Errorf("detectors: %s: %w", p.name, err)
		}
	}
	if a.findings == nil {
		a.findings = []*Finding{}
	}
	return &Diagnosis{Findings: a.findings}, nil
}

func newAnalysis(c *parser.Capture, opts Options) *analysis {
	a := &analysis{opts: opts, capture: c, idle: idleRows(), splitFrames: 1 << 16}
	for _, s := range opts.Signatures {
		s.Priority = prioUser
		if s.Background {
			a.bgSigs = append(a.bgSigs, s)
		} else {
			a.sigs = append(a.sigs, s)
		}
		if s.Library != "" {
			a.libPrefixes = append(a.libPrefixes, s.Library)
		}
	}
	a.sigs = append(a.sigs, builtinSignatures()...)
	a.bgSigs = append(a.bgSigs, backgroundSignatures()...)
	a.sigIdx, a.bgIdx = newSigIndex(a.sigs), newSigIndex(a.bgSigs)
	idleSigs := make([]Signature, len(a.idle))
	for i := range a.idle {
		idleSigs[i] = a.idle[i].sig
	}
	a.idleIdx = newSigIndex(idleSigs)
	if len(c.Snapshots) == 0 {
		return a
	}
	a.series = pickSeries(c.Moments())
	a.snap = a.series[len(a.series)-1]
	a.byID = make(map[int64]*parser.Goroutine, len(a.snap.Goroutines))
	for _, g := range a.snap.Goroutines {
		if g.ID != 0 {
			a.byID[g.ID] = g
		}
	}
	a.nodeOf = make(map[*parser.Goroutine]*node, len(a.snap.Goroutines))
	for _, grp := range a.snap.Groups() {
		for _, n := range splitByObject(grp) {
			a.nodes = append(a.nodes, n)
			for _, m := range n.grp.Members {
				a.nodeOf[m] = n
			}
		}
	}
	return a
}

// builtinSignatures assembles the built-in hole tables with their
// priorities: libraries, then the standard library, then bare reasons.
func builtinSignatures() []Signature {
	var out []Signature
	add := func(prio int, rows []Signature) {
		for _, r := range rows {
			if r.Priority == 0 {
				r.Priority = prio
			}
			out = append(out, r)
		}
	}
	add(prioLibrary, dbSignatures())
	add(prioLibrary, netSignatures())
	add(prioLibrary, clientSignatures())
	add(prioStdlib, stdlibSignatures())
	add(prioGeneric, genericSignatures())
	return out
}

// addEdge records that waiter waits on holder. A pair already linked
// keeps one edge, the better established of the two (better): addEdge
// returns the edge that now carries e's facts (e itself, or the older edge
// updated with them), or nil when e was discarded. Callers that explain a
// link with formatted text build it on the returned edge only, so
// candidates that lose cost no formatting.
func (a *analysis) addEdge(e *edge) *edge {
	if e.waiter == e.holder {
		return nil
	}
	k := edgeKey{e.waiter, e.holder}
	if old, ok := a.edgeOf[k]; ok {
		if !better(e, old) {
			return nil
		}
		old.confidence, old.evidence, old.reason, old.rel, old.object, old.grade = e.confidence, e.evidence, e.reason, e.rel, e.object, e.grade
		old.explain = e.explain
		return old
	}
	if a.edgeOf == nil {
		a.edgeOf = make(map[edgeKey]*edge)
	}
	a.edgeOf[k] = e
	e.waiter.out = append(e.waiter.out, e)
	e.holder.in = append(e.holder.in, e)
	return e
}

// dropEdge removes e from the graph. The caller removes it from its
// waiter's out list; its holder's in list keeps it, marked, until
// sweepDropped, so that dropping many edges of one holder stays linear.
func (a *analysis) dropEdge(e *edge) {
	if e.dropped {
		return
	}
	e.dropped = true
	delete(a.edgeOf, edgeKey{e.waiter, e.holder})
	a.dropped = append(a.dropped, e)
}

// sweepDropped removes the edges dropped since the last sweep from their
// holders' in lists, keeping the order of the rest.
func (a *analysis) sweepDropped() {
	swept := make(map[*node]bool)
	for _, e := range a.dropped {
		if h := e.holder; !swept[h] {
			swept[h] = true
			h.in = slices.DeleteFunc(h.in, func(x *edge) bool { return x.dropped })
		}
	}
	a.dropped = a.dropped[:0]
}

// better reports whether edge e is better established than old: a
// stronger grade first, then a higher confidence.
func better(e, old *edge) bool {
	if e.grade.strength() != old.grade.strength() {
		return e.grade.strength() > old.grade.strength()
	}
	return e.confidence > old.confidence
}

// formatRichness orders goroutine formats by what they carry: full dumps
// have IDs, states, waits and argument words; aggregated formats do not.
func formatRichness(f parser.Format) int {
	switch f {
	case parser.FormatGoroutineText:
		return 3
	case parser.FormatGoroutineDebug1, parser.FormatGoroutineProto:
		return 2
	}
	return 1
}

// pickSeries returns, of the moments of a capture (one snapshot per
// instant, Capture.Moments), those of the richest format present, in time
// order when every one has a capture time, else in input order. Mixing
// formats would fake growth (an aggregated record per stack against one
// goroutine per record) and lose the IDs that tell a leak from churn.
func pickSeries(snaps []*parser.Snapshot) []*parser.Snapshot {
	best := 0
	for _, s := range snaps {
		best = max(best, formatRichness(s.Source.Format))
	}
	var out []*parser.Snapshot
	timed := true
	for _, s := range snaps {
		if formatRichness(s.Source.Format) == best {
			out = append(out, s)
			timed = timed && !s.Source.Time.IsZero()
		}
	}
	if timed {
		slices.SortStableFunc(out, func(x, y *parser.Snapshot) int { return x.Source.Time.Compare(y.Source.Time) })
	}
	return out
}
