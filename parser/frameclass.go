package parser

import (
	"strconv"
	"strings"
)

// Class says whose code a frame runs, as a reader of a stack sorts frames:
// the runtime's (never the cause), the plumbing every lock and every I/O
// wait passes through (never the caller to blame), the rest of the standard
// library, and everything else (the application and its libraries). It is
// computed from the function's import path alone, so one frame has one class
// in every package and every output.
type Class uint8

// Frame classes, from the least to the most telling.
const (
	// ClassRuntime is the runtime: package runtime, the packages under it
	// (runtime/pprof, runtime/trace, ...) and its internal packages
	// (internal/runtime/...), the functions it implements for other
	// packages under their names (sync.runtime_SemacquireMutex,
	// internal/poll.runtime_pollWait), and unqualified names ("panic",
	// "non-Go function").
	ClassRuntime Class = iota + 1
	// ClassSync is the synchronisation plumbing: sync, internal/sync and
	// context. The frame after it took the lock, waited for the group or
	// cancelled the context.
	ClassSync
	// ClassIO is the I/O plumbing under every blocking read and write:
	// internal/poll, net, os, syscall, io and bufio. The frame after it is
	// the code that asked for the I/O (a driver, an HTTP server).
	ClassIO
	// ClassStdlib is the rest of the standard library (database/sql,
	// net/http, crypto/tls, ...).
	ClassStdlib
	// ClassOther is code outside the standard library: the application and
	// the third-party libraries it uses (telling those apart needs a table
	// of libraries; see AppFrame).
	ClassOther
)

var classNames = [...]string{
	ClassRuntime: "runtime",
	ClassSync:    "sync",
	ClassIO:      "io",
	ClassStdlib:  "stdlib",
	ClassOther:   "other",
}

