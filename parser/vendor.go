package parser

import "strings"

// UnvendorFunc returns a qualified function name with its import path
// reduced to the module path the code came from, so that every later stage
// (signatures, the application-frame rule, grouping across formats) sees
// "google.golang.org/grpc.(*ClientConn).Invoke" however the binary was
// built:
//
//   - GOPATH-era vendoring (Go 1.5 to the modules era) compiled a vendored
//     package under the vendoring package's path, and the runtime prints
//     that: "github.com/docker/docker/vendor/google.golang.org/grpc.F"
//     becomes "google.golang.org/grpc.F". The standard library's own
//     vendored packages ("vendor/golang.org/x/net/http2/hpack.F") lose
//     the "vendor/" root the same way.
//   - A package built outside GOPATH by an old go command got the import
//     path "_/" plus its directory: "_/home/ci/go/src/github.com/x/y.F"
//     becomes "github.com/x/y.F" when the directory lies under a GOPATH
//     "src/" whose next element is a module host (it holds a dot).
//
// Only the import path is rewritten; the receiver, the function and any
// type arguments are kept, and the frame's file keeps the path as printed.
// The result is always a suffix of fn, so it costs no allocation. A name
// with nothing to rewrite is returned unchanged.
func UnvendorFunc(fn string) string {
	gopathless := strings.HasPrefix(fn, "_/")
	if !gopathless && !strings.Contains(fn, "vendor/") {
		return fn
	}
	end := pkgEnd(fn)
	if end <= 0 {
		return fn
	}
	path := fn[:end]
	from := 0
	if gopathless {
		from = gopathModuleStart(path)
	}
	if i := strings.LastIndex(path[from:], "/vendor/"); i >= 0 {
		from += i + len("/vendor/")
	} else if strings.HasPrefix(path[from:], "vendor/") {
		from += len("vendor/")
	}
	if from >= len(path) {
		return fn // "x/vendor/.F": nothing left to name
	}
	return fn[from:]
}

// gopathModuleStart returns where the module path starts in a "_/dir"
// import path: just after the first "/src/" whose next path element holds
// a dot (a module host such as github.com), or 0 when there is none.
func gopathModuleStart(path string) int {
	for i := 0; ; {
		j := strings.Index(path[i:], "/src/")
		if j < 0 {
			return 0
		}
		start := i + j + len("/src/")
		elem, _, _ := strings.Cut(path[start:], "/")
		if strings.IndexByte(elem, '.') > 0 {
			return start
		}
		i = start - 1 // the "/" that ends "src" may begin the next "/src/"
	}
}
