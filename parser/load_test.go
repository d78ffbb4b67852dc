package parser

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

func fxGzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	if _, err := z.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func fxExecTrace(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := trace.Start(&b); err != nil {
		t.Skipf("cannot trace: %v", err)
	}
	time.Sleep(time.Millisecond)
	trace.Stop()
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	fxStart(t)
	mutex1, block1 := fxContention(t, 1)
	stack := make([]byte, 1<<20)
	stack = stack[:runtime.Stack(stack, true)]
	traces, err := os.ReadFile(filepath.Join("testdata", "pprof-traces", "traces.txt"))
	if err != nil {
		t.Fatal(err)
	}
	debug2 := fxProfile(t, "goroutine", 2)
	var inLog bytes.Buffer
	for _, l := range strings.Split(string(debug2), "\n") {
		inLog.WriteString("2026-11-23T11:00:00.123456789Z stderr F " + l + "\n")
	}
	tests := []struct {
		name string
		data []byte
		want inputKind
		what string
	}{
		{"empty", nil, kindEmpty, ""},
		{"debug=2", debug2, kindGoroutineText, ""},
		{"debug=2 gzip", fxGzip(t, debug2), kindGoroutineText, ""},
		{"runtime.Stack", stack, kindGoroutineText, ""},
		{"dump in a kubectl log", inLog.Bytes(), kindGoroutineText, ""},
		{"debug=1", fxProfile(t, "goroutine", 1), kindDebug1, ""},
		{"proto", fxProfile(t, "goroutine", 0), kindBinary, ""},
		{"proto raw", fxGunzip(t, fxProfile(t, "goroutine", 0)), kindBinary, ""},
		{"mutex text", mutex1, kindContentionText, ""},
		{"block text", block1, kindContentionText, ""},
		{"pprof -traces", traces, kindPprofTraces, ""},
		{"exec trace", fxExecTrace(t), kindExecTrace, ""},
		{"heap text", fxProfile(t, "heap", 1), kindUnknown, "a heap/allocs profile"},
		{"threadcreate text", fxProfile(t, "threadcreate", 1), kindUnknown, "a threadcreate profile"},
		{"pprof -top", []byte("File: svc\nType: goroutine\nShowing nodes accounting for 9, 100% of 9 total\n      flat  flat%   sum%        cum   cum%\n         9   100%   100%          9   100%  runtime.gopark\n"),
			kindUnknown, "`go tool pprof -top` output, which has no stacks (give the profile itself, or `go tool pprof -traces` output)"},
		{"pprof top then traces", append([]byte("(pprof) top\n      flat  flat%   sum%        cum   cum%\n(pprof) traces\n"), traces...), kindPprofTraces, ""},
		{"plain log", []byte("level=info msg=started\nlevel=info msg=serving\n"), kindText, ""},
		{"fake trace header", []byte("go 1.x trace\x00\x00\x00\x00more"), kindBinary, ""},
		{"garbage", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0}, kindBinary, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, _, what, _, err := sniff(bytes.NewReader(tt.data), DefaultMaxDecompressed)
			if err != nil {
				t.Fatal(err)
			}
			if kind != tt.want || what != tt.what {
				t.Errorf("sniff = %d %q, want %d %q", kind, what, tt.want, tt.what)
			}
		})
	}
}

func TestIsExecTrace(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"go 1.23 trace\x00\x00\x00", true},
		{"go 1.5 trace\x00\x00\x00\x00", true},
		{"go 1.26 trace\x00\x00\x00 and events", true},
		{"go 1.23 trace\x00\x00x", false},
		{"go 1.x3 trace\x00\x00\x00", false},
		{"go 1.23 trace", false},
		{"go 1. trace\x00\x00\x00\x00\x00", false},
	}
	for _, tt := range tests {
		if got := isExecTrace([]byte(tt.in)); got != tt.want {
			t.Errorf("isExecTrace(%q) = %v", tt.in, got)
		}
	}
}