func (c Class) String() string {
	if int(c) < len(classNames) && classNames[c] != "" {
		return classNames[c]
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// stdlibRoots are the first elements of the standard library's import
// paths. "No dot in the first element" is not enough: modules named without
// a dot ("myservice/internal/db") are application code.
var stdlibRoots = map[string]bool{
	"archive": true, "bufio": true, "builtin": true, "bytes": true, "cmp": true,
	"compress": true, "container": true, "context": true, "crypto": true,
	"database": true, "debug": true, "embed": true, "encoding": true,
	"errors": true, "expvar": true, "flag": true, "fmt": true, "go": true,
	"hash": true, "html": true, "image": true, "index": true, "internal": true,
	"io": true, "iter": true, "log": true, "maps": true, "math": true,
	"mime": true, "net": true, "os": true, "path": true, "plugin": true,
	"reflect": true, "regexp": true, "runtime": true, "slices": true,
	"sort": true, "strconv": true, "strings": true, "structs": true,
	"sync": true, "syscall": true, "testing": true, "text": true, "time": true,
	"unicode": true, "unique": true, "unsafe": true, "vendor": true, "weak": true,
}

// plumbing are the standard-library packages of ClassSync and ClassIO.
var plumbing = map[string]Class{
	"sync": ClassSync, "internal/sync": ClassSync, "context": ClassSync,
	"internal/poll": ClassIO, "net": ClassIO, "os": ClassIO, "syscall": ClassIO,
	"internal/syscall/unix": ClassIO, "internal/syscall/windows": ClassIO,
	"io": ClassIO, "bufio": ClassIO,
}

// IsStdlib reports whether an import path belongs to the standard library,
// known by its first path element.
func IsStdlib(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return stdlibRoots[first]
}

// Class classifies the frame by its function's import path.
func (f Frame) Class() Class { return FuncClass(f.Func) }

// FuncClass classifies a qualified function name (see Class), for the
// places that hold a name without its frame.
func FuncClass(fn string) Class {
	pkg := FuncPackage(fn)
	switch {
	case pkg == "" || pkg == "runtime" ||
		strings.HasPrefix(pkg, "runtime/") || strings.HasPrefix(pkg, "internal/runtime/"):
		return ClassRuntime
	case strings.HasPrefix(fn[len(pkg):], ".runtime_") && IsStdlib(pkg):
		// Implemented by the runtime, named into the package that calls
		// it (go:linkname).
		return ClassRuntime
	case plumbing[pkg] != 0:
		return plumbing[pkg]
	case IsStdlib(pkg):
		return ClassStdlib
	}
	return ClassOther
}

// RuntimeOnly reports whether every frame of a stack is the runtime's: a
// system goroutine (GC workers, the finalizer, forced GC), idle for as long
// as the process lives. An empty stack is not.
func RuntimeOnly(frames []Frame) bool {
	for i := range frames {
		if frames[i].Class() != ClassRuntime {
			return false
		}
	}
	return len(frames) > 0
}

// schedulerEntry are the frames at the bottom of every stack under
// GOTRACEBACK=system or in a SIGQUIT dump, below a goroutine's own function.
var schedulerEntry = map[string]bool{
	"runtime.goexit": true, "runtime.mcall": true, "runtime.mstart": true, "runtime.mstart0": true,
	"runtime.mstart1": true, "runtime.systemstack": true, "runtime.rt0_go": true,
}

// SyncCaller returns the index of the first frame outside the runtime and
// the synchronisation plumbing: the code that took a lock, released
// waiters, or (in a contention profile) waited or unlocked. It is -1 when
// every frame is the runtime's or the plumbing's (the runtime's own locks).
func SyncCaller(frames []Frame) int {
	for i := range frames {
		if c := frames[i].Class(); c != ClassRuntime && c != ClassSync {
			return i
		}
	}
	return -1
}

// TellingFrame returns the index of the frame a goroutine is best known by
// when nothing more specific (a signature's anchor, an application frame)
// names it: the first frame outside the runtime and the sync and I/O
// plumbing, so that a driver stuck reading shows as the driver and not as
// net.(*netFD).Read; for a stack of nothing but those, the goroutine's own
// function (runtime.forcegchelper), found above the scheduler's entry
// frames that system tracebacks add. It is -1 only for an empty stack.
func TellingFrame(frames []Frame) int {
	for i := range frames {
		switch frames[i].Class() {
		case ClassRuntime, ClassSync, ClassIO:
			continue
		}
		return i
	}
	for i := len(frames) - 1; i >= 0; i-- {
		if !schedulerEntry[frames[i].Func] {
			return i
		}
	}
	return len(frames) - 1
}

// AppFrame returns the index of the first application frame of a stack, or
// -1: the first frame outside the standard library and the runtime whose
// package library does not claim. library reports whether an import path
// belongs to a third-party library (the signature tables know which); nil
// counts every non-standard package as application code.
func AppFrame(frames []Frame, library func(pkg string) bool) int {
	for i := range frames {
		if IsAppFrame(frames[i], library) {
			return i
		}
	}
	return -1
}

// IsAppFrame reports whether f is application code: outside the runtime
// and the standard library, in a package library does not claim (nil
// claims none).
func IsAppFrame(f Frame, library func(pkg string) bool) bool {
	if f.Class() != ClassOther {
		return false
	}
	return library == nil || !library(f.Package())
}

// ShortFunc drops the directories of a function's import path, keeping
// the last element, receiver and name ("github.com/lib/pq.(*conn).recv" →
// "pq.(*conn).recv"), for titles and narrow columns. A major-version
// element keeps the one before it: "github.com/jackc/puddle/v2.(*Pool[...]).Acquire"
// is "puddle/v2.(*Pool[...]).Acquire", not "v2.(*Pool[...]).Acquire".
func ShortFunc(fn string) string {
	pkg := FuncPackage(fn)
	i := strings.LastIndexByte(pkg, '/')
	if i < 0 {
		return fn
	}
	if majorVersion(pkg[i+1:]) {
		if j := strings.LastIndexByte(pkg[:i], '/'); j >= 0 {
			return fn[j+1:]
		}
	}
	return fn[i+1:]
}

// majorVersion reports whether an import-path element is a module's major
// version suffix ("v2", "v10").
func majorVersion(elem string) bool {
	if len(elem) < 2 || elem[0] != 'v' {
		return false
	}
	for _, c := range elem[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// tracebackHidden reports whether the default traceback (debug=2, panics)
// hides f while other captures print it: frames of package runtime, which
// SIGQUIT and GOTRACEBACK=system dumps show, and the compiler's wrappers (go
// and defer statement wrappers, method values "-fm", <autogenerated>
// methods), which symbol-table formats (debug=1, proto, traces) list. Stack
// identity leaves them out. It is narrower than ClassRuntime: the runtime's
// functions linked into other packages (sync.runtime_SemacquireMutex) and
// the runtime's internal packages print in every traceback.
func tracebackHidden(f Frame) bool {
	return f.Package() == "runtime" ||
		strings.Contains(f.Func, ".gowrap") || strings.Contains(f.Func, ".deferwrap") ||
		strings.HasSuffix(f.Func, "-fm") || f.File == "<autogenerated>"
}

// StackKey returns the identity of a stack as every capture format prints
// it: function, file and line of each frame tracebackHidden keeps. Two
// stacks of one place in the code have one key whether a dump, a profile or
// a trace recorded them.
func StackKey(frames []Frame) string {
	var b strings.Builder
	for _, f := range frames {
		if tracebackHidden(f) {
			continue
		}
		b.WriteByte('|')
		b.WriteString(f.Func)
		b.WriteByte('@')
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(f.Line))
	}
	return b.String()
}

// SameStack reports whether two stacks are the same frames, compared by
// function, file and line (PCs of one function differ between builds, and
// the model's identity ignores them). Two empty stacks are not the same
// stack: nothing is known about either.
func SameStack(a, b []Frame) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if a[i].Func != b[i].Func || a[i].File != b[i].File || a[i].Line != b[i].Line {
			return false
		}
	}
	return true
}
