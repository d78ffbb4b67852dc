package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// readPaste reads a text input that must give exactly one snapshot.
func readPaste(t *testing.T, name string, raw []byte) *Snapshot {
	t.Helper()
	snaps, err := ReadText(bytes.NewReader(raw), name)
	if err != nil {
		t.Fatalf("ReadText(%s): %v", name, err)
	}
	if len(snaps) != 1 {
		t.Fatalf("%s: %d snapshots, want 1", name, len(snaps))
	}
	return snaps[0]
}

// wantG is what a test expects of one goroutine: ID, state, frames (Func
// and whether cut) and creator.
type wantG struct {
	id       int64
	state    string
	status   Status
	noHeader bool
	funcs    []string // "name" or "name (cut)"; "?" for an unknown function
	creator  string
	parent   int64
}

func checkGoroutines(t *testing.T, s *Snapshot, want []wantG) {
	t.Helper()
	if len(s.Goroutines) != len(want) {
		for _, g := range s.Goroutines {
			t.Logf("got %s", dumpG(g))
		}
		t.Fatalf("%d goroutines, want %d", len(s.Goroutines), len(want))
	}
	for i, w := range want {
		g := s.Goroutines[i]
		var funcs []string
		for _, f := range g.Frames {
			if f.Cut {
				funcs = append(funcs, f.Func+" (cut)")
			} else {
				funcs = append(funcs, f.Func)
			}
		}
		creator, parent := "", int64(0)
		if g.CreatedBy != nil {
			creator, parent = g.CreatedBy.Func, g.CreatedBy.Parent
		}
		if g.ID != w.id || g.State != w.state || g.Status != w.status || g.NoHeader != w.noHeader ||
			strings.Join(funcs, "|") != strings.Join(w.funcs, "|") || creator != w.creator || parent != w.parent {
			t.Errorf("goroutine %d:\n got id=%d state=%q status=%s noheader=%v frames=%q creator=%q/%d\nwant id=%d state=%q status=%s noheader=%v frames=%q creator=%q/%d",
				i, g.ID, g.State, g.Status, g.NoHeader, funcs, creator, parent, w.id, w.state, w.status, w.noHeader, w.funcs, w.creator, w.parent)
		}
	}
}

// checkWarnings requires exactly len(want) warnings, each containing its
// substring, in order.
func checkWarnings(t *testing.T, s *Snapshot, want ...string) {
	t.Helper()
	if len(s.Warnings) != len(want) {
		t.Fatalf("%d warnings, want %d: %v", len(s.Warnings), len(want), s.Warnings)
	}
	for i, w := range want {
		if !strings.Contains(s.Warnings[i].String(), w) {
			t.Errorf("warning %d %q does not say %q", i, s.Warnings[i], w)
		}
	}
}

