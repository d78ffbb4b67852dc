package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The inputs here are hand-written on purpose: they are what no runtime
// prints.

const twoGoroutines = `goroutine 1 [running]:
main.main()
	/src/main.go:5 +0x1d

goroutine 2 [chan receive, 4 minutes]:
main.worker(0xd0194542200)
	/src/main.go:9 +0x2a
created by main.main in goroutine 1
	/src/main.go:4 +0x3c
`

// TestReadTextBlankLinesLost reads dumps whose blank lines a log pipeline
// dropped: a "[running]" goroutine inside the dump does not start another
// one, while two such dumps back to back still split at the repeated ID.
func TestReadTextBlankLinesLost(t *testing.T) {
	dump := "panic: boom\n" +
		"goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n" +
		"goroutine 7 [running]:\n\tgoroutine running on other thread; stack unavailable\ncreated by main.main in goroutine 1\n\t/src/main.go:4 +0x3c\n" +
		"goroutine 8 [chan receive]:\nmain.worker()\n\t/src/main.go:9 +0x2a\n"
	for _, tt := range []struct {
		in    string
		sizes []int
	}{
		{dump, []int{3}},
		{dump + dump, []int{3, 3}},
		{strings.ReplaceAll(dump, "panic: boom\n", "") + strings.ReplaceAll(dump, "panic: boom\n", ""), []int{3, 3}},
	} {
		snaps, err := ReadText(strings.NewReader(tt.in), "lost.txt")
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for _, s := range snaps {
			sizes = append(sizes, len(s.Goroutines))
			if len(s.Warnings) != 0 {
				t.Errorf("warnings %v", s.Warnings)
			}
		}
		if !slices.Equal(sizes, tt.sizes) {
			t.Errorf("snapshot sizes %v, want %v", sizes, tt.sizes)
		}
	}
}

