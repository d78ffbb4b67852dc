package detectors

import (
	"strings"

	"github.com/ctxhole/ctxhole/parser"
)

// Signature is one row of library knowledge: how a library blocks, whether
// the caller's context can reach the blocked code, and what to change. The
// built-in tables (signatures_*.go) and user files (LoadSignatures) share
// this shape.
type Signature struct {
	// ID names the row in evidence and reasons ("lib/pq.startup").
	ID string
	// Library is the import path of the library the row describes.
	Library string
	// Frames are function patterns that must all appear in the stack,
	// innermost first and in that order; the first one is the anchor (the
	// blocking call). A pattern is an exact function name as a dump prints
	// it ("github.com/lib/pq.(*conn).startup"), where "*" stands for any run
	// of characters ("github.com/lib/pq.(*conn).recv*"); the "*" of a
	// pointer receiver "(*T)" is literal. An empty list matches any stack
	// (reason-only rows).
	Frames []string
	// Not lists function patterns that must not appear anywhere in the
	// stack: a more specific row covers those stacks (lib/pq reads during
	// start-up are the start-up row's).
	Not []string
	// Reasons restricts the row to these wait reasons (Goroutine.Reason, or
	// "syscall" / "running" / "runnable" for those statuses); empty matches
	// any blocked goroutine.
	Reasons []string
	// Category is the hole the row diagnoses. Background rows describe
	// long-lived loops that wait for work and are not holes.
	Category   Category
	Background bool
	// ContextAware says whether the blocked call can see a caller's
	// context at all: a hole in a context-aware library means the context
	// carried no deadline; in a context-blind one, no context can help.
	ContextAware bool
	// Watcher is a function pattern of a helper goroutine the library
	// starts only when a cancellable context was passed (pgx's context
	// watcher). Blocked callers with no such goroutine were given none.
	Watcher string
	// WatcherUntil is "module@version", the first version that no longer
	// starts the Watcher goroutine ("github.com/jackc/pgx/v5@v5.9.0": it
	// watches the context with context.AfterFunc instead). When set, the
	// watcher's absence is read only from stacks whose file paths show an
	// older version ("github.com/jackc/pgx/v5@v5.7.1/..."); otherwise it
	// proves nothing.
	WatcherUntil string
	// Why is the sentence an expert would say about this blocking call.
	Why string
	Fix Fix
	// Severity is the row's base severity; Confidence its base confidence
	// (0 means the default, 0.8).
	Severity   Severity
	Confidence float64
	// Dominant rows name the principal cause of a chain even when the
	// goroutines waiting on them would otherwise name it (a driver that
	// ignores the context explains the pool it exhausts).
	Dominant bool
	// HeldBy lists function patterns of the goroutines that hold what this
	// row's goroutines wait for: the connections of a pool (go-redis
	// readers behind (*ConnPool).waitTurn), the consumer of a queue (the
	// OTel batch processor's export behind span.End), the broker
	// connection behind a producer's send. Waiters are linked to every
	// blocked goroutine with such a frame; the link is proven when both
	// stacks carry the same object (see linkHeldBy).
	HeldBy []string
	// Lock marks a lock-like primitive outside sync (a weighted
	// semaphore): the anchor frame's first argument is the lock, the frame
	// that called it is the lock site, and the holders are goroutines in
	// that same function past the call, as for a sync.Mutex.
	Lock bool
	// Innermost restricts the row to stacks whose first pattern is the
	// innermost frame outside the runtime: a loop is idle only while it
	// waits in its own select (the OTel batch processor waiting for spans,
	// a Kafka broker connection's reader waiting for a request to answer),
	// not while it is stuck deeper in a call it made.
	Innermost bool
	// Waiting says what this row's goroutines do when they wait behind a
	// holder, as a finding's title puts it after their count ("queued on
	// a weighted semaphore", "queued for a go-redis pool connection");
	// empty leaves it to the category ("queued on a lock").
	Waiting string
	// Priority ranks rows before their anchors are compared: lower wins,
	// so a library row beats the standard-library read it sits on. User
	// rows have priority 0; library rows 10; standard-library protocol rows
	// 20; raw transport rows 25; reason-only rows 30. Background rows win
	// over a hole row when they match at or outside its blocking call.
	Priority int
}

