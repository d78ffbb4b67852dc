package report

import "time"

// SchemaVersion is the version of the JSON document WriteJSON produces. It
// changes only when a field is removed or changes meaning; fields are added
// within a version. docs/schema/report.v2.json is its JSON Schema.
const SchemaVersion = "2"

// The types below are the JSON document, kept apart from the detectors'
// Finding so that the published schema does not move when the detectors'
// internals do. Every string that comes from a capture has been through
// parser.CleanText. Durations are seconds (float) with a separate
// "wait_known" flag: a goroutine dump prints waits only in whole minutes and
// only once a GC has stamped the goroutine, so 0 with wait_known=false means
// "not printed", not "short". Trace offsets are integer nanoseconds from the
// trace's first event.

// Document is the whole `ctxhole analyze -o json` output.
type Document struct {
	SchemaVersion string    `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	Inputs        []Input   `json:"inputs"`
	Summary       Summary   `json:"summary"`
	Groups        []Group   `json:"groups"`
	Findings      []Finding `json:"findings"`
}

// Tool identifies the program that wrote the document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Input kinds.
const (
	KindGoroutines = "goroutines" // a goroutine snapshot (dump or profile)
	KindContention = "contention" // a mutex or block profile
	KindTrace      = "trace"      // an execution trace
	// KindLeakProfile is Go 1.26's goroutineleak profile read beside
	// goroutine snapshots: evidence about their goroutines (those it
	// proves leaked are marked so), not a moment of its own.
	KindLeakProfile = "leak-profile"
)

// Input is one snapshot, contention profile or trace read from the inputs,
// in the order read. Groups refer to their snapshot by its index here.
type Input struct {
	Kind   string `json:"kind"`
	File   string `json:"file"`
	Format string `json:"format"`
	// Index is the position among the snapshots of the same file; Line the
	// 1-based line where the snapshot starts (text formats).
	Index      int    `json:"index"`
	Line       int    `json:"line,omitempty"`
	CapturedAt string `json:"captured_at,omitempty"` // RFC 3339, when known
	// Goroutines counts the snapshot's goroutines (each goroutine of an
	// aggregated record counted); DeclaredTotal is the total the capture
	// itself states, when it states one.
	Goroutines    int `json:"goroutines,omitempty"`
	DeclaredTotal int `json:"declared_total,omitempty"`
	// Primary marks the snapshot kept for its moment: several captures of
	// one instant (a bundle's debug=2, debug=1 and proto; a SIGQUIT dump
	// and the same dump in kubectl's log) are one moment, of which the
	// richest is counted in the summary (parser.Capture.Moments). Moment
	// numbers the distinct moments in capture order (primaries only).
	Primary bool `json:"primary,omitempty"`
	// ByState counts a primary snapshot's goroutines as Summary.ByState
	// does; across moments it shows which states grew.
	ByState   map[string]int `json:"by_state,omitempty"`
	Moment    int            `json:"moment,omitempty"`
	Truncated bool           `json:"truncated,omitempty"`
	Preamble  *Preamble      `json:"preamble,omitempty"`
	// ProfileKind ("mutex" or "block") and Samples describe a contention
	// profile.
	ProfileKind string `json:"profile_kind,omitempty"`
	Samples     int    `json:"samples,omitempty"`
	// DurationS is a trace's span in seconds; TraceGoroutines the number
	// of goroutines it describes (those alive when it ended and those that
	// blocked before exiting).
	DurationS       float64 `json:"duration_s,omitempty"`
	TraceGoroutines int     `json:"trace_goroutines,omitempty"`
}

// Preamble is what the runtime printed before the goroutines.
type Preamble struct {
	Panic        []string `json:"panic,omitempty"`
	Fatal        string   `json:"fatal,omitempty"`
	Signal       string   `json:"signal,omitempty"`
	TestTimeout  string   `json:"test_timeout,omitempty"`
	RunningTests []string `json:"running_tests,omitempty"`
	Deadlock     bool     `json:"deadlock,omitempty"`
}

// Summary is the capture at a glance. It is present, with these fields, in
// every version of the schema.
type Summary struct {
	// Goroutines is the number of goroutines parsed, counting each
	// goroutine of aggregated formats, over the distinct moments captured
	// (several captures of one instant count once: see Input.Primary).
	// Snapshots is how many goroutine snapshots were read, Moments how
	// many distinct moments they show.
	Goroutines int `json:"goroutines"`
	Snapshots  int `json:"snapshots"`
	Moments    int `json:"moments"`
	// ByState counts goroutines by normalised wait reason, or by status
	// for goroutines that are not waiting ("running", "runnable",
	// "syscall"), over the same snapshots as Goroutines. Its values add up
	// to Goroutines.
	ByState map[string]int `json:"by_state"`
	// LongestWaits are the groups with the longest known waits, longest
	// first, of the latest moment's primary snapshot; the runtime's own
	// goroutines are left out.
	LongestWaits []LongestWait `json:"longest_waits"`
	// Warnings are everything the parser skipped, repaired or could not
	// read, and where.
	Warnings []Warning `json:"warnings"`
	// Truncated is set when any snapshot or trace was cut short;
	// Deadlock when the runtime itself declared a global deadlock.
	Truncated bool `json:"truncated"`
	Deadlock  bool `json:"deadlock"`
	// Findings counts the findings; BySeverity counts them per severity.
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"by_severity"`
}