func TestReadTextMalformed(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantErr   bool
		n         int    // goroutines
		truncated bool   // snapshot marked truncated
		warn      string // a warning containing this
	}{
		{name: "empty", in: "", wantErr: true},
		{name: "no dump", in: "hello\nworld\n", wantErr: true},
		{name: "binary garbage", in: "\x00\x01\xff\xfe\x1b[2J\x7fgoroutine\x00 1 [\xff]:\n\x00\x00", wantErr: true},
		{name: "cut mid frame", in: twoGoroutines[:strings.Index(twoGoroutines, "main.worker(")+8], n: 2, truncated: true, warn: "truncated"},
		{name: "cut before location", in: strings.TrimSuffix(twoGoroutines, "\t/src/main.go:4 +0x3c\n"), n: 2, truncated: true, warn: "truncated"},
		{name: "cut in a later frame", in: "goroutine 1 [running]:\nmain.a()\n\t/src/main.go:5 +0x1d\nmain.ma", n: 1, truncated: true, warn: "truncated"},
		{name: "runtime diagnostics in a stack", in: "goroutine 0 [idle]:\nruntime: unknown pc 0x7fdfe7917df2\nstack: frame={sp:0x7fffc09c2940, fp:0x0} stack=[0x7fffc01c39b8,0x7fffc09c29f0)\n0x00007fffc09c2840:  0x0000000000000000  0x0000000000000000 \nruntime.futex(0x1)\n\t/src/runtime/sys_linux_amd64.s:557 +0x21\n", n: 1},
		{name: "header only", in: "goroutine 1 [running]:", n: 1, truncated: true, warn: "truncated"},
		{name: "complete without final newline", in: strings.TrimSuffix(twoGoroutines, "\n"), n: 2},
		{name: "frame without location", in: "goroutine 1 [running]:\nmain.a()\nmain.b()\n\t/src/main.go:5 +0x1d\n", n: 1},
		{name: "stray line in stack", in: "goroutine 1 [running]:\nmain.a()\nGET /healthz 200\n\t/src/main.go:5 +0x1d\n", n: 1, warn: "GET /healthz"},
		{name: "ANSI and controls in the state", in: "goroutine 3 [\x1b[31mchan receive\x1b[0m\x07]:\nmain.a()\n\t/src/main.go:5 +0x1d\n", n: 1},
		{name: "NUL bytes inside", in: "goroutine 1 [running]:\nmain.a\x00()\n\t/src/main.go:5 +0x1d\n", n: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snaps, err := ReadText(strings.NewReader(tt.in), "bad.txt")
			if tt.wantErr {
				var pe *Error
				if !errors.As(err, &pe) || pe.File != "bad.txt" || pe.Line < 1 || !strings.Contains(err.Error(), "bad.txt:") {
					t.Fatalf("error %v (%T), want a *parser.Error naming bad.txt and a line", err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s := snaps[0]
			if len(s.Goroutines) != tt.n || s.Truncated != tt.truncated {
				t.Errorf("%d goroutines truncated %v, want %d %v", len(s.Goroutines), s.Truncated, tt.n, tt.truncated)
			}
			found := tt.warn == ""
			for _, w := range s.Warnings {
				found = found || strings.Contains(w.String(), tt.warn)
				if w.File != "bad.txt" || w.Line < 1 {
					t.Errorf("warning without position: %+v", w)
				}
			}
			if !found {
				t.Errorf("no warning containing %q in %v", tt.warn, s.Warnings)
			}
			if tt.warn == "" && len(s.Warnings) > 0 {
				t.Errorf("unexpected warnings %v", s.Warnings)
			}
			for _, g := range s.Goroutines {
				checkClean(t, g)
			}
		})
	}
}

// checkClean fails if a stored string carries control characters.
func checkClean(t *testing.T, g *Goroutine) {
	t.Helper()
	strs := []string{g.State, g.Reason}
	for _, f := range g.Frames {
		strs = append(strs, f.Func, f.File)
	}
	if g.CreatedBy != nil {
		strs = append(strs, g.CreatedBy.Func, g.CreatedBy.File)
	}
	for _, l := range g.Labels {
		strs = append(strs, l.Key, l.Value)
	}
	for _, s := range strs {
		if CleanText(s) != s {
			t.Errorf("stored string %q is not clean", s)
		}
	}
}

// repeatReader yields n bytes of b repeated, without holding them.
type repeatReader struct {
	b   []byte
	n   int64
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	w := 0
	for w < len(p) && r.n > 0 {
		c := copy(p[w:min(len(p), w+int(min(r.n, int64(len(r.b)-r.off))))], r.b[r.off:])
		w += c
		r.n -= int64(c)
		r.off = (r.off + c) % len(r.b)
	}
	return w, nil
}

// TestReadTextLongLines: a 200 KiB frame line is parsed; a 10 MB line is
// skipped with a warning, in bounded memory.
func TestReadTextLongLines(t *testing.T) {
	const args = 20000
	long := "main.many(" + strings.Repeat("0x1, ", args-1) + "0x1)\n\t/src/main.go:7 +0x1\n"
	in := io.MultiReader(
		strings.NewReader("goroutine 1 [running]:\n"+long+"\n"),
		&repeatReader{b: []byte("x"), n: 10 << 20},
		strings.NewReader("\n\n"+twoGoroutines[strings.Index(twoGoroutines, "goroutine 2"):]),
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	snaps, err := ReadText(in, "long.txt")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	s := snaps[0]
	if len(s.Goroutines) != 2 || len(s.Goroutines[0].Args(0)) != args {
		t.Fatalf("%d goroutines, first with %d args", len(s.Goroutines), len(s.Goroutines[0].Args(0)))
	}
	if len(s.Warnings) != 1 || s.Warnings[0].Line != 5 || !strings.Contains(s.Warnings[0].Msg, "skipped") {
		t.Errorf("warnings %v, want one for line 5", s.Warnings)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("allocated %d bytes reading a 10 MB line", grew)
	}
}

// TestReadTextRuntimeCap: a dump of exactly 64 MiB is the runtime's cut.
func TestReadTextRuntimeCap(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MiB")
	}
	r := &cappedDump{}
	snaps, err := ReadText(io.LimitReader(r, runtimeStackCap), "cap.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 || !snaps[0].Truncated {
		t.Fatalf("%d snapshots, truncated %v", len(snaps), len(snaps) > 0 && snaps[0].Truncated)
	}
	if w := snaps[0].Warnings; len(w) != 1 || !strings.Contains(w[0].Msg, "64 MiB") {
		t.Errorf("warnings %v, want the 64 MiB cut alone", w)
	}
	// One byte less is not the runtime's cut.
	snaps, err = ReadText(io.LimitReader(&cappedDump{}, runtimeStackCap-1), "cap.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range snaps[0].Warnings {
		if strings.Contains(w.Msg, "64 MiB") {
			t.Errorf("64 MiB warning on a shorter dump")
		}
	}
}

// cappedDump streams an endless dump with distinct goroutine IDs.
type cappedDump struct {
	id  int
	buf []byte
}

func (c *cappedDump) Read(p []byte) (int, error) {
	for len(c.buf) < len(p) {
		c.id++
		c.buf = fmt.Appendf(c.buf, "goroutine %d [select]:\nmain.loop(0xd0194542200)\n\t/src/main.go:%d +0x2a\ncreated by main.main in goroutine 1\n\t/src/main.go:4 +0x3c\n\n", c.id, c.id%1000)
	}
	n := copy(p, c.buf)
	c.buf = c.buf[:copy(c.buf, c.buf[n:])]
	return n, nil
}

// TestReadTextWarningCap: a stack full of foreign lines gives a bounded
// list of warnings that says how many it left out.
func TestReadTextWarningCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "main.f%d()\nnoise line %d\n\t/src/main.go:%d +0x1\n", i, i, i+1)
	}
	snaps, err := ReadText(strings.NewReader(b.String()), "noise.txt")
	if err != nil {
		t.Fatal(err)
	}
	w := snaps[0].Warnings
	// 3000 noise lines and one for the frames over maxFramesPerStack.
	if len(snaps[0].Goroutines[0].Frames) != maxFramesPerStack || len(w) != maxWarnings+1 || w[maxWarnings].Msg != "2001 more warnings not listed" {
		t.Errorf("%d frames, %d warnings, last %v", len(snaps[0].Goroutines[0].Frames), len(w), w[len(w)-1])
	}
}

