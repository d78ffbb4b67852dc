package parser

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestReadDebug1Live(t *testing.T) {
	p := fxStart(t)
	raw := fxProfile(t, "goroutine", 1)
	snaps, err := readDebug1(bytes.NewReader(raw), "live-debug1.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 {
		t.Fatalf("%d snapshots, want 1", len(snaps))
	}
	snap := snaps[0]
	if snap.Source.Format != FormatGoroutineDebug1 || snap.Source.Line != 1 {
		t.Errorf("source = %+v", snap.Source)
	}
	if snap.DeclaredTotal == 0 || snap.Count() != snap.DeclaredTotal {
		t.Errorf("records add up to %d, header says %d", snap.Count(), snap.DeclaredTotal)
	}
	if len(snap.Warnings) != 0 {
		t.Errorf("warnings: %v", snap.Warnings)
	}
	tests := []struct {
		fn     string
		count  int
		status Status
		reason string
		labels []Label
		// inner is the innermost frame debug=1 shows: it hides leading
		// runtime frames but shows sync's.
		inner string
	}{
		{"fxRecv", 3, StatusWaiting, "", []Label{{"fx", "recv"}, {"tenant", "a b"}}, fxPkg + "fxRecv"},
		{"fxLock", 2, StatusWaiting, "sync.Mutex.Lock", nil, "internal/sync.runtime_SemacquireMutex"},
		{"fxSelect", 1, StatusWaiting, "", nil, fxPkg + "fxSelect"},
		{"fxWait", 1, StatusWaiting, "sync.WaitGroup.Wait", nil, "sync.runtime_SemacquireWaitGroup"},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			gs := fxFind(snap.Goroutines, tt.fn)
			if len(gs) != 1 {
				t.Fatalf("%d records hold %s, want 1", len(gs), tt.fn)
			}
			g := gs[0]
			if g.ID != 0 || g.Count != tt.count || g.Status != tt.status || g.Reason != tt.reason {
				t.Errorf("ID %d Count %d Status %v Reason %q, want 0 %d %v %q", g.ID, g.Count, g.Status, g.Reason, tt.count, tt.status, tt.reason)
			}
			if !slices.Equal(g.Labels, tt.labels) {
				t.Errorf("labels %v, want %v", g.Labels, tt.labels)
			}
			if g.Frames[0].Func != tt.inner {
				t.Errorf("innermost frame %s, want %s", g.Frames[0].Func, tt.inner)
			}
			f := g.Frames[fxFrame(g.Frames, tt.fn)]
			if f.Line != p.line(tt.fn) || !strings.HasSuffix(f.File, "/parser/formats_live_test.go") {
				t.Errorf("frame at %s:%d, want formats_live_test.go:%d", f.File, f.Line, p.line(tt.fn))
			}
			if f.PC == 0 || f.Offset == 0 {
				t.Errorf("frame PC %#x offset %#x: want both", f.PC, f.Offset)
			}
		})
	}
}