// TestReadTextRealFragments reads pastes from public issue threads
// (testdata/pastes, see its README) and the goleak and cut fragments of
// the real-world dumps kept beside the repository: each is read as far as
// it goes, with a warning for each assumption.
func TestReadTextRealFragments(t *testing.T) {
	grpcSer := "google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"
	grpcNew := "google.golang.org/grpc/internal/grpcsync.NewCallbackSerializer"
	tracee := "github.com/aquasecurity/tracee/tests/testutils.ExecCmdBgWithSudoAndCtx"
	argo := "github.com/argoproj/pkg/exec.RunCommandExt"
	tests := []struct {
		file      string
		realworld bool
		truncated bool
		want      []wantG
		warnings  []string
	}{
		{file: "tikv-pd-8549-headerless-start.txt", want: []wantG{
			{status: StatusUnknown, noHeader: true, funcs: []string{grpcSer}, creator: grpcNew, parent: 204},
			{id: 221, state: "select", status: StatusWaiting, funcs: []string{grpcSer}, creator: grpcNew, parent: 204},
		}, warnings: []string{":1: stack frames without a goroutine header (lines 1-4), read as one goroutine whose ID, state and wait are unknown"}},
		{file: "docker-for-linux-544-vendored-fragment.txt", truncated: true, want: []wantG{
			{status: StatusUnknown, noHeader: true, funcs: []string{"?", "google.golang.org/grpc/transport.(*loopyWriter).run", "google.golang.org/grpc/transport.newHTTP2Client.func3"},
				creator: "google.golang.org/grpc/transport.newHTTP2Client"},
			{id: 74, state: "select", status: StatusWaiting, funcs: []string{"github.com/docker/docker/libcontainerd.(*client).processEventStream"},
				creator: "github.com/docker/docker/libcontainerd.(*remote).NewClient"},
		}, warnings: []string{":1: stack frames without a goroutine header (lines 1-7)", ":13: input ends in the middle of a goroutine's stack"}},
		{file: "tidb-58624-goleak.txt", want: []wantG{
			{id: 779, state: "select", status: StatusWaiting, funcs: []string{grpcSer}, creator: grpcNew, parent: 105},
			{id: 777, state: "select", status: StatusWaiting, funcs: []string{grpcSer}, creator: grpcNew, parent: 105},
		}},
		{file: "tidb-51212-goleak-minutes.txt", want: []wantG{
			{id: 772881, state: "select", status: StatusWaiting, funcs: []string{grpcSer}, creator: grpcNew, parent: 64584},
		}},
		{file: "hatchet-170-goleak-markdown-checklist.txt", truncated: true, want: []wantG{
			{id: 56, state: "select", status: StatusWaiting, funcs: []string{grpcSer}, creator: grpcNew, parent: 10},
			{id: 57, state: "select", status: StatusWaiting, funcs: []string{grpcSer}, creator: grpcNew, parent: 10},
		}, warnings: []string{`:10: skipped a line between goroutines: "- [ ] google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"`,
			":15: input ends in the middle of a goroutine's stack"}},
		{file: "31-tidb-46844-goleak-opencensus-worker.txt", realworld: true, want: []wantG{
			{id: 16, state: "select", status: StatusWaiting, funcs: []string{"go.opencensus.io/stats/view.(*worker).start"}, creator: "go.opencensus.io/stats/view.init.0", parent: 1},
		}},
		{file: "32-tracee-4044-goleak-chan-send-fragment.txt", realworld: true, truncated: true, want: []wantG{
			{id: 13, state: "chan send", status: StatusWaiting, funcs: []string{tracee + ".func1.1"}, creator: tracee + ".func1", parent: 12},
			{id: 127, state: "chan send", status: StatusWaiting, funcs: []string{tracee + ".func1.1"}, creator: tracee + ".func1", parent: 126},
			{id: 243, state: "chan send", status: StatusWaiting, funcs: []string{"github.com/aquasecurity/tracee/te (cut)"}},
		}, warnings: []string{`:13: the dump is truncated: input ends inside the goleak header of goroutine 243; kept its ID and state ("chan send") and what there is of its top function, "github.com/aquasecurity/tracee/te", as a frame marked cut`}},
		{file: "33-otel-contrib-43417-goleak-persistconn-fragment.txt", realworld: true, truncated: true, want: []wantG{
			{id: 62, state: "select", status: StatusWaiting, funcs: []string{"net/http.(*persistConn).writeLoop"}, creator: "net/http.(*Transport).dialConn", parent: 90},
			{id: 567, state: "select", status: StatusWaiting, funcs: []string{"net/http.(*persistConn).readLoop"}, creator: "net/http.(*Transport).dialConn", parent: 565},
			{id: 61, state: "select", status: StatusWaiting, funcs: []string{"net/http.(*persistConn).readLoop"}},
		}, warnings: []string{":17: the dump is truncated: input ends inside the goleak header of goroutine 61; kept its ID and state (\"select\") and the function it names as the top of the stack, net/http.(*persistConn).readLoop, as its only frame (no location)"}},
		{file: "37-argoproj-pkg-451-exec-chan-send-fragment.txt", realworld: true, truncated: true, want: []wantG{
			{id: 1482, state: "chan send", status: StatusWaiting, funcs: []string{argo + ".func1"}, creator: argo},
			{id: 2141, state: "chan send", status: StatusWaiting, funcs: []string{argo + ".func1"}, creator: argo},
			{id: 1924, state: "chan send", status: StatusWaiting, funcs: []string{argo + ".func1"}, creator: argo},
			{id: 1379, state: "chan send", status: StatusWaiting, funcs: []string{"github.com/argoproj/pkg/exe (cut)"}},
		}, warnings: []string{`:1: read "oroutine 1482 [chan send, 47 minutes]:" as goroutine 1482's header with its start cut off`,
			`:20: the dump is truncated: input ends inside a function line of goroutine 1379; kept "github.com/argoproj/pkg/exe" as its last frame, marked cut`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "pastes", tt.file)
			if tt.realworld {
				path = testrepo.RealWorld(t, tt.file)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := readPaste(t, tt.file, raw)
			checkGoroutines(t, s, tt.want)
			checkWarnings(t, s, tt.warnings...)
			if s.Truncated != tt.truncated {
				t.Errorf("truncated %v, want %v", s.Truncated, tt.truncated)
			}
			// Read through format sniffing too: a fragment is text.
			c, err := Read(bytes.NewReader(raw), tt.file, Options{})
			if err != nil || len(c.Snapshots) != 1 || len(c.Snapshots[0].Goroutines) != len(tt.want) {
				t.Errorf("Read: %v", err)
			}
		})
	}
}