// TestReadTextRandomBytes feeds random mutations of a dump: never a panic,
// and never more goroutines than headers.
func TestReadTextRandomBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := []byte(twoGoroutines)
	for range 2000 {
		b := append([]byte(nil), base...)
		for range rng.IntN(8) + 1 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		checkReadTextInvariants(t, b)
	}
}

// checkReadTextInvariants holds for any input.
func checkReadTextInvariants(t *testing.T, b []byte) {
	t.Helper()
	snaps, err := ReadText(bytes.NewReader(b), "in")
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || pe.File != "in" || len(snaps) != 0 {
			t.Fatalf("error %v (%T) with %d snapshots", err, err, len(snaps))
		}
		return
	}
	headed, headerless := 0, 0
	for _, s := range snaps {
		if len(s.Goroutines) == 0 {
			t.Fatalf("empty snapshot")
		}
		for _, g := range s.Goroutines {
			if g.Count != 1 {
				t.Fatalf("count %d", g.Count)
			}
			checkClean(t, g)
			if !g.NoHeader {
				headed++
				continue
			}
			headerless++
			if len(g.Frames) == 0 && g.CreatedBy == nil || g.ID != 0 || g.WaitKnown || g.State != "" {
				t.Fatalf("goroutine without a header: %s", dumpG(g))
			}
		}
	}
	// "utine " is in runtime headers, goleak's "Goroutine N" and headers
	// cut at their start.
	if headers := bytes.Count(b, []byte("utine ")); headed > headers {
		t.Fatalf("%d goroutines from %d header-like lines", headed, headers)
	}
	if lines := bytes.Count(b, []byte("\n")) + 1; headerless > lines {
		t.Fatalf("%d goroutines without a header from %d lines", headerless, lines)
	}
}

