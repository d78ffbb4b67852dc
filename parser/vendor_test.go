package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnvendorFunc(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main.main", "main.main"},
		{"google.golang.org/grpc.(*ClientConn).Invoke", "google.golang.org/grpc.(*ClientConn).Invoke"},
		// GOPATH-era vendoring: the vendoring package's path is printed.
		{"github.com/docker/docker/vendor/google.golang.org/grpc.(*ClientConn).Invoke", "google.golang.org/grpc.(*ClientConn).Invoke"},
		{"github.com/docker/docker/vendor/google.golang.org/grpc/transport.(*http2Client).NewStream", "google.golang.org/grpc/transport.(*http2Client).NewStream"},
		// Nested vendor directories: the innermost wins.
		{"a.com/x/vendor/b.com/y/vendor/c.com/z.F", "c.com/z.F"},
		// The standard library's own vendored packages.
		{"vendor/golang.org/x/net/http2/hpack.(*Decoder).Write", "golang.org/x/net/http2/hpack.(*Decoder).Write"},
		// Generic type arguments may hold "vendor/" without being the path.
		{"main.F[...]", "main.F[...]"},
		{"example.com/q.(*Queue[example.com/vendor/t.T]).Pop", "example.com/q.(*Queue[example.com/vendor/t.T]).Pop"},
		// A package named vendor, or a function named after it, is no
		// vendor directory.
		{"example.com/x/vendor.F", "example.com/x/vendor.F"},
		{"example.com/x.vendor/y", "example.com/x.vendor/y"},
		// GOPATH-less builds: "_/" + directory.
		{"_/home/ci/go/src/github.com/x/y.F", "github.com/x/y.F"},
		{"_/src/work/go/src/github.com/x/y.(*T).M", "github.com/x/y.(*T).M"},
		{"_/home/ci/go/src/github.com/x/y/vendor/github.com/lib/pq.(*conn).recv", "github.com/lib/pq.(*conn).recv"},
		{"_/home/ci/proj/pkg.F", "_/home/ci/proj/pkg.F"},
		{"_/home/ci/src/proj.F", "_/home/ci/src/proj.F"},
		// Nothing left after the vendor directory: kept as printed.
		{"x/vendor/.F", "x/vendor/.F"},
		{"", ""},
	}
	for _, tt := range tests {
		got := UnvendorFunc(tt.in)
		if got != tt.want {
			t.Errorf("UnvendorFunc(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !strings.HasSuffix(tt.in, got) {
			t.Errorf("UnvendorFunc(%q) = %q is not a suffix", tt.in, got)
		}
	}
}

// TestVendoredFramesReportModulePath reads a real GOPATH-era vendored
// dump (moby/buildkit#1090, dockerd under journald) and the same names in
// debug=1 text: every format reports grpc's own import path, and the file
// keeps the vendored path as printed.
func TestVendoredFramesReportModulePath(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "pastes", "moby-buildkit-1090-journald-vendored.txt"))
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := ReadText(bytes.NewReader(raw), "journal.txt")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("%d snapshots, error %v", len(snaps), err)
	}
	s := snaps[0]
	if len(s.Goroutines) != 2 {
		t.Fatalf("%d goroutines, want 2", len(s.Goroutines))
	}
	g := s.Goroutines[0]
	if g.ID != 106 || len(g.Frames) != 1 || g.CreatedBy == nil {
		t.Fatalf("goroutine %s", dumpG(g))
	}
	f := g.Frames[0]
	if f.Func != "google.golang.org/grpc.(*addrConn).resetTransport" || f.Package() != "google.golang.org/grpc" ||
		f.File != "/root/rpmbuild/BUILD/src/engine/.gopath/src/github.com/docker/docker/vendor/google.golang.org/grpc/clientconn.go" || f.Line != 1040 {
		t.Errorf("frame %+v", f)
	}
	if g.CreatedBy.Func != "google.golang.org/grpc.(*addrConn).connect" {
		t.Errorf("created by %+v", g.CreatedBy)
	}

	d1 := "goroutine profile: total 1\n1 @ 0x1 0x2\n" +
		"#\t0x4a2b3b\tgithub.com/docker/docker/vendor/google.golang.org/grpc.(*addrConn).resetTransport+0x5a3\t/go/src/github.com/docker/docker/vendor/google.golang.org/grpc/clientconn.go:1040\n"
	snaps, err = readDebug1(strings.NewReader(d1), "d1.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := snaps[0].Goroutines[0].Frames[0].Func; got != "google.golang.org/grpc.(*addrConn).resetTransport" {
		t.Errorf("debug=1 frame %q", got)
	}
}