// TestReadTextGoleakFields checks what goleak's state carries and that
// its blocks group like the runtime's goroutines.
func TestReadTextGoleakFields(t *testing.T) {
	read := func(name string) *Snapshot {
		raw, err := os.ReadFile(filepath.Join("testdata", "pastes", name))
		if err != nil {
			t.Fatal(err)
		}
		return readPaste(t, name, raw)
	}
	g := read("tidb-51212-goleak-minutes.txt").Goroutines[0]
	if !g.WaitKnown || g.Wait.Minutes() != 1 || g.Reason != "select" || g.Line != 3 {
		t.Errorf("goroutine %s: want select for 1 minute, header on line 3", dumpG(g))
	}
	groups := GroupGoroutines(read("tidb-58624-goleak.txt").Goroutines)
	if len(groups) != 1 || groups[0].Count != 2 || !reflect.DeepEqual(groups[0].IDs, []int64{777, 779}) {
		t.Errorf("groups %+v, want one of goroutines 777 and 779", groups)
	}
}

// TestReadTextAbbreviatedAndAnnotated reads paths abbreviated with "..."
// or "…" (kept as given; the function still names the frame) and headers
// with a note after their "]:" (ignored with a warning); a log line that
// merely looks like such a header is no header.
func TestReadTextAbbreviatedAndAnnotated(t *testing.T) {
	in := "goroutine 7 [chan send, 12 minutes]: <- this one is stuck\n" +
		"net/http.(*persistConn).writeLoop(0xc0000e0120)\n" +
		"\t.../src/net/http/transport.go:2593 +0x1b7\n" +
		"created by net/http.(*Transport).dialConn in goroutine 90\n" +
		"\t…/net/http/transport.go:1948 +0x2dda\n" +
		"\n" +
		"2026/11/23 11:04:05 worker goroutine 12 [busy]: retrying\n" +
		"\t…/net/http/transport.go:2398 +0x14f3\n"
	s := readPaste(t, "annotated.txt", []byte(in))
	checkGoroutines(t, s, []wantG{
		{id: 7, state: "chan send", status: StatusWaiting, funcs: []string{"net/http.(*persistConn).writeLoop"}, creator: "net/http.(*Transport).dialConn", parent: 90},
		{status: StatusUnknown, noHeader: true, funcs: []string{"?"}},
	})
	g := s.Goroutines[0]
	if g.Frames[0].File != ".../src/net/http/transport.go" || g.Frames[0].Line != 2593 || g.CreatedBy.File != "…/net/http/transport.go" || g.Wait.Minutes() != 12 {
		t.Errorf("goroutine 7: %s", dumpG(g))
	}
	if f := s.Goroutines[1].Frames[0]; f.File != "…/net/http/transport.go" || f.Line != 2398 {
		t.Errorf("fragment frame %+v", f)
	}
	checkWarnings(t, s, `annotated.txt:1: ignored the text after goroutine 7's header: "<- this one is stuck"`,
		`annotated.txt:7: skipped a line between goroutines: "2026/11/23 11:04:05 worker goroutine 12 [busy]: retrying"`,
		"annotated.txt:8: stack frames without a goroutine header, read as one goroutine whose ID, state and wait are unknown; the input starts inside its top frame")
}
