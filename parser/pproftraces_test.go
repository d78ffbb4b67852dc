package parser

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The files in testdata/pprof-traces are real `go tool pprof -traces`
// outputs (plain, -lines, -addresses) of goroutine.pb.gz, written by
// testdata/gentraces/regen.sh.

func fxTracesFile(t *testing.T, name string) *Snapshot {
	t.Helper()
	path := filepath.Join("testdata", "pprof-traces", name)
	c, err := Load([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 1 {
		t.Fatalf("%s: %d snapshots, want 1", name, len(c.Snapshots))
	}
	return c.Snapshots[0]
}

func TestReadPprofTracesGenerated(t *testing.T) {
	proto := fxTracesFile(t, "goroutine.pb.gz")
	for _, name := range []string{"traces.txt", "traces-lines.txt", "traces-addresses.txt"} {
		t.Run(name, func(t *testing.T) {
			s := fxTracesFile(t, name)
			if s.Source.Format != FormatPprofTraces || s.Source.Line != 3 {
				t.Errorf("source %+v", s.Source)
			}
			// "Time:" is printed to the second.
			if !s.Source.Time.Equal(proto.Source.Time.Truncate(time.Second)) {
				t.Errorf("time %v, want %v", s.Source.Time, proto.Source.Time.Truncate(time.Second))
			}
			if s.Count() != 8 || s.DeclaredTotal != 8 || len(s.Warnings) != 0 {
				t.Errorf("count %d declared %d warnings %v", s.Count(), s.DeclaredTotal, s.Warnings)
			}
			// Every sample matches the protobuf it was printed from.
			if len(s.Goroutines) != len(proto.Goroutines) {
				t.Fatalf("%d samples, the profile has %d", len(s.Goroutines), len(proto.Goroutines))
			}
			for i, g := range s.Goroutines {
				pg := proto.Goroutines[i]
				if g.Count != pg.Count || g.Status != pg.Status || g.Reason != pg.Reason || !slices.Equal(g.Labels, pg.Labels) {
					t.Errorf("sample %d: %d %v %q %v, profile %d %v %q %v", i, g.Count, g.Status, g.Reason, g.Labels, pg.Count, pg.Status, pg.Reason, pg.Labels)
				}
				if len(g.Frames) != len(pg.Frames) {
					t.Errorf("sample %d: %d frames, profile %d", i, len(g.Frames), len(pg.Frames))
					continue
				}
				for j, f := range g.Frames {
					pf := pg.Frames[j]
					if f.Func != pf.Func || f.Inlined != pf.Inlined {
						t.Errorf("sample %d frame %d: %s inlined=%v, profile %s inlined=%v", i, j, f.Func, f.Inlined, pf.Func, pf.Inlined)
					}
					lines := name == "traces-lines.txt" || name == "traces-addresses.txt"
					if lines && (f.File != pf.File || f.Line != pf.Line) {
						t.Errorf("sample %d frame %d: %s:%d, profile %s:%d", i, j, f.File, f.Line, pf.File, pf.Line)
					}
					if !lines && (f.File != "" || f.Line != 0) {
						t.Errorf("sample %d frame %d: location %s:%d where none is printed", i, j, f.File, f.Line)
					}
					if addr := name == "traces-addresses.txt"; addr && f.PC != pf.PC || !addr && f.PC != 0 {
						t.Errorf("sample %d frame %d: PC %#x, profile %#x", i, j, f.PC, pf.PC)
					}
				}
			}
		})
	}
}

func TestReadPprofTracesNeuvector(t *testing.T) {
	path := fxRealworld(t, "19-neuvector-nvshas9810-cachemutex-convoy-pprof-traces.txt")
	c, err := Load([]string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 1 {
		t.Fatalf("%d snapshots, want 1", len(c.Snapshots))
	}
	s := c.Snapshots[0]
	// The session's `top` says "of 190359 total"; the traces must add up.
	if s.DeclaredTotal != 190359 || s.Count() != 190359 || len(s.Goroutines) != 58 {
		t.Errorf("declared %d counted %d in %d samples", s.DeclaredTotal, s.Count(), len(s.Goroutines))
	}
	if want := time.Date(2025, 1, 26, 13, 9, 0, 0, time.UTC); !s.Source.Time.Equal(want) {
		t.Errorf("time %v, want %v (5:09am PST)", s.Source.Time, want)
	}
	if len(s.Warnings) != 1 || s.Warnings[0].Line != 595 {
		t.Errorf("warnings %v, want one about the trailing session output at line 595", s.Warnings)
	}
	first := s.Goroutines[0]
	if first.Count != 128846 || first.Reason != "sync.RWMutex.RLock" || len(first.Frames) != 14 ||
		first.Frames[5].Func != "github.com/neuvector/neuvector/controller/cache.cacheMutexRLock" || !first.Frames[4].Inlined {
		t.Errorf("first sample: %d %q %d frames %+v", first.Count, first.Reason, len(first.Frames), first.Frames)
	}
	byReason := map[string]int{}
	for _, g := range s.Goroutines {
		byReason[g.Reason] += g.Count
	}
	if byReason["sync.RWMutex.RLock"] < 128846 || byReason["sync.Mutex.Lock"] < 47501 {
		t.Errorf("by reason %v", byReason)
	}
	last := s.Goroutines[len(s.Goroutines)-1]
	if last.Status != StatusSyscall || last.Frames[0].Func != "syscall.Syscall6" {
		t.Errorf("last sample %v %+v", last.Status, last.Frames[0])
	}
}

func TestReadPprofTracesMalformed(t *testing.T) {
	sep := tracesSeparatorPrefix + "------------------------------------------------\n"
	tests := []struct {
		name     string
		in       string
		wantErr  string
		line     int
		count    int
		truncs   bool
		warnings int
	}{
		{name: "delay profile", in: "Type: delay\n" + sep + "  1s   main.f\n" + sep, wantErr: `"delay" profile`, line: 2},
		{name: "no samples", in: "Type: goroutine\n" + sep + sep, wantErr: "no sample", line: 3},
		{name: "missing separator", in: sep + "  2   main.f\n  3   main.g\n" + sep, wantErr: "separator missing", line: 3},
		{name: "cut paste", in: "Type: goroutine\n" + sep + "  2   main.f\n      main.g\n", count: 2, truncs: true, warnings: 1},
		{name: "no header", in: sep + "  2   runtime.gopark\n       runtime.chanrecv1\n" + sep, count: 2},
		{name: "mismatch with top", in: "Showing nodes accounting for 5, 100% of 5 total\n" + sep + "  2   main.f\n" + sep, count: 2, warnings: 1},
		{name: "orphan labels", in: sep + "  k:  v\n" + sep + "  1   main.f\n" + sep, count: 1, warnings: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss, err := readPprofTraces(strings.NewReader(tt.in), "traces.txt")
			if tt.wantErr != "" {
				var pe *Error
				if !errors.As(err, &pe) || pe.Line != tt.line || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want an *Error at line %d with %q", err, tt.line, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := ss[0]
			if s.Count() != tt.count || s.Truncated != tt.truncs || len(s.Warnings) != tt.warnings {
				t.Errorf("count %d truncated %v warnings %v", s.Count(), s.Truncated, s.Warnings)
			}
		})
	}
}

func TestTracesFrame(t *testing.T) {
	tests := []struct {
		in   string
		want Frame
	}{
		{"runtime.gopark", Frame{Func: "runtime.gopark"}},
		{"runtime.goparkunlock (inline)", Frame{Func: "runtime.goparkunlock", Inlined: true}},
		{"main.f gent/main.go:17", Frame{Func: "main.f", File: "gent/main.go", Line: 17}},
		{"000000000047d96d runtime.gopark runtime/proc.go:462", Frame{Func: "runtime.gopark", File: "runtime/proc.go", Line: 462, PC: 0x47d96d}},
		{"00000000004dc30d sync.(*Mutex).Lock sync/mutex.go:46 (inline)", Frame{Func: "sync.(*Mutex).Lock", File: "sync/mutex.go", Line: 46, PC: 0x4dc30d, Inlined: true}},
		{"deadbeef", Frame{Func: "deadbeef"}},
	}
	for _, tt := range tests {
		got := tracesFrame([]byte(tt.in))
		if got.Func != tt.want.Func || got.File != tt.want.File || got.Line != tt.want.Line || got.PC != tt.want.PC || got.Inlined != tt.want.Inlined {
			t.Errorf("tracesFrame(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParsePprofTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-23 11:26:27 UTC", time.Date(2026, 11, 23, 11, 26, 27, 0, time.UTC)},
		{"Jan 26, 2025 at 5:09am (PST)", time.Date(2025, 1, 26, 13, 9, 0, 0, time.UTC)},
		{"Jan 26, 2025 at 5:09pm (CET)", time.Date(2025, 1, 26, 16, 9, 0, 0, time.UTC)},
		{"Jan 26, 2025 at 5:09am (XYZT)", time.Time{}},
		{"yesterday", time.Time{}},
	}
	for _, tt := range tests {
		if got := parsePprofTime(tt.in); !got.Equal(tt.want) {
			t.Errorf("parsePprofTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
