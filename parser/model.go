package parser

import (
	"fmt"
	"strings"
	"time"
)

// Format names the kind of capture an input holds, as sniffed from its
// content.
type Format string

// The formats ctxhole reads.
const (
	// FormatGoroutineText is a full goroutine dump: /debug/pprof/goroutine?debug=2,
	// a panic or fatal error, a SIGQUIT dump, runtime.Stack(buf, true).
	FormatGoroutineText Format = "goroutine-text"
	// FormatGoroutineDebug1 is the aggregated text of
	// /debug/pprof/goroutine?debug=1 ("goroutine profile: total N").
	FormatGoroutineDebug1 Format = "goroutine-debug1"
	// FormatGoroutineProto is the pprof protobuf goroutine profile.
	FormatGoroutineProto Format = "goroutine-proto"
	// FormatPprofTraces is the text of `go tool pprof -traces` over a
	// goroutine profile.
	FormatPprofTraces Format = "pprof-traces"
	// FormatContentionProto is a pprof protobuf mutex or block profile.
	FormatContentionProto Format = "contention-proto"
	// FormatContentionText is the debug=1 text of a mutex or block profile
	// ("--- mutex:" / "--- contention:").
	FormatContentionText Format = "contention-text"
	// FormatExecTrace is a Go execution trace (runtime/trace,
	// /debug/pprof/trace, a flight-recorder snapshot).
	FormatExecTrace Format = "exec-trace"
)

// Capture is everything read from the inputs of one analysis: the goroutine
// snapshots, the contention profiles and the execution traces, all of one
// process.
type Capture struct {
	Snapshots  []*Snapshot
	Contention []*Contention
	Traces     []*Trace
	// LeakProfiles are Go 1.26 goroutineleak profiles read beside goroutine
	// snapshots: Load takes them out of Snapshots (they are not moments)
	// once it has marked the goroutines they prove leaked in the snapshots
	// (see markLeaked). A leak profile read with no other snapshot stays
	// in Snapshots: it is then all there is to analyse.
	LeakProfiles []*Snapshot
	// Warnings are about inputs as a whole (a file skipped, an unknown
	// format in a directory). Per-snapshot warnings live on the snapshot.
	Warnings []Warning
}

// AllWarnings returns the capture's warnings followed by those of every
// snapshot, profile and trace, in input order.
func (c *Capture) AllWarnings() []Warning {
	out := append([]Warning(nil), c.Warnings...)
	for _, s := range c.Snapshots {
		out = append(out, s.Warnings...)
	}
	for _, s := range c.LeakProfiles {
		out = append(out, s.Warnings...)
	}
	for _, p := range c.Contention {
		out = append(out, p.Warnings...)
	}
	for _, t := range c.Traces {
		out = append(out, t.Warnings...)
	}
	return out
}

// Source says where a snapshot, profile or trace came from.
type Source struct {
	File   string // as given on the command line, "-" for standard input
	Format Format
	// Index is the position of this snapshot among those in the same file
	// (a log holding three SIGQUIT dumps gives indexes 0, 1, 2).
	Index int
	// Line is the 1-based line of the file where the snapshot starts (text
	// formats only; 0 otherwise).
	Line int
	// Time is when the capture was taken, if known (from a pprof profile's
	// TimeNanos, a bundle manifest, a log timestamp prefix, or another
	// capture of the same moment that has one: see Capture.Moments); zero
	// if not.
	Time time.Time
	// ModTime is the modification time of the file the capture was read
	// from (a regular file; zero otherwise). It is only a hint for telling
	// which untimed captures show one moment: a copy or an archive may
	// have reset it, so it is never taken for a capture time.
	ModTime time.Time
}