func TestReadDebug1Colly(t *testing.T) {
	path := fxRealworld(t, "20-colly-crawler-chan-send-pileup-debug1.txt")
	c, err := Load([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 1 {
		t.Fatalf("%d snapshots, want 1", len(c.Snapshots))
	}
	s := c.Snapshots[0]
	if s.Source.Format != FormatGoroutineDebug1 || s.DeclaredTotal != 153399 || s.Count() != 153384 || !s.Truncated {
		t.Errorf("format %s declared %d counted %d truncated %v", s.Source.Format, s.DeclaredTotal, s.Count(), s.Truncated)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0].Msg, "153384") || !strings.Contains(s.Warnings[0].Msg, "153399") {
		t.Errorf("warnings %v, want one about the sum", s.Warnings)
	}
	g := s.Goroutines[0]
	want := []Frame{
		{Func: "github.com/gocolly/colly/v2.(*httpBackend).Do", File: "/app/vendor/github.com/gocolly/colly/v2/http_backend.go", Line: 172, Offset: 0x8a, PC: 0xad1d2a},
		{Func: "github.com/gocolly/colly/v2.(*httpBackend).Cache", File: "/app/vendor/github.com/gocolly/colly/v2/http_backend.go", Line: 133, Offset: 0x126, PC: 0xad1666},
		{Func: "github.com/gocolly/colly/v2.(*Collector).fetch", File: "/app/vendor/github.com/gocolly/colly/v2/colly.go", Line: 711, Offset: 0x528, PC: 0xac8d08},
	}
	if !slices.EqualFunc(g.Frames, want, func(a, b Frame) bool {
		return a.Func == b.Func && a.File == b.File && a.Line == b.Line && a.Offset == b.Offset && a.PC == b.PC
	}) {
		t.Errorf("frames %+v\nwant %+v", g.Frames, want)
	}
	// Three runtime frames are hidden: the goroutine is parked, on what
	// debug=1 does not say.
	if g.Status != StatusWaiting || g.Reason != "" {
		t.Errorf("status %v reason %q, want waiting with no reason", g.Status, g.Reason)
	}
}

func TestReadDebug1Malformed(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantErr  string // substring; "" for success
		line     int
		count    int
		warnings int
		file     string // of the first frame, when set
	}{
		{name: "no header", in: "hello\nworld\n", wantErr: "no \"goroutine profile: total N\" header and no \"N @ 0x...\" record", line: 2},
		{name: "other profile", in: "threadcreate profile: total 3\n", wantErr: "threadcreate profile", line: 1},
		{name: "bad count", in: "goroutine profile: total 1\nx @ 0x1\n", wantErr: "bad record count", line: 2},
		{name: "bad pc", in: "goroutine profile: total 1\n1 @ 0xzz\n", wantErr: "bad PC", line: 2},
		// A frame line that does not read whole keeps its function.
		{name: "frame without location", in: "goroutine profile: total 1\n1 @ 0x10\n#\t0xf\tmain.f+0x1\n", count: 1, warnings: 1},
		{name: "bad line number", in: "goroutine profile: total 1\n1 @ 0x10\n#\t0xf\tmain.f+0x1\t/a.go:x\n", count: 1, warnings: 1},
		{name: "truncated mid frame", in: "goroutine profile: total 2\n2 @ 0x10 0x20\n#\t0xf\tmain.f+0x1\t/a.go:3\n#\t0x1f\tmain.g+0x", count: 2, warnings: 1},
		{name: "broken frame mid file", in: "goroutine profile: total 2\n2 @ 0x10 0x20\n#\t0x1f\tmain.g+0x\n#\t0xf\tmain.f+0x1\t/a.go:3\n", count: 2, warnings: 1},
		{name: "trailing other profile", in: "goroutine profile: total 1\n1 @ 0x10\n#\t0xf\tmain.f+0x1\t/a.go:3\n\nthreadcreate profile: total 1\n1 @ 0x10\n", count: 1, warnings: 1},
		{name: "trailing output", in: "goroutine profile: total 1\n1 @ 0x10\n#\t0xf\tmain.f+0x1\t/a.go:3\n\n$ exit\n", count: 1, warnings: 1},
		{name: "short of total", in: "goroutine profile: total 5\n1 @ 0x10\n#\t0xf\tmain.f+0x1\t/a.go:3\n", count: 1, warnings: 1},
		{name: "bad labels warned", in: "goroutine profile: total 1\n1 @ 0x10\n# labels: {\"a\":b}\n#\t0xf\tmain.f+0x1\t/a.go:3\n", count: 1, warnings: 1},
		{name: "spaces for tabs", in: "goroutine profile: total 1\n1 @ 0x10\n#  0xf  main.f+0x1  /my src/a.go:3\n", count: 1, file: "/my src/a.go"},
		{name: "tabwriter padding", in: "goroutine profile: total 1\n1 @ 0x10\n#\t0xf\t\tmain.f+0x1\t\t/my src/a.go:3\n", count: 1, file: "/my src/a.go"},
		{name: "unsymbolized pc", in: "goroutine profile: total 1\n1 @ 0x10\n#\t0xf\n", count: 1},
		{name: "ansi in function", in: "goroutine profile: total 1\n1 @ 0x10\n#\t0xf\tmain.\x1b[31mf+0x1\t/a.go:3\n", count: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss, err := readDebug1(strings.NewReader(tt.in), "in.txt")
			if tt.wantErr != "" {
				var pe *Error
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) || pe.File != "in.txt" || pe.Line != tt.line {
					t.Fatalf("err = %v, want *Error at in.txt:%d containing %q", err, tt.line, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) != 1 {
				t.Fatalf("%d snapshots, want 1", len(ss))
			}
			s := ss[0]
			if s.Count() != tt.count || len(s.Warnings) != tt.warnings {
				t.Errorf("count %d warnings %v, want %d and %d warnings", s.Count(), s.Warnings, tt.count, tt.warnings)
			}
			if f := s.Goroutines[0].Frames[0]; tt.file != "" && (f.File != tt.file || f.Func != "main.f" || f.Line != 3 || f.Offset != 1) {
				t.Errorf("frame %+v, want main.f+0x1 at %s:3", f, tt.file)
			}
			for _, g := range s.Goroutines {
				for _, f := range g.Frames {
					if f.Func != CleanText(f.Func) || strings.ContainsRune(f.Func, 0x1b) {
						t.Errorf("control characters kept in %q", f.Func)
					}
				}
			}
		})
	}
}

