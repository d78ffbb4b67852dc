package parser

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBundleSymlinksStayInside: in a bundle directory, symbolic links to a
// directory elsewhere, to a huge file elsewhere and a manifest linked from
// elsewhere are skipped with a warning naming them; a link to a file
// inside the bundle is read.
func TestBundleSymlinksStayInside(t *testing.T) {
	dump := []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n")
	bundle, outside := t.TempDir(), t.TempDir()
	write := func(p string, data []byte) {
		t.Helper()
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(bundle, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(bundle, "goroutine-debug2.txt"), dump)
	write(filepath.Join(outside, "secret-dump.txt"), dump)
	write(filepath.Join(outside, "manifest.json"), []byte(`{"version":1,"files":[]}`))
	huge := filepath.Join(outside, "huge.txt")
	write(huge, nil)
	if err := os.Truncate(huge, 2<<30); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	link(outside, "elsewhere")
	link(huge, "huge.txt")
	link(filepath.Join(outside, "manifest.json"), "manifest.json")
	link("goroutine-debug2.txt", "again.txt")
	link("/", "root")

	c, err := Load([]string{bundle}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Snapshots) != 2 {
		t.Errorf("%d snapshots, want 2 (the dump and the link to it inside the bundle)", len(c.Snapshots))
	}
	for _, s := range c.Snapshots {
		if strings.Contains(s.Source.File, "secret") {
			t.Errorf("read %s through a link leaving the bundle", s.Source.File)
		}
	}
	var warns []string
	for _, w := range c.Warnings {
		warns = append(warns, w.String())
	}
	all := strings.Join(warns, "\n")
	for _, name := range []string{"elsewhere", "huge.txt", "manifest.json", "root"} {
		if !strings.Contains(all, filepath.Join(bundle, name)+": ") || !strings.Contains(all, "leaves the directory") {
			t.Errorf("no warning that %s leaves the bundle:\n%s", name, all)
		}
	}
}

// endless yields its pattern forever.
type endless struct {
	pattern []byte
	off     int
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.pattern[e.off]
		e.off = (e.off + 1) % len(e.pattern)
	}
	return len(p), nil
}

// TestHostileTextBudgets: a stream of "goroutine 1" headers is cut at
// maxSnapshotsPerInput dumps, a stack of endless frames at
// maxFramesPerStack frames (the rest counted as elided), and standard
// input that never carries a dump, or stops carrying one, is read only so
// far. Each gives a partial result with a warning or a clear error.
func TestHostileTextBudgets(t *testing.T) {
	hasWarning := func(snaps []*Snapshot, want string) bool {
		for _, s := range snaps {
			for _, w := range s.Warnings {
				if strings.Contains(w.Msg, want) {
					return true
				}
			}
		}
		return false
	}
	t.Run("headers", func(t *testing.T) {
		r := io.LimitReader(&endless{pattern: []byte("goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\n")}, 64<<20)
		snaps, err := ReadText(r, "headers.txt")
		if err != nil {
			t.Fatal(err)
		}
		if len(snaps) != maxSnapshotsPerInput || !hasWarning(snaps, "goroutine dumps in one input") {
			t.Errorf("%d snapshots, want %d and a warning", len(snaps), maxSnapshotsPerInput)
		}
	})
	t.Run("frames", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("goroutine 7 [select]:\n"),
			bytes.NewReader(bytes.Repeat([]byte("main.deep(0x1, 0x2)\n\t/src/deep.go:12 +0x1d\n"), 200000)),
			strings.NewReader("created by main.main in goroutine 1\n\t/src/main.go:9 +0x2a\n"))
		snaps, err := ReadText(r, "deep.txt")
		if err != nil {
			t.Fatal(err)
		}
		g := snaps[0].Goroutines[0]
		if len(g.Frames) != maxFramesPerStack || g.Elided < 100000 || g.CreatedBy == nil || g.CreatedBy.File != "/src/main.go" ||
			g.Frames[len(g.Frames)-1].File != "/src/deep.go" || !hasWarning(snaps, "more than 1024 frames") {
			t.Errorf("%d frames, %d elided, created by %+v, warnings %v", len(g.Frames), g.Elided, g.CreatedBy, snaps[0].Warnings)
		}
	})
	t.Run("stdin without a dump", func(t *testing.T) {
		_, err := Read(&endless{pattern: []byte("level=info msg=\"nothing to see\"\n")}, "-", Options{})
		if err == nil || !strings.Contains(err.Error(), "no goroutine header in the first") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("stdin after a dump", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\n"),
			&endless{pattern: []byte("level=info msg=\"nothing to see\"\n")})
		c, err := Read(r, "-", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Snapshots) != 1 || !hasWarning(c.Snapshots, "of standard input without a goroutine record") {
			t.Errorf("%d snapshots, warnings %v", len(c.Snapshots), c.Snapshots[0].Warnings)
		}
	})
}

// Hand-built protobuf, for profiles the pprof library would take too much
// memory (or refuse) to build.
func pbKey(b []byte, field, wire int) []byte { return binary.AppendUvarint(b, uint64(field<<3|wire)) }
func pbBytes(b []byte, field int, payload []byte) []byte {
	b = pbKey(b, field, 2)
	b = binary.AppendUvarint(b, uint64(len(payload)))
	return append(b, payload...)
}
func pbInt(b []byte, field int, v uint64) []byte { return binary.AppendUvarint(pbKey(b, field, 0), v) }