// Priorities of the built-in tables.
const (
	prioUser    = 0
	prioLibrary = 10
	prioStdlib  = 20
	// prioTransport is for raw reads and writes (net.Conn, os.File): a
	// protocol row naming the same wait (an HTTP server reading a request)
	// says more.
	prioTransport = 25
	prioGeneric   = 30
)

// matchPattern reports whether a function name matches a signature pattern:
// an exact name, or a pattern whose "*" stand for any run of characters
// ("github.com/lib/pq.(*conn).recv*", "go.mongodb.org/mongo-driver*/topology.(*pool).checkOut").
// A "*" right after "(" is a pointer receiver, never a wildcard. It runs
// for every frame against every row, so it does not allocate.
func matchPattern(pattern, fn string) bool {
	seg, rest, wild := nextSegment(pattern)
	if !wild {
		return pattern == fn
	}
	if !strings.HasPrefix(fn, seg) {
		return false
	}
	fn = fn[len(seg):]
	for {
		seg, rest, wild = nextSegment(rest)
		if !wild {
			// The last segment must end the name.
			return len(fn) >= len(seg) && strings.HasSuffix(fn, seg)
		}
		k := strings.Index(fn, seg)
		if k < 0 {
			return false
		}
		fn = fn[k+len(seg):]
	}
}

// matchFrame matches a pattern against a frame's function by its upstream
// name; a generic instantiation ("pkg.(*Pool[...]).Acquire", as
// tracebacks print it) also matches a pattern written without its type
// arguments ("pkg.(*Pool).Acquire").
func matchFrame(pattern, fn string) bool {
	if matchPattern(pattern, fn) {
		return true
	}
	up := UpstreamFunc(fn)
	if up != fn && matchPattern(pattern, up) {
		return true
	}
	if strings.IndexByte(up, '[') >= 0 && strings.IndexByte(pattern, '[') < 0 {
		return matchPattern(pattern, stripTypeArgs(up))
	}
	return false
}

