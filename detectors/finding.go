// Package detectors turns a parsed capture into findings: each stuck
// goroutine group classified into a timeout-hole category, linked into
// blocking chains (waiters → holder → what the holder waits on) and ranked so
// that the first finding is the principal root cause.
package detectors

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// Category is a stable finding category ID, used in JSON output.
type Category string

// The categories of timeout holes ctxhole recognises.
const (
	CatDBDriverNoCtx        Category = "db-driver-no-ctx"
	CatDBPoolExhausted      Category = "db-pool-exhausted"
	CatHTTPClientNoTimeout  Category = "http-client-no-timeout"
	CatHTTPServerNoTimeout  Category = "http-server-no-timeout"
	CatGRPCStreamNoDeadline Category = "grpc-stream-no-deadline"
	CatIONoDeadline         Category = "io-no-deadline"
	CatChanSendBlocked      Category = "chan-send-blocked"
	CatChanRecvBlocked      Category = "chan-recv-blocked"
	CatNilChannel           Category = "nil-channel"
	CatEmptySelect          Category = "empty-select"
	CatMutexConvoy          Category = "mutex-convoy"
	CatLockCycle            Category = "lock-cycle"
	CatWaitGroupStuck       Category = "waitgroup-stuck"
	CatCondWait             Category = "cond-wait"
	CatGoroutineLeak        Category = "goroutine-leak"
	CatSyscallBlocked       Category = "syscall-blocked"
	CatSleepPoll            Category = "sleep-poll"
	CatSchedStarvation      Category = "sched-starvation"
	CatUnclassified         Category = "unclassified-blocked"
	// CatResourceLeak is a resource (a response body, a gRPC stream, a
	// *sql.DB, a transaction) whose library goroutines outlive every user:
	// Finding.Resource names the kind.
	CatResourceLeak Category = "resource-leak"
)

// Categories lists every category in documentation order.
func Categories() []Category {
	return []Category{
		CatDBDriverNoCtx, CatDBPoolExhausted, CatHTTPClientNoTimeout, CatHTTPServerNoTimeout,
		CatGRPCStreamNoDeadline, CatIONoDeadline, CatChanSendBlocked, CatChanRecvBlocked,
		CatNilChannel, CatEmptySelect, CatMutexConvoy, CatLockCycle, CatWaitGroupStuck, CatCondWait,
		CatGoroutineLeak, CatResourceLeak, CatSyscallBlocked, CatSleepPoll, CatSchedStarvation, CatUnclassified,
	}
}

// Severity orders findings by how much they matter to the incident.
type Severity int

// Severities, lowest first.
const (
	SevInfo Severity = iota
	SevLow
	SevMedium
	SevHigh
	SevCritical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText encodes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(n, name) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", name, strings.Join(severityNames[:], ", "))
}

// Diagnosis is what Analyze concludes about one capture: its findings,
// ranked.
type Diagnosis struct {
	// Findings in rank order: the first is the principal root cause.
	Findings []*Finding
}

// Finding is one diagnosed hole: which goroutines are stuck, why the
// deadline cannot reach them, who is at the root, and what to change.
type Finding struct {
	Category   Category
	Severity   Severity
	Confidence float64  // 0–1
	Reasons    []string // why this confidence: what matched, what is missing
	// Title is the one-sentence diagnosis; Explanation the paragraph an
	// expert would write (why the deadline cannot reach the blocked code).
	Title       string
	Explanation string

	// Goroutines is the number of goroutines the finding covers (all
	// links of its chain), IDs a sample of their IDs in ascending order.
	Goroutines int
	IDs        []int64
	// WaitMin and WaitMax span the known wait durations; WaitKnown is
	// false when no goroutine of the finding printed one.
	WaitMin, WaitMax time.Duration
	WaitKnown        bool

	Root     Root
	Chain    []Link
	Evidence []Evidence
	Fix      Fix

	// Resource is the kind of resource a resource-leak finding is about
	// ("http-response-body", "grpc-client-stream", "sql.DB", "sql-tx",
	// "sql-rows", "http-idle-connections"); empty for other categories.
	Resource string
	// Growth is set for leaks seen across several snapshots.
	Growth *Growth
	// Contention cites the mutex/block profile samples that explain this
	// finding (the delay recorded at its lock site).
	Contention []ContentionCite
	// Score is the ranking weight (chain size × severity); higher first.
	Score float64
	// TraceEnd is the length of the execution trace that timed this
	// finding's links (offsets run from 0 to it; a link still blocked, End
	// -1, lasts until it). 0 when no link is timed.
	TraceEnd time.Duration
}