// pbGoroutineProfile is a goroutine profile with one function, one
// location and the given samples (already encoded).
func pbGoroutineProfile(samples ...[]byte) []byte {
	var p []byte
	p = pbBytes(p, 1, pbInt(pbInt(nil, 1, 1), 2, 2)) // sample_type goroutine/count
	for _, s := range samples {
		p = pbBytes(p, 2, s)
	}
	p = pbBytes(p, 4, pbBytes(pbInt(nil, 1, 1), 4, pbInt(pbInt(nil, 1, 1), 2, 10))) // location 1: function 1 line 10
	p = pbBytes(p, 5, pbInt(pbInt(pbInt(nil, 1, 1), 2, 4), 4, 5))                   // function 1: main.f in /a.go
	for _, s := range []string{"", "goroutine", "count", "k", "main.f", "/a.go"} {
		p = pbBytes(p, 6, []byte(s))
	}
	return p
}

// pbSample is a sample of count 1 at the given locations, with a numeric
// label k=num.
func pbSample(locs []byte, num uint64) []byte {
	s := pbBytes(nil, 1, locs)
	s = pbBytes(s, 2, []byte{1})
	return pbBytes(s, 3, pbInt(pbInt(nil, 1, 3), 3, num))
}

// TestHostileProtoBudgets: a gzip of a gibibyte of zeros is rejected from
// its first bytes; a profile declaring a huge field is rejected before it
// is buffered; a stack of a million frames keeps maxFramesPerStack of
// them; samples past maxSamplesPerProfile are dropped before decoding.
func TestHostileProtoBudgets(t *testing.T) {
	t.Run("zero bomb", func(t *testing.T) {
		var member bytes.Buffer
		zw := gzip.NewWriter(&member)
		zw.Write(make([]byte, 1<<20))
		zw.Close()
		// 1,024 gzip members of a MiB of zeros each: 1 GiB decompressed.
		bomb := bytes.Repeat(member.Bytes(), 1024)
		start := time.Now()
		_, err := Read(bytes.NewReader(bomb), "zeros.pb.gz", Options{})
		if d := time.Since(start); d > time.Second {
			t.Errorf("rejected after %v", d)
		}
		if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "binary data starting 00 00") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("huge field", func(t *testing.T) {
		data := pbKey(pbBytes(nil, 1, pbInt(pbInt(nil, 1, 1), 2, 2)), 2, 2)
		data = binary.AppendUvarint(data, 1<<30)
		r := io.MultiReader(bytes.NewReader(data), &endless{pattern: []byte{0}})
		_, err := Read(r, "huge.pb", Options{})
		var pe *Error
		if !errors.As(err, &pe) || pe.Offset != 6 || !strings.Contains(err.Error(), "over the 16777216-byte limit of one field") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("deep stack", func(t *testing.T) {
		const depth = 1 << 20
		c, err := Read(bytes.NewReader(pbGoroutineProfile(pbSample(bytes.Repeat([]byte{1}, depth), 1))), "deep.pb", Options{})
		if err != nil {
			t.Fatal(err)
		}
		g := c.Snapshots[0].Goroutines[0]
		if len(g.Frames) != maxFramesPerStack || g.Elided != depth-maxFramesPerStack || g.Frames[0].Func != "main.f" {
			t.Errorf("%d frames, %d elided", len(g.Frames), g.Elided)
		}
	})
	t.Run("many samples", func(t *testing.T) {
		const n = maxSamplesPerProfile + 1000
		samples := make([][]byte, n)
		for i := range samples {
			samples[i] = pbSample([]byte{1}, uint64(i))
		}
		c, err := Read(bytes.NewReader(pbGoroutineProfile(samples...)), "many.pb", Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := c.Snapshots[0]
		if len(s.Goroutines) != maxSamplesPerProfile || !s.Truncated || len(s.Warnings) == 0 ||
			!strings.Contains(s.Warnings[len(s.Warnings)-1].Msg, "1000 samples not read") {
			t.Errorf("%d goroutines, truncated %v, warnings %v", len(s.Goroutines), s.Truncated, s.Warnings)
		}
	})
}

// TestFramesPerInputBudget: a dump of many deep stacks stops at the frame
// budget, with a warning, the dump marked truncated. The budget is lowered
// to 4M frames: the real one is a GB-sized input.
func TestFramesPerInputBudget(t *testing.T) {
	const budget = 4 << 20
	var stack bytes.Buffer
	for range 1000 {
		stack.WriteString("main.deep(0x1)\n\t/src/deep.go:12 +0x1d\n")
	}
	pr, pw := io.Pipe()
	go func() {
		for id := 1; id <= budget/1000+10; id++ {
			fmt.Fprintf(pw, "goroutine %d [select]:\n", id)
			pw.Write(stack.Bytes())
			pw.Write([]byte("\n"))
		}
		pw.Close()
	}()
	p := newTextParser("deep.txt", newLineReader(pr), newInterner())
	p.maxFrames = budget
	p.readAll()
	snaps, err := p.finish()
	pr.Close()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range snaps[0].Goroutines {
		n += len(g.Frames)
	}
	warned := false
	for _, w := range snaps[0].Warnings {
		warned = warned || strings.Contains(w.Msg, "stack frames in one input")
	}
	if n < budget || n > budget+1000 || !snaps[0].Truncated || !warned {
		t.Errorf("%d frames kept, truncated %v, warnings %v", n, snaps[0].Truncated, snaps[0].Warnings)
	}
}