func TestParseDebug1Labels(t *testing.T) {
	tests := []struct {
		in   string
		want []Label
		ok   bool
	}{
		{`{}`, nil, true},
		{`{"b":"2", "a":"1"}`, []Label{{"a", "1"}, {"b", "2"}}, true},
		{`{"k":"say \"hi\", ok"}`, []Label{{"k", `say "hi", ok`}}, true},
		{`{"k":"\u00e9\t"}`, []Label{{"k", "é\t"}}, true},
		{`{"k":"unterminated}`, nil, false},
		{`["k"]`, nil, false},
		{`{"k" "v"}`, nil, false},
	}
	for _, tt := range tests {
		got, err := parseDebug1Labels([]byte(tt.in))
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("parseDebug1Labels(%s) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// A debug=1 profile whose runtime is gone: the leak profile of Go 1.26
// marks every record leaked.
func TestReadDebug1Leak(t *testing.T) {
	in := "goroutineleak profile: total 2\n2 @ 0x10 0x20\n#\t0x1f\tmain.f+0x1\t/a.go:3\n"
	ss, err := readDebug1(strings.NewReader(in), "leak.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := ss[0]
	if s.Count() != 2 || s.Goroutines[0].Status != StatusLeaked {
		t.Errorf("count %d status %v", s.Count(), s.Goroutines[0].Status)
	}
}

func TestReadDebug1LongLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("goroutine profile: total 1\n# ")
	b.WriteString(strings.Repeat("x", 10<<20))
	b.WriteString("\n1 @ 0x10\n#\t0xf\tmain.f+0x1\t/a.go:3\n")
	ss, err := readDebug1(strings.NewReader(b.String()), "long.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := ss[0]
	if s.Count() != 1 || len(s.Warnings) != 1 || s.Warnings[0].Line != 2 {
		t.Errorf("count %d warnings %v", s.Count(), s.Warnings)
	}
}

// Profiles appended to one file (curl ... >> leak.txt, once a minute) are
// one snapshot each.
func TestReadDebug1Appended(t *testing.T) {
	fxStart(t)
	first := fxProfile(t, "goroutine", 1)
	second := fxProfile(t, "goroutine", 1)
	in := append(append([]byte("$ curl -s localhost:6060/debug/pprof/goroutine?debug=1\n"), first...), second...)
	ss, err := readDebug1(bytes.NewReader(in), "appended.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 {
		t.Fatalf("%d snapshots, want 2", len(ss))
	}
	secondLine := 2 + bytes.Count(first, []byte("\n"))
	for i, s := range ss {
		if s.Source.Index != i || s.Count() != s.DeclaredTotal || len(s.Warnings) != 0 || len(fxFind(s.Goroutines, "fxRecv")) != 1 {
			t.Errorf("snapshot %d: index %d count %d declared %d warnings %v", i, s.Source.Index, s.Count(), s.DeclaredTotal, s.Warnings)
		}
	}
	if ss[0].Source.Line != 2 || ss[1].Source.Line != secondLine {
		t.Errorf("lines %d and %d, want 2 and %d", ss[0].Source.Line, ss[1].Source.Line, secondLine)
	}
}