func (s Source) String() string {
	if s.Line > 0 {
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	if s.Index > 0 {
		return fmt.Sprintf("%s#%d", s.File, s.Index)
	}
	return s.File
}

// Warning records something the parser skipped, repaired or could not read,
// and where. Parsing goes on after a warning.
type Warning struct {
	File   string
	Line   int   // 1-based line, 0 if not a text position
	Offset int64 // byte offset, -1 if not known
	Msg    string
}

func (w Warning) String() string {
	switch {
	case w.Line > 0:
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
	case w.Offset >= 0:
		return fmt.Sprintf("%s: byte %d: %s", w.File, w.Offset, w.Msg)
	default:
		return fmt.Sprintf("%s: %s", w.File, w.Msg)
	}
}

// Error is a parse failure: the input could not be read at all, or not past
// a point. It names the file and the line or byte offset.
type Error struct {
	File   string
	Line   int   // 1-based, 0 if not a text position
	Offset int64 // byte offset, -1 if not known
	Err    error
}

func (e *Error) Error() string {
	return Warning{File: e.File, Line: e.Line, Offset: e.Offset, Msg: e.Err.Error()}.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Snapshot is one goroutine capture of a process at one moment.
type Snapshot struct {
	Source Source
	// Goroutines in the order the capture lists them. For aggregated
	// formats (debug=1, proto, pprof -traces) each record is one Goroutine
	// with ID 0 and Count set to the number it stands for.
	Goroutines []*Goroutine
	// DeclaredTotal is the total the capture itself states ("goroutine
	// profile: total N", the proto sample sum); 0 if it states none.
	DeclaredTotal int
	Preamble      Preamble
	// Truncated is set when the capture ends mid-goroutine or was cut by
	// the runtime's 64 MiB limit; what was read is kept.
	Truncated bool
	// LeakProfile is set for Go 1.26's goroutineleak profile in an
	// aggregated form (proto, debug=1, pprof -traces): it lists only the
	// goroutines the garbage collector proved leaked, so it is not a
	// moment of the process but evidence about the goroutines of the
	// moments around it (see Capture.LeakProfiles).
	LeakProfile bool
	Warnings    []Warning
	// groups caches Groups; nil for a snapshot not made by a reader.
	groups *groupCache
}

// Count returns the number of goroutines the snapshot holds, counting each
// goroutine of aggregated records.
func (s *Snapshot) Count() int {
	n := 0
	for _, g := range s.Goroutines {
		n += g.Count
	}
	return n
}

// Preamble is what the runtime printed before the goroutines: why the dump
// exists.
type Preamble struct {
	// Panic is the panic message ("panic: ..."), including the
	// "[recovered]" / "[recovered, repanicked]" chain, one entry per panic
	// line.
	Panic []string
	// Fatal is the fatal error message ("all goroutines are asleep -
	// deadlock!", "concurrent map writes").
	Fatal string
	// Signal is the signal line ("SIGQUIT: quit", "SIGSEGV: segmentation
	// violation").
	Signal string
	// TestTimeout is the duration of "panic: test timed out after D", and
	// RunningTests the tests listed under "running tests:" with their
	// running times as printed.
	TestTimeout  string
	RunningTests []string
	// Goleak is set when the goroutines come from go.uber.org/goleak's
	// report ("found unexpected goroutines"): goleak lists only goroutines
	// still alive after the test ended and its retries ran out, so each
	// one outlived the code that started it.
	Goleak bool
}

// Deadlock reports whether the runtime itself declared a global deadlock.
func (p Preamble) Deadlock() bool {
	return strings.Contains(p.Fatal, "all goroutines are asleep")
}

// Status is the coarse scheduler state of a goroutine.
type Status uint8

// Statuses, as the runtime's gStatusStrings name them. A goroutine parked
// with a wait reason is StatusWaiting.
const (
	StatusUnknown Status = iota
	StatusIdle
	StatusRunnable
	StatusRunning
	StatusSyscall
	StatusWaiting
	StatusDead
	StatusCopystack
	StatusPreempted
	StatusLeaked // Go 1.26 goroutine leak profile: "(leaked)"
	StatusCgoCallback
)

var statusNames = [...]string{
	StatusUnknown:     "unknown",
	StatusIdle:        "idle",
	StatusRunnable:    "runnable",
	StatusRunning:     "running",
	StatusSyscall:     "syscall",
	StatusWaiting:     "waiting",
	StatusDead:        "dead",
	StatusCopystack:   "copystack",
	StatusPreempted:   "preempted",
	StatusLeaked:      "leaked",
	StatusCgoCallback: "waiting for cgo callback",
}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// MarshalText encodes the status as its name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Goroutine is one goroutine (or, for aggregated formats, one record
// standing for Count identical goroutines).
type Goroutine struct {
	// ID is the goroutine ID; 0 for aggregated records.
	ID    int64
	Count int
	// State is the status word as printed, without the duration and flags
	// ("IO wait", "chan receive (nil chan)", "semacquire", "running").
	State  string
	Status Status
	// Reason is the normalised wait reason: one of the current runtime's
	// waitReasonStrings (see WaitReasons), inferred from the frames where
	// older runtimes printed a coarser word (before Go 1.20 a Mutex.Lock
	// printed "semacquire"; before 1.24 so did WaitGroup.Wait). Empty when
	// the goroutine is not waiting.
	Reason string
	// Wait is how long the goroutine had been blocked when captured, in the
	// runtime's whole minutes. WaitKnown is false when the runtime printed
	// no duration: it prints one only after a GC stamped the goroutine and
	// only from one minute on, so an unknown wait does not mean a short one.
	Wait      time.Duration
	WaitKnown bool

	LockedToThread bool
	Scan           bool  // "(scan)"
	Durable        bool  // "(durable)": idle inside a synctest bubble
	Bubble         int64 // synctest bubble/group ID, 0 if none
	// GP, M and MP are printed under GOTRACEBACK=system/crash and in
	// SIGQUIT dumps since Go 1.22. M is -1 for "m=nil" or when absent.
	GP, MP uint64
	M      int64

	Labels []Label // sorted by key

	// Frames are read-only: goroutines whose stacks print the same
	// functions, locations and argument counts may share one slice (a
	// dump of 100k goroutines has a few hundred different stacks).
	Frames []Frame
	// args are the argument words of all frames, frame after frame; see
	// Args.
	args []Arg
	// Elided is the number of frames the runtime left out ("...N frames
	// elided..."), or -1 for "...additional frames elided..." where older
	// runtimes did not print a count; 0 when nothing was elided.
	Elided int
	// StackUnavailable is set for "goroutine running on other thread;
	// stack unavailable".
	StackUnavailable bool

	CreatedBy *CreatedBy
	// Ancestors are the creation stacks printed under
	// GODEBUG=tracebackancestors=N ("[originating from goroutine N]:").
	Ancestors []Ancestor

	// Line is the 1-based line of the goroutine's header in its file (text
	// formats), for evidence and error messages.
	Line int
	// NoHeader is set for a goroutine read from stack frames that came
	// without a goroutine header (a paste that starts mid-stack): its ID,
	// state and wait are unknown (ID 0, WaitKnown false); Status and Reason
	// are inferred from the frames as for debug=1, StatusUnknown when they
	// say nothing. A warning on the snapshot says so.
	NoHeader bool
}

// Blocked reports whether the goroutine is parked (waiting or leaked) or in
// a system call: the states a hang is made of.
func (g *Goroutine) Blocked() bool {
	return g.Status == StatusWaiting || g.Status == StatusLeaked || g.Status == StatusSyscall
}

// Label is one pprof label (key/value) attached to a goroutine.
type Label struct {
	Key, Value string
}

// CreatedBy is the "created by" line of a goroutine: the function containing
// the go statement and, since Go 1.21, the creating goroutine.
type CreatedBy struct {
	Func   string
	File   string
	Line   int
	Offset uint64
	// Parent is the ID printed by "created by F in goroutine N" (Go 1.21+);
	// 0 when not printed. It is a link, never part of a group's identity.
	Parent int64
}

// Ancestor is one "[originating from goroutine N]:" block.
type Ancestor struct {
	ID        int64
	Frames    []Frame
	CreatedBy *CreatedBy
}

// Frame is one stack frame, innermost first in Goroutine.Frames.
type Frame struct {
	// Func is the function as printed, including receiver and generic
	// "[...]" ("database/sql.(*DB).conn", "main.worker.func1",
	// "sync.(*Map[...]).Load"), except that a vendored or GOPATH-less
	// import path is reduced to the module path the code came from
	// ("google.golang.org/grpc.F", not
	// "github.com/docker/docker/vendor/google.golang.org/grpc.F"; see
	// UnvendorFunc). File keeps the path as printed.
	Func string
	File string
	Line int
	// Offset is the "+0x.." PC offset within the function; 0 when absent
	// (inlined frames print none).
	Offset uint64
	// PC is the absolute program counter when the format gives one
	// (debug=1, proto, "pc=" under system tracebacks); 0 otherwise.
	PC uint64
	// The frame's argument words, as printed, are those of the goroutine
	// (Goroutine.Args): frames are shared by goroutines whose stacks are the
	// same, and their words are not. argOff and argN locate them in the
	// goroutine's words. ArgsElided is set when "{...}" or "..." stood
	// for more of them.
	argOff, argN int32
	ArgsElided   bool
	// Inlined is set for frames printed with "(...)" arguments.
	Inlined bool
	// Cut is set for a frame the input ends inside: Func is what was
	// printed of the function's name before the cut (possibly not all of
	// it) and there is no location. A warning on the snapshot says so.
	Cut bool
}

// Arg is one argument word as the runtime printed it.
type Arg struct {
	Value uint64
	// Uncertain marks a word printed with a "?" suffix: under the register
	// ABI the value may be stale.
	Uncertain bool
	// Unused marks "_": a dead argument slot with no value.
	Unused bool
}

// Package returns the frame function's import path ("database/sql",
// "github.com/lib/pq", "main").
func (f Frame) Package() string { return FuncPackage(f.Func) }

// Receiver returns the method receiver type without the package
// ("*DB", "conn"), or "" for a plain function.
func (f Frame) Receiver() string { return funcReceiver(f.Func) }

// Name returns the function name without package and receiver ("conn",
// "worker.func1").
func (f Frame) Name() string { return funcName(f.Func) }

// Location returns "file:line".
func (f Frame) Location() string { return fmt.Sprintf("%s:%d", f.File, f.Line) }

// pkgEnd returns the index of the dot that ends the import path in a
// qualified function name, or -1.
func pkgEnd(fn string) int {
	// The import path ends at the first dot after the last slash.
	start := strings.LastIndexByte(fn, '/')
	if start < 0 {
		start = 0
	}
	// A generic instantiation "[...]" may contain slashes in older
	// formats; they come after the first dot, so searching from the last
	// slash before any "[" keeps them out.
	if br := strings.IndexByte(fn, '['); br >= 0 && br < start {
		start = strings.LastIndexByte(fn[:br], '/')
		if start < 0 {
			start = 0
		}
	}
	dot := strings.IndexByte(fn[start:], '.')
	if dot < 0 {
		return -1
	}
	return start + dot
}

// FuncPackage returns the import path of a qualified function name.
func FuncPackage(fn string) string {
	if i := pkgEnd(fn); i >= 0 {
		return fn[:i]
	}
	if strings.Contains(fn, "/") {
		// No dot after the last slash: a name cut short in a pasted
		// fragment ("github.com/argoproj/pkg/exe") or a hostile one
		// ("main.handler</script>"). Where the path ends is unknown;
		// all of it is the closest answer, and never the runtime's,
		// whose unqualified names ("panic") have no slash.
		return fn
	}
	return ""
}

// funcReceiver returns the receiver type of a method ("*DB" for
// "database/sql.(*DB).conn", "Map[...]" for "sync.Map[...].Load"), or "".
func funcReceiver(fn string) string {
	i := pkgEnd(fn)
	if i < 0 {
		return ""
	}
	rest := fn[i+1:]
	if strings.HasPrefix(rest, "(") {
		if j := strings.IndexByte(rest, ')'); j > 0 {
			return rest[1:j]
		}
		return ""
	}
	// Value receivers print without parentheses: "pkg.T.Method". A plain
	// function's closures ("pkg.f.func1") look the same; tell them apart
	// by the runtime's naming of closures.
	j := strings.IndexByte(rest, '.')
	if j < 0 {
		return ""
	}
	next := rest[j+1:]
	if strings.HasPrefix(next, "func") || strings.HasPrefix(next, "gowrap") || strings.HasPrefix(next, "deferwrap") {
		return ""
	}
	return rest[:j]
}

// funcName returns the function (or method) name without import path and
// receiver.
func funcName(fn string) string {
	i := pkgEnd(fn)
	if i < 0 {
		return fn
	}
	rest := fn[i+1:]
	if strings.HasPrefix(rest, "(") {
		if j := strings.IndexByte(rest, ')'); j > 0 && j+2 <= len(rest) {
			return strings.TrimPrefix(rest[j+1:], ".")
		}
	}
	if r := funcReceiver(fn); r != "" {
		return rest[len(r)+1:]
	}
	return rest
}

// Contention is a mutex or block profile: where goroutines waited and for
// how long, as pprof samples it.
type Contention struct {
	Source Source
	// Kind is "mutex" or "block".
	Kind    string
	Samples []ContentionSample
	// Period is the sampling period (runtime.SetMutexProfileFraction's
	// rate, or the block profile rate in ns); 0 if unknown.
	Period int64
	// Duration is the profile's wall-clock span when the profile states it
	// (delta profiles from /debug/pprof/mutex?seconds=N).
	Duration time.Duration
	Warnings []Warning
}

// ContentionSample is one call stack of a contention profile. For a mutex
// profile the innermost application frame is where the lock was released
// (the unlocker); for a block profile, where the goroutine blocked.
type ContentionSample struct {
	Count  int64
	Delay  time.Duration
	Frames []Frame
}