// Root is the goroutine at the bottom of a finding's chain: the one whose
// blocking explains the rest.
type Root struct {
	GoroutineID int64 // 0 for aggregated formats
	Group       *parser.Group
	Frames      []parser.Frame
	// AppFrame is the index in Frames of the first application frame (not
	// runtime, standard library or a known third-party library); -1 if
	// none.
	AppFrame  int
	State     string
	Wait      time.Duration
	WaitKnown bool
	// Since is the trace offset at which the root blocked, when a trace
	// shows it; Timed is false otherwise.
	Since time.Duration
	Timed bool
	// BlockedAt is the wall-clock time the root blocked, when a trace
	// that carries a clock (Go 1.25+) saw it block (a trace spanning the
	// onset, such as a flight-recorder window); zero otherwise.
	BlockedAt time.Time
	// Grade says how the root was established (the root link's grade);
	// Basis says it in one sentence: what proves it, or what was looked for
	// and not found.
	Grade Grade
	Basis string
}

// Grade says how a chain link, or a finding's root, was established, so
// that a guess never reads like a proof.
type Grade string

// Evidence grades, strongest first.
const (
	// GradeProven: the capture itself shows it: the same object address in
	// both stacks, an execution-trace wake edge, a lock cycle by
	// addresses, the runtime's own "all goroutines are asleep".
	GradeProven Grade = "proven"
	// GradeStructural: call-site structure that cannot be otherwise: the
	// holder is inside the locking function past the Lock call's line, a
	// WaitGroup waiter's own children are the blocked workers, the
	// goroutine's own stack is the blocking call.
	GradeStructural Grade = "structural"
	// GradeInferred: a heuristic: a closure of the same function, a
	// method of the same type, a goroutine blocked in a driver, a count
	// that matches.
	GradeInferred Grade = "inferred"
)

// Grades lists the grades, strongest first.
func Grades() []Grade { return []Grade{GradeProven, GradeStructural, GradeInferred} }

// strength orders grades: proven 3, structural 2, inferred 1, unset 0.
func (g Grade) strength() int {
	switch g {
	case GradeProven:
		return 3
	case GradeStructural:
		return 2
	case GradeInferred:
		return 1
	}
	return 0
}

// weakestGrade returns the weaker of two grades; an unset grade is ignored.
func weakestGrade(x, y Grade) Grade {
	switch {
	case x == "":
		return y
	case y == "":
		return x
	case y.strength() < x.strength():
		return y
	}
	return x
}

// Relation names how a link of a chain relates to the link above it.
type Relation string

// Relations between chain links.
const (
	RelRoot       Relation = "root"        // the root itself
	RelWaitsOn    Relation = "waits-on"    // this link waits for the link above (a lock, a pool slot, a channel)
	RelHolds      Relation = "holds"       // this link holds what the waiters want
	RelBlockedOn  Relation = "blocked-on"  // what the holder is itself blocked on (network, syscall)
	RelSpawnedBy  Relation = "spawned-by"  // created by the goroutine of the link above
	RelServes     Relation = "serves"      // server connection → handler → downstream call
	RelWokenBy    Relation = "woken-by"    // trace: released by the link above
	RelCycle      Relation = "cycle"       // closes a lock-order cycle
	RelSameObject Relation = "same-object" // waits on the same object (lock, pool) by address
	RelSameSite   Relation = "same-site"   // stuck the same way at the same call site or signature, from another stack
)

// Link is one step of a blocking chain. Chains are trees flattened in
// pre-order: Depth 0 is the root, and each link relates to the nearest
// link above it with a smaller depth.
type Link struct {
	Depth    int
	Relation Relation
	// Grade says how this link's relation to the link above it was
	// established; for the root link, how the root was.
	Grade      Grade
	Category   Category
	Goroutines int
	IDs        []int64
	// Function, File and Line name the link's most telling frame (the
	// blocking call, or the first application frame).
	Function  string
	File      string
	Line      int
	State     string
	WaitMax   time.Duration
	WaitKnown bool
	Group     *parser.Group
	// Object is the shared word that links this group to its neighbour (a
	// lock or pool address), 0 if the link is not by address.
	Object uint64
	// Trace timing, offsets from the trace start; Timed is false for
	// links from dumps. End is -1 for a block that never ended.
	Start, End time.Duration
	Timed      bool
	// Wakes are the trace wake edges that justify this link.
	Wakes []*parser.WakeEdge
}

// Evidence is one observation a finding rests on.
type Evidence struct {
	// Kind says what was observed: "frame", "state", "wait", "argument",
	// "created-by", "profile", "trace", "snapshot-growth", "preamble".
	Kind string
	Text string
	// GoroutineID and Frame point at the observation when it is one.
	GoroutineID int64
	Frame       *parser.Frame
}

// Fix is what to change.
type Fix struct {
	Summary string // one line, shown in tables
	Detail  string // the why and the trade-offs
	Code    string // a short Go example
}

// Growth is how fast a group grew across snapshots of one process.
type Growth struct {
	From, To  int // counts in the first and last snapshot
	Snapshots int
	// PerMinute is the growth rate when the snapshots' times are known;
	// RateKnown is false otherwise.
	PerMinute float64
	RateKnown bool
}

// ContentionCite is one contention-profile sample joined to a finding.
type ContentionCite struct {
	Kind     string // "mutex" or "block"
	Function string
	File     string
	Line     int
	Count    int64
	Delay    time.Duration
}