// LongestWait is one group among those waiting longest.
type LongestWait struct {
	Input      int     `json:"input"`
	Goroutines int     `json:"goroutines"`
	State      string  `json:"state"`
	WaitMaxS   float64 `json:"wait_max_s"`
	Function   string  `json:"function"`
	File       string  `json:"file"`
	Line       int     `json:"line"`
}

// Warning is one parser warning. Line is 0 when the position is not a text
// line; Offset is -1 when no byte offset is known.
type Warning struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Offset  int64  `json:"offset"`
	Message string `json:"message"`
}

// Frame is one stack frame.
type Frame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// CreatedBy is a goroutine's "created by" line.
type CreatedBy struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	// ParentGoroutine is the creating goroutine (Go 1.21+), 0 if unknown.
	ParentGoroutine int64 `json:"parent_goroutine,omitempty"`
}

// Group is a set of identical goroutines (same state, frames and creator)
// of one snapshot: parser.Snapshot.Groups per primary snapshot (one per
// moment captured), largest first.
type Group struct {
	Input  int    `json:"input"`
	Count  int    `json:"count"`
	Status string `json:"status"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// WaitMinS and WaitMaxS span the known waits; WaitKnownGoroutines
	// counts the members whose wait the runtime printed.
	WaitKnown           bool    `json:"wait_known"`
	WaitKnownGoroutines int     `json:"wait_known_goroutines"`
	WaitMinS            float64 `json:"wait_min_s"`
	WaitMaxS            float64 `json:"wait_max_s"`
	// GoroutineIDs are the members' IDs, ascending (empty for aggregated
	// formats, which carry no IDs).
	GoroutineIDs   []int64 `json:"goroutine_ids"`
	LockedToThread int     `json:"locked_to_thread,omitempty"`
	TopFrame       *Frame  `json:"top_frame,omitempty"`
	// AppFrame is the first application frame (not runtime, standard
	// library or a well-known library), AppFrameIndex its index in Stack;
	// absent / -1 when there is none.
	AppFrame      *Frame     `json:"app_frame,omitempty"`
	AppFrameIndex int        `json:"app_frame_index"`
	Stack         []Frame    `json:"stack"`
	Elided        int        `json:"elided,omitempty"`
	CreatedBy     *CreatedBy `json:"created_by,omitempty"`
	// Labels are the pprof labels every member carries, sorted by key.
	Labels []Label `json:"labels,omitempty"`
}

// Label is one pprof label (goroutine profile, protobuf format).
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// DisplayState is the group's state as every view shows it: the state word
// the capture printed, else its wait reason, else its status.
func (g *Group) DisplayState() string {
	switch {
	case g.State != "":
		return g.State
	case g.Reason != "":
		return g.Reason
	}
	return g.Status
}

// Finding is one diagnosed timeout hole, in rank order: the first finding
// of a document is the principal root cause.
type Finding struct {
	Rank int `json:"rank"`
	// ID is the finding's stable identity: a fingerprint of its category,
	// root function and the root's first application function ("f-" and
	// 12 hex digits, see findingID), the same for the same hole in every
	// run, pod and capture format; counts, waits, addresses, lines and
	// the chain's other links are not part of it.
	ID       string `json:"id"`
	Category string `json:"category"`
	// Summary is Title with its counts and waits replaced by placeholders
	// ({n1}, {n2} for counts, {d1} for durations), SummaryArgs their
	// values (integers for counts, the printed text for durations): the
	// same hole has the same Summary whatever its size.
	Summary           string         `json:"summary"`
	SummaryArgs       map[string]any `json:"summary_args"`
	Severity          string         `json:"severity"`
	Confidence        float64        `json:"confidence"`
	ConfidenceReasons []string       `json:"confidence_reasons"`
	Title             string         `json:"title"`
	Explanation       string         `json:"explanation"`
	// Goroutines is the number of goroutines the finding covers (every
	// link of its chain), GoroutineIDs a sample of their IDs.
	Goroutines   int        `json:"goroutines"`
	GoroutineIDs []int64    `json:"goroutine_ids"`
	WaitKnown    bool       `json:"wait_known"`
	WaitMinS     float64    `json:"wait_min_s"`
	WaitMaxS     float64    `json:"wait_max_s"`
	Root         Root       `json:"root"`
	Chain        []Link     `json:"chain"`
	Evidence     []Evidence `json:"evidence"`
	Fix          Fix        `json:"fix"`
	// Resource is, for a resource-leak finding, the kind of resource
	// ("http-response-body", "grpc-client-stream", "sql.DB", "sql-tx",
	// "sql-rows", "http-idle-connections").
	Resource   string           `json:"resource,omitempty"`
	Growth     *Growth          `json:"growth,omitempty"`
	Contention []ContentionCite `json:"contention"`
	Score      float64          `json:"score"`
	// TraceEndNS is the length of the trace that timed the chain's links:
	// a link never woken stayed blocked until then. Absent when no link
	// is timed.
	TraceEndNS *int64 `json:"trace_end_ns,omitempty"`
}

// Root is the goroutine whose blocking explains the rest of the chain.
// Function, File and Line name where it is blocked as the detectors name it
// (the chain's root link: the blocking call), else its first application
// frame, else its top frame; Stack[AppFrame] is where the application
// entered that call.
type Root struct {
	GoroutineID int64   `json:"goroutine_id"`
	Function    string  `json:"function"`
	File        string  `json:"file"`
	Line        int     `json:"line"`
	State       string  `json:"state"`
	WaitKnown   bool    `json:"wait_known"`
	WaitS       float64 `json:"wait_s"`
	Stack       []Frame `json:"stack"`
	// AppFrame is the index in Stack of the first application frame, -1
	// if none.
	AppFrame int `json:"app_frame"`
	// Grade says how the root was established: "proven" (the same
	// object address in both stacks, a trace wake edge, a lock cycle by
	// addresses, the runtime's own deadlock verdict), "structural"
	// (call-site structure that cannot be otherwise) or "inferred" (a
	// heuristic); Basis says it in a sentence, or for an unknown holder,
	// what was looked for.
	Grade string `json:"grade"`
	Basis string `json:"basis"`
	// SinceNS is the trace offset at which the root blocked, present only
	// when a trace shows it.
	SinceNS *int64 `json:"since_ns,omitempty"`
	// BlockedSince is the wall-clock time the root blocked at or before:
	// its snapshot's capture time minus its wait. Present only when both
	// are known (a bundle's manifest, a timestamped log).
	BlockedSince *time.Time `json:"blocked_since,omitempty"`
	// BlockedAt is the exact wall-clock time the root blocked, read from
	// an execution trace that saw it block and carries a clock (Go 1.25+:
	// a flight-recorder window or a trace spanning the onset). Present
	// only then.
	BlockedAt *time.Time `json:"blocked_at,omitempty"`
}

// Link is one step of a blocking chain. Chains are trees flattened in
// pre-order: depth 0 is the root; each link relates (Relation) to the
// nearest link above it with a smaller depth.
type Link struct {
	Depth    int    `json:"depth"`
	Relation string `json:"relation"`
	// Grade says how this link's relation to the link above it was
	// established (for the root link, the root's grade): "proven",
	// "structural" or "inferred".
	Grade        string  `json:"grade"`
	Category     string  `json:"category"`
	Goroutines   int     `json:"goroutines"`
	GoroutineIDs []int64 `json:"goroutine_ids"`
	Function     string  `json:"function"`
	File         string  `json:"file"`
	Line         int     `json:"line"`
	State        string  `json:"state"`
	WaitKnown    bool    `json:"wait_known"`
	WaitMaxS     float64 `json:"wait_max_s"`
	// Object is the shared word (lock or pool address) linking this link
	// to its neighbour, as "0x…"; absent when the link is not by address.
	Object string `json:"object,omitempty"`
	// Timed is set when a trace timed the link: StartNS is when it
	// blocked, EndNS when it was released (absent with NeverWoken when
	// it never was), both offsets from the trace start.
	Timed      bool   `json:"timed"`
	StartNS    *int64 `json:"start_ns,omitempty"`
	EndNS      *int64 `json:"end_ns,omitempty"`
	NeverWoken bool   `json:"never_woken,omitempty"`
	Wakes      []Wake `json:"wakes"`
	// Group is the index in Document.Groups of the goroutine group this
	// link describes, when that group is one of the document's (a chain
	// built from a trace alone describes goroutines no snapshot lists).
	Group *int `json:"group,omitempty"`
}

// Wake is an aggregated trace wake edge: Count waiters with the same
// blocking stack released the same way (by a goroutine with the same stack,
// a deadline, a timer, the network poller, the runtime, or never).
type Wake struct {
	Kind           string  `json:"kind"`
	Reason         string  `json:"reason"`
	Count          int     `json:"count"`
	WaiterFunction string  `json:"waiter_function"`
	WakerFunction  string  `json:"waker_function,omitempty"`
	FirstNS        int64   `json:"first_ns"`
	LastNS         int64   `json:"last_ns"`
	MaxWaitNS      int64   `json:"max_wait_ns"`
	TotalWaitNS    int64   `json:"total_wait_ns"`
	Waiters        []int64 `json:"waiters"`
	Wakers         []int64 `json:"wakers"`
	// WakerPriorNS is how long a waker had itself been blocked right
	// before it woke them (the longest such block), WakerPriorWhat on
	// what: a wait reason, "system call" or "block"; absent when the trace
	// shows none.
	WakerPriorNS   *int64 `json:"waker_prior_ns,omitempty"`
	WakerPriorWhat string `json:"waker_prior_what,omitempty"`
}

// Evidence is one observation a finding rests on.
type Evidence struct {
	Kind        string `json:"kind"`
	Text        string `json:"text"`
	GoroutineID int64  `json:"goroutine_id,omitempty"`
	Frame       *Frame `json:"frame,omitempty"`
}

// Fix is what to change: a one-line summary, the reasoning, a Go example.
type Fix struct {
	Summary string `json:"summary"`
	Detail  string `json:"detail"`
	Code    string `json:"code"`
}

// Growth is a leak's growth across snapshots of one process.
type Growth struct {
	From      int     `json:"from"`
	To        int     `json:"to"`
	Snapshots int     `json:"snapshots"`
	RateKnown bool    `json:"rate_known"`
	PerMinute float64 `json:"per_minute"`
}

// ContentionCite is a mutex or block profile sample joined to a finding.
type ContentionCite struct {
	Kind     string  `json:"kind"`
	Function string  `json:"function"`
	File     string  `json:"file"`
	Line     int     `json:"line"`
	Count    int64   `json:"count"`
	DelayS   float64 `json:"delay_s"`
}
