package parser_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/DataDog/gostackparse"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/herd"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
)

// bench1MEnv names the environment variable that adds the million-goroutine
// dump to BenchmarkAnalysis: it takes several GB of memory (the herd's
// stacks, then the 2 GB dump and its model) and minutes, so neither
// `go test ./...` nor a plain -bench run pays for it.
const bench1MEnv = "CTXHOLE_BENCH_1M"

// BenchmarkAnalysis measures the whole analysis of the CLI's
// `ctxhole analyze -o json DUMP` (parser.Load from a file, then
// detectors.Analyze, report.Build and the JSON writer) against
// gostackparse parsing the same file, the baseline: the ratio of their
// ns/op is what ctxhole costs over the cheapest parse of the same bytes.
// The dumps are taken at benchmark time from a herd of this process (see
// internal/herd: labels, created-by lines with parent IDs, mutex, RWMutex
// and channel waits) of 10k and 100k goroutines, and of 1M when
// CTXHOLE_BENCH_1M=1. Both sides read a file, so the heap they report is
// their own. Metrics: MB/s; cpu-ns/op, the process CPU time per run (the
// parse uses every core: wall and CPU time differ); ns/MB, the wall time
// per MB of input (the same at every size when the cost is linear);
// peakheap/input, the largest heap the run held above the heap before it,
// per input byte.
func BenchmarkAnalysis(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv(bench1MEnv) != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		path, size := herdFile(b, n)
		name := fmt.Sprintf("%dk", n/1000)
		b.Run(name+"/ctxhole", func(b *testing.B) {
			measureFile(b, size, func() any {
				c, err := parser.Load([]string{path}, parser.Options{})
				if err != nil {
					b.Fatal(err)
				}
				r, err := detectors.Analyze(c, detectors.Options{})
				if err != nil {
					b.Fatal(err)
				}
				doc := report.Build(c, r, report.Tool{Name: "ctxhole", Version: "bench"})
				if err := report.WriteJSON(io.Discard, doc); err != nil {
					b.Fatal(err)
				}
				return doc
			})
		})
		b.Run(name+"/gostackparse", func(b *testing.B) {
			measureFile(b, size, func() any {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				gs, _ := gostackparse.Parse(bufio.NewReader(f))
				return gs
			})
		})
		os.Remove(path)
	}
}

// herdFile writes the labelled dump of a herd of n goroutines to a
// temporary file and returns its path and size, with the herd released and
// the dump's memory returned.
func herdFile(b *testing.B, n int) (string, int64) {
	b.Helper()
	dump, err := herd.Dump(n, true)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d goroutines: %d headers, %.1f MB", n, parser.CountHeaders(dump), float64(len(dump))/1e6)
	path := filepath.Join(b.TempDir(), fmt.Sprintf("herd-%d.txt", n))
	if err := os.WriteFile(path, dump, 0o600); err != nil {
		b.Fatal(err)
	}
	size := int64(len(dump))
	dump = nil
	runtime.GC()
	debug.FreeOSMemory()
	return path, size
}

// measureFile runs one side of BenchmarkAnalysis.
func measureFile(b *testing.B, size int64, run func() any) {
	b.SetBytes(size)
	b.ReportAllocs()
	start, ok := parser.ProcessCPU()
	for b.Loop() {
		run()
	}
	if end, ok2 := parser.ProcessCPU(); ok && ok2 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(float64(size)/1e6), "ns/MB")
	peak, _ := parser.PeakHeap(run)
	b.ReportMetric(float64(peak)/float64(size), "peakheap/input")
}