// stripTypeArgs removes the bracketed type arguments of a generic
// function's name: "p.(*Pool[...]).Acquire" is "p.(*Pool).Acquire",
// "p.Map[go.shape.int]" is "p.Map".
func stripTypeArgs(fn string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(fn); i++ {
		switch c := fn[i]; {
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// UpstreamFunc returns the name a function has in its upstream module: a
// vendored copy ("github.com/docker/docker/vendor/google.golang.org/grpc.(*ClientConn).Invoke")
// loses everything up to its last "/vendor/" (parser.UnvendorFunc), and a
// gopkg.in path takes the GitHub path gopkg.in redirects to ("gopkg.in/redis.v5" is
// "github.com/go-redis/redis", "gopkg.in/Shopify/sarama.v1" is
// "github.com/Shopify/sarama"). Other names are returned as they are.
func UpstreamFunc(fn string) string {
	// Vendored copies: the parser already reduces them to their module
	// path (parser.UnvendorFunc); names built elsewhere get the same.
	fn = parser.UnvendorFunc(fn)
	const gopkg = "gopkg.in/"
	if !strings.HasPrefix(fn, gopkg) {
		return fn
	}
	rest := fn[len(gopkg):]
	// The package element ends at the first "/" or at the "." before the
	// function name; its ".vN" suffix is the major version.
	end := len(rest)
	if k := strings.IndexByte(rest, '/'); k >= 0 {
		end = k
	}
	elem := rest[:end]
	user := ""
	if end < len(rest) && !strings.Contains(elem, ".v") {
		// gopkg.in/user/pkg.vN
		user = elem
		rest = rest[end+1:]
		end = len(rest)
		if k := strings.IndexByte(rest, '/'); k >= 0 {
			end = k
		}
		elem = rest[:end]
	}
	v := strings.Index(elem, ".v")
	if v <= 0 || v+2 >= len(elem) || elem[v+2] < '0' || elem[v+2] > '9' {
		return fn
	}
	pkg := elem[:v]
	// What follows the version digits: "" or ".Func" when the function is
	// in the package's root.
	tail := elem[v+2:]
	for len(tail) > 0 && tail[0] >= '0' && tail[0] <= '9' {
		tail = tail[1:]
	}
	if user == "" {
		user = "go-" + pkg
	}
	return "github.com/" + user + "/" + pkg + tail + rest[end:]
}

// gopkgUpstream maps a gopkg.in import path to the GitHub path it
// redirects to, with or without the ".vN" suffix a function name may have
// taken for a package-name dot ("gopkg.in/Shopify/sarama" from
// "gopkg.in/Shopify/sarama.v1.(*T).F"); other paths are returned as they
// are.
func gopkgUpstream(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, "gopkg.in/")
	if !ok || rest == "" {
		return pkg
	}
	elems := strings.Split(rest, "/")
	strip := func(e string) string {
		if v := strings.Index(e, ".v"); v > 0 {
			return e[:v]
		}
		return e
	}
	if strings.Contains(elems[0], ".v") || len(elems) == 1 {
		name := strip(elems[0])
		return "github.com/go-" + name + "/" + name + joinRest(elems[1:])
	}
	return "github.com/" + elems[0] + "/" + strip(elems[1]) + joinRest(elems[2:])
}

func joinRest(elems []string) string {
	if len(elems) == 0 {
		return ""
	}
	return "/" + strings.Join(elems, "/")
}

// nextSegment splits a pattern at its first wildcard: the literal text
// before it, the pattern after it, and whether there was one.
func nextSegment(pattern string) (seg, rest string, wild bool) {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '*' && (i == 0 || pattern[i-1] != '(') {
			return pattern[:i], pattern[i+1:], true
		}
	}
	return pattern, "", false
}

// splitWildcards splits a pattern at its wildcards.
func splitWildcards(pattern string) []string {
	var parts []string
	for {
		seg, rest, wild := nextSegment(pattern)
		parts = append(parts, seg)
		if !wild {
			return parts
		}
		pattern = rest
	}
}

// sigMatch is where a signature matched a stack.
type sigMatch struct {
	sig    *Signature
	anchor int // frame index of the first pattern; -1 for reason-only rows
	// reasonUnknown is set when the row's reason filter could not be
	// checked because the capture printed no wait reason.
	reasonUnknown bool
}

// match checks the signature against a stack and a wait reason. Analyses
// compile their tables once (sigIndex); this compiles the row for one use.
// Frames are compared by their upstream names too (UpstreamFunc): a
// vendored or gopkg.in copy of a library, or a generic instantiation,
// matches the library's rows.
func (s *Signature) match(frames []parser.Frame, reason string) (sigMatch, bool) {
	x := newSigIndex([]Signature{*s})
	m, ok := x.rows[0].match(x.view(frames), reason)
	m.sig = s
	return m, ok
}

// better reports whether match a should win over b: library knowledge over
// standard-library knowledge over generic reasons, then the innermost
// anchor, then the more specific row.
func (a sigMatch) better(b sigMatch) bool {
	if a.sig.Priority != b.sig.Priority {
		return a.sig.Priority < b.sig.Priority
	}
	if a.reasonUnknown != b.reasonUnknown {
		return !a.reasonUnknown
	}
	if a.anchor != b.anchor {
		if a.anchor < 0 {
			return false
		}
		if b.anchor < 0 {
			return true
		}
		return a.anchor < b.anchor
	}
	return len(a.sig.Frames) > len(b.sig.Frames)
}

// confidence returns the row's base confidence.
func (s *Signature) confidence() float64 {
	if s.Confidence > 0 {
		return s.Confidence
	}
	return 0.8
}
