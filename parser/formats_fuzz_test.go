package parser

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets for the readers of this package's non-dump formats and for
// sniffing. Each checks the invariants every reader owes untrusted input:
// no panic, an error is an *Error naming the input, and what is returned is
// consistent (counts positive, no control characters in stored text).

// fxSeeds adds the committed real captures and live profiles as seeds.
func fxSeeds(f *testing.F, live ...[]byte) {
	for _, b := range live {
		f.Add(b)
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "pprof-traces", "*"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// fxCheckErr fails unless err is nil or an *Error naming name.
func fxCheckErr(t *testing.T, name string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.File != name {
		t.Fatalf("error %v (%T) is not an *Error naming %s", err, err, name)
	}
}

func fxCheckSnapshot(t *testing.T, s *Snapshot) {
	t.Helper()
	for _, g := range s.Goroutines {
		if g.Count <= 0 {
			t.Fatalf("record with count %d", g.Count)
		}
		for _, l := range g.Labels {
			if l.Key != CleanText(l.Key) || l.Value != CleanText(l.Value) {
				t.Fatalf("control characters in label %q=%q", l.Key, l.Value)
			}
		}
		fxCheckFrames(t, g.Frames)
	}
}

func fxCheckFrames(t *testing.T, frames []Frame) {
	t.Helper()
	for _, fr := range frames {
		if fr.Func != CleanText(fr.Func) || fr.File != CleanText(fr.File) {
			t.Fatalf("control characters in frame %q %q", fr.Func, fr.File)
		}
	}
}

func FuzzReadDebug1(f *testing.F) {
	fxSeeds(f, fxProfile(f, "goroutine", 1),
		[]byte("goroutine profile: total 2\n2 @ 0x10 0x20\n# labels: {\"k\":\"v\"}\n#\t0x1f\tmain.f+0x1\t/a.go:3\n"),
		// As pasted (debug1paste_test.go): no header, no "#", no PC column,
		// quoted and fenced, hard-wrapped, escaped labels, a cut frame.
		[]byte("2 @ 0x10 0x20\n0x1f main.f+0x1 /a.go:3\n\n1 @ 0x30\n#\tmain.g+0x2\t/b.go:4\n"),
		[]byte("> ```\n> goroutine profile: total 3\n> 3 @ 0x482bae 0x463552 0x\n463529 0x484285\n> # labels: {&quot;k&quot;:&quot;v&quot;}\n> #\t0x484284\tinternal/sync.runtime_SemacquireMutex+0x24\t\t\tru\nntime/sema.go:95\n> ```\n"),
		[]byte("#\t0x1f\tmain.f+0x1\t/a.go:3\n#\t0x2f\tmain.g+0x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := readDebug1(bytes.NewReader(data), "f.txt")
		fxCheckErr(t, "f.txt", err)
		for _, s := range ss {
			fxCheckSnapshot(t, s)
		}
	})
}

func FuzzReadProto(f *testing.F) {
	fxSeeds(f, fxGunzip(f, fxProfile(f, "goroutine", 0)), fxGunzip(f, fxProfile(f, "mutex", 0)),
		fxGunzip(f, fxProfile(f, "block", 0)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, p, err := readProto(bytes.NewReader(data), "f.pb", 1<<20)
		fxCheckErr(t, "f.pb", err)
		if s != nil {
			fxCheckSnapshot(t, s)
		}
		if p != nil {
			if p.Kind != "mutex" && p.Kind != "block" {
				t.Fatalf("kind %q", p.Kind)
			}
			for _, smp := range p.Samples {
				fxCheckFrames(t, smp.Frames)
			}
		}
	})
}

func FuzzReadContentionText(f *testing.F) {
	fxSeeds(f, fxProfile(f, "mutex", 1), fxProfile(f, "block", 1),
		[]byte("--- mutex:\ncycles/second=1000000000\nsampling period=1\n5000 2 @ 0x10\n#\t0xf\tsync.(*Mutex).Unlock+0x1\t/m.go:3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readContentionText(bytes.NewReader(data), "f.txt")
		fxCheckErr(t, "f.txt", err)
		if err != nil {
			return
		}
		for _, s := range p.Samples {
			if s.Count < 0 || s.Delay < 0 {
				t.Fatalf("sample count %d delay %v", s.Count, s.Delay)
			}
			fxCheckFrames(t, s.Frames)
		}
	})
}

func FuzzReadPprofTraces(f *testing.F) {
	fxSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := readPprofTraces(bytes.NewReader(data), "f.txt")
		fxCheckErr(t, "f.txt", err)
		for _, s := range ss {
			fxCheckSnapshot(t, s)
			if s.DeclaredTotal <= 0 {
				t.Fatalf("declared total %d", s.DeclaredTotal)
			}
		}
	})
}

func FuzzRead(f *testing.F) {
	debug2 := fxProfile(f, "goroutine", 2)
	fxSeeds(f, debug2, fxGzip(f, debug2), fxProfile(f, "goroutine", 0), fxProfile(f, "goroutine", 1),
		fxProfile(f, "mutex", 1), fxProfile(f, "heap", 0), fxExecTrace(f), nil, []byte{0x1f, 0x8b},
		fxUTF16(string(debug2), binary.LittleEndian), append(bytes.Clone(bomUTF8), debug2...))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Read(bytes.NewReader(data), "f", Options{MaxDecompressed: 4 << 20})
		fxCheckErr(t, "f", err)
		if err != nil {
			return
		}
		if len(c.Snapshots)+len(c.Contention)+len(c.Traces) == 0 {
			t.Fatal("no error and nothing read")
		}
		for _, s := range c.Snapshots {
			if s.Source.File != "f" {
				t.Fatalf("snapshot source %q", s.Source.File)
			}
		}
	})
}
