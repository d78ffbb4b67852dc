package parser

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ctxhole/ctxhole/internal/herd"
)

// parallelChunkSizes are the chunk sizes TestParallelTextSame parses with:
// small enough that every input of the tests is cut many times over, at
// every kind of place.
var parallelChunkSizes = []int{64, 700, 8192}

// TestParallelTextSame checks that the parallel text parse gives exactly
// what the single-threaded one gives — snapshots, goroutines, groups,
// warnings and their positions, errors — on every capture the tests hold
// (the incident fixtures, the format variants, the pastes, the real-world
// dumps when present) and on inputs made to hit each limit across chunk
// boundaries, read whole and one byte at a time.
func TestParallelTextSame(t *testing.T) {
	inputs := parallelInputs(t)
	if len(inputs) < 50 {
		t.Fatalf("only %d inputs", len(inputs))
	}
	for _, in := range inputs {
		if (raceEnabled || testing.Short()) && len(in.data) > 4<<20 {
			continue // the runtime-cap captures: minutes under the race detector
		}
		for i, size := range parallelChunkSizes {
			oneByte := i == 0 && len(in.data) < 1<<20
			if msg := parallelDiff(in.name, in.data, size, oneByte, nil); msg != "" {
				t.Errorf("%s, chunks of %d bytes: %s", in.name, size, msg)
			}
		}
	}
	t.Logf("%d inputs", len(inputs))
}

// TestParallelTextReadError checks that a read error reaches the same
// warning, at the same line and offset, on both paths.
func TestParallelTextReadError(t *testing.T) {
	data := []byte(strings.Repeat(twoGoroutines+"\n", 40))
	for _, at := range []int{10, len(data) / 3, len(data) - 5} {
		for _, size := range parallelChunkSizes {
			if msg := parallelDiff("broken", data, size, false, &at); msg != "" {
				t.Errorf("error at byte %d, chunks of %d: %s", at, size, msg)
			}
		}
	}
}

// FuzzParallelText checks the parallel parse against the single-threaded
// one on any input.
func FuzzParallelText(f *testing.F) {
	for _, in := range synthParallelInputs() {
		f.Add(in.data[:min(len(in.data), 4096)])
	}
	f.Add([]byte(twoGoroutines))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, size := range []int{1, 64} {
			if msg := parallelDiff("fuzz", b, size, false, nil); msg != "" {
				t.Fatalf("chunks of %d: %s", size, msg)
			}
		}
	})
}

type namedInput struct {
	name string
	data []byte
}

// parallelInputs returns every capture of the repository and the
// real-world dumps, gunzipped, and the synthetic inputs.
func parallelInputs(t *testing.T) []namedInput {
	t.Helper()
	root := fxRepoRoot(t)
	dirs := []string{
		filepath.Join(root, "fixtures", "captures"),
		filepath.Join(root, "fixtures", "variants", "captures"),
		filepath.Join(root, "parser", "testdata"),
	}
	if rw := realworldDirOrEmpty(); rw != "" {
		dirs = append(dirs, rw)
	}
	var out []namedInput
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
				if u, err := io.ReadAll(io.LimitReader(zr, 256<<20)); err == nil {
					b = u
				}
			}
			rel, _ := filepath.Rel(root, path)
			out = append(out, namedInput{rel, b})
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return append(out, synthParallelInputs()...)
}

// synthParallelInputs are inputs that reach, across chunk boundaries, what
// a chunk parsed alone cannot know: a goroutine ID the dump already
// listed, the warning limit, the snapshot budget, a line longer than a
// chunk, a prefix or a crash section that later chunks depend on.
func synthParallelInputs() []namedInput {
	g := func(id int, state string) string {
		return fmt.Sprintf("goroutine %d [%s]:\nmain.worker(0x%x)\n\t/src/main.go:%d +0x2a\ncreated by main.main in goroutine 1\n\t/src/main.go:4 +0x3c\n\n", id, state, id, 10+id%3)
	}
	dump := func(n, from int) string {
		var b strings.Builder
		b.WriteString(g(from, "running"))
		for i := 1; i < n; i++ {
			b.WriteString(g(from+i, "chan receive, 3 minutes"))
		}
		return b.String()
	}
	var noisy strings.Builder
	for i := range 1300 {
		noisy.WriteString(g(i+1, "select"))
		fmt.Fprintf(&noisy, "log line %d between goroutines\n\n", i)
	}
	var snaps strings.Builder
	for range maxSnapshotsPerInput + 5 {
		snaps.WriteString("goroutine 1 [running]:\nmain.main()\n\t/m.go:1 +0x1\n\n")
	}
	var prefixed strings.Builder
	prefixed.WriteString(dump(30, 1))
	for _, line := range strings.SplitAfter(dump(30, 100), "\n") {
		prefixed.WriteString("2026-11-23T11:04:05.123Z " + line)
	}
	crash := "SIGABRT: abort\nPC=0x1 m=0 sigcode=0\n\n" + dump(20, 1) + "-----\n\nSIGABRT: abort\nPC=0x1 m=2 sigcode=0\n\n" +
		"goroutine 7 gp=0x1 m=2 mp=0x2 [running]:\nmain.spin()\n\t/src/main.go:30 +0x1\nmain.other()\n\t/src/main.go:31 +0x1\n\n" + dump(10, 1)
	return []namedInput{
		{"synthetic/repeated-dumps", []byte(dump(40, 1) + dump(40, 1) + dump(40, 5) + "exit status 2\n")},
		{"synthetic/warnings-over-limit", []byte(noisy.String())},
		{"synthetic/snapshot-budget", []byte(snaps.String())},
		{"synthetic/long-line", []byte(dump(30, 1) + strings.Repeat("x", 40000) + "\n\n" + dump(30, 100))},
		{"synthetic/prefix-learned-later", []byte(prefixed.String())},
		{"synthetic/crash-sections", []byte(crash)},
		{"synthetic/truncated", []byte(dump(50, 1)[:len(dump(50, 1))-30])},
		{"synthetic/panic-between", []byte(dump(30, 1) + "panic: boom\n\n" + dump(30, 1))},
		{"synthetic/no-final-newline", []byte(strings.TrimSuffix(dump(30, 1), "\n\n"))},
	}
}