func TestReadMalformed(t *testing.T) {
	debug2 := fxProfile(t, "goroutine", 2)
	gz := fxGzip(t, debug2)
	corrupt := bytes.Clone(gz)
	for i := 20; i < len(corrupt)-8; i += 7 {
		corrupt[i] ^= 0x5a
	}
	// A gzip bomb in miniature: text that expands far beyond the cap.
	// One dump of many goroutines: the gzip cap is reached before any
	// budget of the text reader (a repeated "goroutine 1" would be cut at
	// maxSnapshotsPerInput dumps instead, see TestHostileTextBudgets).
	var dump []byte
	for id := range 200000 {
		dump = fmt.Appendf(dump, "goroutine %d [select]:\nmain.main()\n\t/a.go:1 +0x1\n\n", id+1)
	}
	bomb := fxGzip(t, dump)
	zeros := fxGzip(t, make([]byte, 8<<20))
	tests := []struct {
		name    string
		data    []byte
		max     int64
		want    string
		unknown bool
		offset  func(int64) bool
	}{
		{name: "empty", want: "empty input", offset: func(o int64) bool { return o == 0 }},
		{name: "binary garbage", data: []byte("\x00\x01\x02\x03garbage\xff\xfe"), want: "binary data starting", unknown: true, offset: func(o int64) bool { return o == 0 }},
		{name: "corrupt gzip", data: corrupt, want: "gzip", offset: func(o int64) bool { return o > 10 && o <= int64(len(corrupt)) }},
		{name: "truncated gzip", data: gz[:len(gz)/2], want: "ends early", offset: func(o int64) bool { return o > 10 && o <= int64(len(gz)/2) }},
		{name: "bad gzip header", data: []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0}, want: "gzip: invalid header", offset: func(o int64) bool { return o >= 0 && o <= 10 }},
		{name: "text gzip bomb", data: bomb, max: 1 << 20, want: "exceeds the limit of 1048576 bytes (possible gzip bomb", offset: func(o int64) bool { return o > 0 && o < int64(len(bomb)) }},
		{name: "zeros gzip bomb", data: zeros, max: 32 << 10, want: "possible gzip bomb", offset: func(o int64) bool { return o > 0 && o < int64(len(zeros)) }},
		{name: "gzip in gzip", data: fxGzip(t, gz), want: "gzip inside gzip", unknown: true, offset: func(o int64) bool { return o == -1 }},
		{name: "plain text", data: []byte("nothing to see\n"), want: "goroutine header", unknown: true, offset: func(o int64) bool { return o >= -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(tt.data), "input.bin", Options{MaxDecompressed: tt.max})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Read = %p, %v; want an *Error", c, err)
			}
			if pe.File != "input.bin" || !strings.Contains(err.Error(), tt.want) || !tt.offset(pe.Offset) {
				t.Errorf("err = %q (offset %d), want it to name input.bin and contain %q", err, pe.Offset, tt.want)
			}
			if errors.Is(err, ErrUnknownFormat) != tt.unknown {
				t.Errorf("errors.Is(err, ErrUnknownFormat) = %v", !tt.unknown)
			}
		})
	}
}

