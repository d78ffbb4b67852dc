package parser

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// concurrentBundle builds a directory of real captures (several fixture
// bundles' files in subdirectories, each with its manifest times), files
// that cannot be read, and returns it with the paths Load is given: the
// directory, and fixture files named one by one.
func concurrentBundle(t *testing.T) (dir string, named []string) {
	t.Helper()
	dir = t.TempDir()
	for _, fx := range []string{"mutex-convoy", "lock-cycle", "db-pool-exhausted", "goroutine-leak"} {
		src := testrepo.Path(t, "fixtures", "captures", fx)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, fx)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sub, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if e.Name() != ManifestName && len(named) < 6 {
				named = append(named, filepath.Join(src, e.Name()))
			}
		}
	}
	for name, body := range map[string]string{
		"notes.txt":   "not a capture at all\n",
		"empty.txt":   "",
		"broken.gz":   "\x1f\x8b\x08\x00garbage",
		"goroutine.x": "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:1 +0x1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, named
}

// TestLoadConcurrentMatchesSequential: a bundle read on many goroutines,
// with a budget that lets several files through at once or only one, gives
// exactly what reading its files one after another gives: the same
// snapshots, profiles, traces and warnings in the same order, run after
// run.
func TestLoadConcurrentMatchesSequential(t *testing.T) {
	dir, named := concurrentBundle(t)
	inputs := append([]string{dir}, named...)
	want, err := load(inputs, Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Snapshots) < 8 || len(want.Traces) == 0 || len(want.Contention) == 0 || len(want.Warnings) < 4 {
		t.Fatalf("the bundle read %d snapshots, %d traces, %d profiles, %d warnings: not the mix this test needs",
			len(want.Snapshots), len(want.Traces), len(want.Contention), len(want.Warnings))
	}
	for _, tc := range []struct {
		name    string
		workers int
		budget  int64
	}{
		{"8 workers", 8, 0},
		{"8 workers, 1-byte budget", 8, 1},
		{"8 workers, 100 KB budget", 8, 100 << 10},
		{"2 workers", 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 {
				got, err := load(inputs, Options{ReadBudget: tc.budget}, tc.workers)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("concurrent load differs from the sequential one:\nsnapshots %d/%d, traces %d/%d, profiles %d/%d, warnings %v\nwant %v",
						len(got.Snapshots), len(want.Snapshots), len(got.Traces), len(want.Traces),
						len(got.Contention), len(want.Contention), got.Warnings, want.Warnings)
				}
			}
		})
	}
}

// TestLoadConcurrentFirstErrorWins: when several named files cannot be
// read, the error is the first one's in input order, as read one after
// another, however the reads interleave.
func TestLoadConcurrentFirstErrorWins(t *testing.T) {
	dir, named := concurrentBundle(t)
	bad1 := filepath.Join(dir, "notes.txt")
	bad2 := filepath.Join(dir, "broken.gz")
	inputs := append(append([]string{named[0], bad1}, named[1:]...), bad2)
	for range 5 {
		_, err := load(inputs, Options{}, 8)
		var pe *Error
		if !errors.As(err, &pe) || pe.File != bad1 {
			t.Fatalf("error %v, want the first bad file's (%s)", err, bad1)
		}
	}
	_, err := load([]string{named[0], filepath.Join(dir, "missing"), bad1}, Options{}, 8)
	var pe *Error
	if !errors.As(err, &pe) || pe.File != filepath.Join(dir, "missing") {
		t.Fatalf("error %v, want the missing path's", err)
	}
}

// TestLoadProgress: Load reports every byte of its inputs and every
// goroutine it read, in calls that never overlap.
func TestLoadProgress(t *testing.T) {
	_, named := concurrentBundle(t)
	var size int64
	for _, p := range named {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		size += fi.Size()
	}
	var (
		mu      sync.Mutex
		inside  bool
		reports []Progress
	)
	c, err := load(named, Options{Progress: func(p Progress) {
		mu.Lock()
		if inside {
			t.Error("progress calls overlap")
		}
		inside = true
		mu.Unlock()
		reports = append(reports, p)
		mu.Lock()
		inside = false
		mu.Unlock()
	}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) < len(named) {
		t.Fatalf("%d progress reports for %d inputs", len(reports), len(named))
	}
	goroutines := 0
	for _, s := range c.Snapshots {
		goroutines += s.Count()
	}
	last := reports[len(reports)-1]
	if last.Phase != PhaseReading || last.TotalBytes != size || last.Goroutines != goroutines {
		t.Errorf("last report %+v, want phase %q, total %d bytes, %d goroutines", last, PhaseReading, size, goroutines)
	}
	var maxBytes int64
	for i, p := range reports {
		if i > 0 && (p.Bytes < reports[i-1].Bytes || p.Goroutines < reports[i-1].Goroutines) {
			t.Errorf("report %d went backwards: %+v after %+v", i, p, reports[i-1])
		}
		maxBytes = max(maxBytes, p.Bytes)
	}
	// Readers may stop short of a gzip stream's trailing bytes; every
	// file was read at least to its last capture byte.
	if maxBytes < size*9/10 || maxBytes > size {
		t.Errorf("reported %d bytes read of %d", maxBytes, size)
	}
}

// BenchmarkLoadBundle reads every fixture's captures (dumps in three
// formats, profiles, execution traces: about 30 bundles) as one directory
// tree, one file after another ("sequential", the baseline) and with a
// reader per core ("concurrent"), in the same run: the ratio of the two
// ns/op is what concurrent reading gains.
func BenchmarkLoadBundle(b *testing.B) {
	src := testrepo.Path(b, "fixtures", "captures")
	dirs, err := os.ReadDir(src)
	if err != nil {
		b.Fatal(err)
	}
	var paths []string
	var size int64
	for _, d := range dirs {
		if !d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			continue
		}
		paths = append(paths, filepath.Join(src, d.Name()))
		files, _ := os.ReadDir(filepath.Join(src, d.Name()))
		for _, f := range files {
			if fi, err := f.Info(); err == nil && fi.Mode().IsRegular() {
				size += fi.Size()
			}
		}
	}
	for _, bc := range []struct {
		name    string
		workers int
	}{{"sequential", 1}, {"concurrent", runtime.GOMAXPROCS(0)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if _, err := load(paths, Options{}, bc.workers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