// errAt is a reader of data that fails after at bytes.
type errAt struct {
	r  io.Reader
	at int
}

var errBroken = errors.New("disk on fire")

func (e *errAt) Read(b []byte) (int, error) {
	if e.at <= 0 {
		return 0, errBroken
	}
	n, err := e.r.Read(b[:min(len(b), e.at)])
	e.at -= n
	return n, err
}

// parallelDiff parses data single-threaded and in parallel chunks of size
// bytes and describes the first difference, "" if none. oneByte feeds the
// parallel parse one byte per read; failAt makes both reads fail there.
func parallelDiff(name string, data []byte, size int, oneByte bool, failAt *int) string {
	reader := func() io.Reader {
		var r io.Reader = bytes.NewReader(data)
		if failAt != nil {
			r = &errAt{r: r, at: *failAt}
		}
		return r
	}
	want, werr := readText(reader(), name, 1, size)
	r := reader()
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	got, gerr := readText(r, name, 2, size)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) {
		return fmt.Sprintf("error %v, want %v", gerr, werr)
	}
	if reflect.DeepEqual(got, want) {
		for i := range want {
			if !reflect.DeepEqual(got[i].Groups(), want[i].Groups()) {
				return fmt.Sprintf("snapshot %d: groups differ", i)
			}
		}
		return ""
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d snapshots, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		switch {
		case !reflect.DeepEqual(g.Source, w.Source):
			return fmt.Sprintf("snapshot %d: source %+v, want %+v", i, g.Source, w.Source)
		case !reflect.DeepEqual(g.Warnings, w.Warnings):
			return fmt.Sprintf("snapshot %d: warnings\n%v\nwant\n%v", i, g.Warnings, w.Warnings)
		case len(g.Goroutines) != len(w.Goroutines):
			return fmt.Sprintf("snapshot %d: %d goroutines, want %d", i, len(g.Goroutines), len(w.Goroutines))
		}
		for j := range w.Goroutines {
			if !reflect.DeepEqual(g.Goroutines[j], w.Goroutines[j]) {
				return fmt.Sprintf("snapshot %d goroutine %d: %+v, want %+v", i, j, *g.Goroutines[j], *w.Goroutines[j])
			}
		}
		if !reflect.DeepEqual(g, w) {
			return fmt.Sprintf("snapshot %d: preamble %+v truncated %v, want %+v %v", i, g.Preamble, g.Truncated, w.Preamble, w.Truncated)
		}
	}
	return "snapshots differ"
}

// TestParallelTextUsesWorkers: on real runtime dumps (this process's
// herd, with labels and without) the workers' parses are kept for every
// chunk but the first, which the merger reads: the parallel path is the
// one taken, not the fallback.
func TestParallelTextUsesWorkers(t *testing.T) {
	h, err := herd.Start(3000)
	if err != nil {
		t.Fatal(err)
	}
	dumps := [][]byte{h.Dump(false), h.Dump(true)}
	h.Stop()
	for i, dump := range dumps {
		var st parallelStats
		snaps, err := readTextParallel(bytes.NewReader(dump), "herd.txt", 2, 16<<10, &st)
		if err != nil {
			t.Fatal(err)
		}
		if st.readSelf != 1 || st.folded < len(dump)/(32<<10) {
			t.Errorf("dump %d (%d bytes): %d chunks kept from workers, %d read by the merger; want all but the first from workers", i, len(dump), st.folded, st.readSelf)
		}
		if len(snaps) != 1 || len(snaps[0].Goroutines) != countHeaders(dump) || len(snaps[0].Warnings) != 0 {
			t.Errorf("dump %d: %d snapshots, want 1 with every goroutine and no warning", i, len(snaps))
		}
		if msg := parallelDiff("herd.txt", dump, 16<<10, false, nil); msg != "" {
			t.Errorf("dump %d: %s", i, msg)
		}
	}
}