func TestLoadDirectory(t *testing.T) {
	fxStart(t)
	dir := t.TempDir()
	debug1 := fxProfile(t, "goroutine", 1)
	mutex1, _ := fxContention(t, 1)
	fxWrite(t, dir, "b-goroutine.pb.gz", fxProfile(t, "goroutine", 0))
	fxWrite(t, dir, "a-goroutine-debug1.txt", debug1)
	fxWrite(t, dir, "c-junk.bin", []byte("\x00\x01\x02junk"))
	fxWrite(t, dir, "d-notes.txt", []byte("on-call notes: restarted at 11:02\n"))
	fxWrite(t, dir, "sub/mutex.txt", mutex1)
	fxWrite(t, dir, "sub/deeper/x.txt", debug1)
	fxWrite(t, dir, "manifest.json", []byte(`{"version":1,"files":[
		{"name":"a-goroutine-debug1.txt","captured_at":"2026-11-23T10:00:00.5Z"},
		{"name":"sub/mutex.txt","captured_at":"2026-11-23T10:00:01Z"},
		{"name":"b-goroutine.pb.gz","captured_at":"2001-01-01T00:00:00Z"}]}`))

	c, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 2 || len(c.Contention) != 1 {
		t.Fatalf("%d snapshots %d profiles, want 2 and 1", len(c.Snapshots), len(c.Contention))
	}
	d1, pb := c.Snapshots[0], c.Snapshots[1]
	if d1.Source.Format != FormatGoroutineDebug1 || pb.Source.Format != FormatGoroutineProto {
		t.Errorf("formats %s, %s: want name order", d1.Source.Format, pb.Source.Format)
	}
	if want := time.Date(2026, 11, 23, 10, 0, 0, 5e8, time.UTC); !d1.Source.Time.Equal(want) {
		t.Errorf("debug=1 time %v, want the manifest's %v", d1.Source.Time, want)
	}
	// The protobuf's own timestamp wins over the manifest.
	if pb.Source.Time.Year() == 2001 || pb.Source.Time.IsZero() {
		t.Errorf("proto time %v, want its TimeNanos", pb.Source.Time)
	}
	if want := time.Date(2026, 11, 23, 10, 0, 1, 0, time.UTC); !c.Contention[0].Source.Time.Equal(want) {
		t.Errorf("mutex time %v, want %v", c.Contention[0].Source.Time, want)
	}
	if c.Contention[0].Source.File != filepath.Join(dir, "sub", "mutex.txt") {
		t.Errorf("mutex file %q", c.Contention[0].Source.File)
	}
	var skipped []string
	for _, w := range c.Warnings {
		skipped = append(skipped, filepath.Base(w.File))
		if !strings.HasPrefix(w.Msg, "skipped") {
			t.Errorf("warning %v", w)
		}
	}
	if strings.Join(skipped, " ") != "deeper c-junk.bin d-notes.txt" {
		t.Errorf("skipped %v, want deeper, c-junk.bin, d-notes.txt", skipped)
	}
}

func TestLoadErrors(t *testing.T) {
	junk := t.TempDir()
	fxWrite(t, junk, "a.bin", []byte("\x00\x00\x00"))
	fxWrite(t, junk, "b.txt", []byte("hello\n"))
	empty := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nope.txt")
	emptyFile := fxWrite(t, t.TempDir(), "empty.txt", nil)
	tests := []struct {
		name  string
		paths []string
		opts  Options
		file  string
		want  string
	}{
		{"no paths", nil, Options{}, "", "no input"},
		{"missing file", []string{missing}, Options{}, missing, "no such file"},
		{"empty file", []string{emptyFile}, Options{}, emptyFile, "empty input"},
		{"junk dir", []string{junk}, Options{}, junk, "no readable capture among 2 files"},
		{"empty dir", []string{empty}, Options{}, empty, "holds no capture files"},
		{"stdin unset", []string{"-"}, Options{}, "-", "standard input"},
		{"stdin garbage", []string{"-"}, Options{Stdin: strings.NewReader("\x00\x01")}, "-", "binary data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.paths, tt.opts)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", c)
			}
			var pe *Error
			if tt.file != "" && (!errors.As(err, &pe) || pe.File != tt.file) {
				t.Errorf("err = %v, want an *Error naming %s", err, tt.file)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestLoadStdinAndFiles(t *testing.T) {
	fxStart(t)
	path := fxWrite(t, t.TempDir(), "g.pb.gz", fxProfile(t, "goroutine", 0))
	c, err := Load([]string{"-", path}, Options{Stdin: bytes.NewReader(fxProfile(t, "goroutine", 1))})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 2 || c.Snapshots[0].Source.File != "-" || c.Snapshots[1].Source.File != path {
		t.Fatalf("snapshots %+v", c.Snapshots)
	}
	if a, b := c.Snapshots[0].Count(), c.Snapshots[1].Count(); a < 7 || b < 7 {
		t.Errorf("counts %d and %d", a, b)
	}
}

func TestLoadManifestProblems(t *testing.T) {
	fxStart(t)
	dir := t.TempDir()
	fxWrite(t, dir, "g.txt", fxProfile(t, "goroutine", 1))
	fxWrite(t, dir, "manifest.json", []byte(`{"files": [`))
	c, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 1 || !c.Snapshots[0].Source.Time.IsZero() {
		t.Errorf("snapshots %+v", c.Snapshots)
	}
	if len(c.Warnings) != 1 || filepath.Base(c.Warnings[0].File) != "manifest.json" || c.Warnings[0].Offset < 0 {
		t.Errorf("warnings %v, want one about the manifest with its offset", c.Warnings)
	}
}