// crashRepeats follows the layout of a GOTRACEBACK=crash SIGQUIT dump (see
// fixtures/variants/captures/*/sigquit-crash.txt): the goroutine list, then
// one section per thread that lists again the goroutine it was running.
// The last section is a thread caught on its system stack (g0) while its
// goroutine 9 ran: the runtime prints g0's frames, then goroutine 9's header
// with no blank line between (runtime.sighandler), which is not a new dump.
const crashRepeats = `SIGQUIT: quit
PC=0x4923a1 m=0 sigcode=0

goroutine 0 gp=0x6c9b00 m=0 mp=0x6ca8c0 [idle]:
runtime.futex(0x6caa18, 0x80, 0x0)
	runtime/sys_linux_amd64.s:557 +0x21 fp=0x7ffc sp=0x7ffb pc=0x4923a1

goroutine 37 gp=0x1f4ce5cf6780 m=3 mp=0x1f4ce5c53008 [syscall]:
syscall.read(0x0?)
	syscall/zsyscall_linux_amd64.go:736 +0x38 fp=0x1 sp=0x2 pc=0x48c6c5

goroutine 7 gp=0x1f4ce5c19c20 m=7 mp=0x1f4ce5c53808 [running]:
	goroutine running on other thread; stack unavailable
created by main.startSpinners in goroutine 1
	main/crash.go:37 +0x3a

rax    0xca
rip    0x4923a1

-----

SIGQUIT: quit
PC=0x503496 m=7 sigcode=0

goroutine 7 gp=0x1f4ce5c19c20 m=7 mp=0x1f4ce5c53808 [running]:
main.spin(0x0?)
	main/crash.go:50 +0x36 fp=0x3 sp=0x4 pc=0x503496
created by main.startSpinners in goroutine 1
	main/crash.go:37 +0x3a

goroutine 37 gp=0x1f4ce5cf6780 m=3 mp=0x1f4ce5c53008 [syscall]:
non-Go function at pc=0x54141c
syscall.read(0x0?)
	syscall/zsyscall_linux_amd64.go:736 +0x38 fp=0x1 sp=0x2 pc=0x48c6c5
rax    0xfffffffffffffffc

goroutine 0 gp=0x1f4ce5c101e0 m=8 mp=0x1f4ce5d0b808 [idle]:
runtime.futex(0x6caa18, 0x80, 0x0)
	runtime/sys_linux_amd64.s:557 +0x21 fp=0x7ffc sp=0x7ffb pc=0x4923a1

rax    0xca

-----

SIGQUIT: quit
PC=0x41b2c0 m=9 sigcode=0

goroutine 0 gp=0x1f4ce5c10380 m=9 mp=0x1f4ce5d0c008 [idle]:
runtime.(*mheap).alloc(0x6cb000, 0x1, 0x1)
	runtime/mheap.go:1015 +0x60 fp=0x7ffd sp=0x7ffc pc=0x41b2c0
runtime.systemstack()
	runtime/asm_amd64.s:514 +0x4a fp=0x7ffe sp=0x7ffd pc=0x46e7ea
goroutine 9 gp=0x1f4ce5c1a000 m=9 mp=0x1f4ce5d0c008 [running]:
runtime.systemstack_switch()
	runtime/asm_amd64.s:479 +0x8
main.spin(0x0?)
	main/crash.go:50 +0x36
created by main.startSpinners in goroutine 1
	main/crash.go:37 +0x3a
rax    0xca
`

// TestReadTextCrashRepeats: goroutines a crash dump lists twice are one
// goroutine, with the richer stack (the thread section's, for a goroutine
// whose stack was unavailable or that was in C).
func TestReadTextCrashRepeats(t *testing.T) {
	snaps, err := ReadText(strings.NewReader(crashRepeats), "crash.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 1 {
		t.Fatalf("%d snapshots, want 1", len(snaps))
	}
	s := snaps[0]
	var ids []int64
	for _, g := range s.Goroutines {
		ids = append(ids, g.ID)
	}
	if !slices.Equal(ids, []int64{0, 37, 7, 0, 0, 9}) || len(s.Warnings) != 0 {
		t.Fatalf("goroutines %v, warnings %v", ids, s.Warnings)
	}
	if f := s.Goroutines[1].Frames; len(f) != 2 || f[0].Func != "non-Go function" || f[0].PC != 0x54141c {
		t.Errorf("goroutine 37 frames %+v, want the thread section's, C frame first", f)
	}
	spin := s.Goroutines[2]
	if spin.StackUnavailable || len(spin.Frames) != 1 || spin.Frames[0].Func != "main.spin" || spin.Frames[0].PC != 0x503496 ||
		spin.CreatedBy == nil || spin.CreatedBy.Parent != 1 || spin.Line != 12 {
		t.Errorf("spinner %+v frames %+v", spin, spin.Frames)
	}
}
