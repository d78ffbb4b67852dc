package report

import (
	"bytes"
	"io"
	"runtime"
	"sync"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// benchDump captures a real dump of n goroutines parked in a few distinct
// places (channel receives and a contended lock), as a stuck service has.
func benchDump(b *testing.B, n int) []byte {
	b.Helper()
	var mu sync.Mutex
	mu.Lock()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var entered int
	for i := range n {
		wg.Add(1)
		switch i % 3 {
		case 0:
			go func() { defer wg.Done(); <-stop }()
		case 1:
			go func() { defer wg.Done(); queueOnLock(&mu, &entered) }()
		default:
			go func() {
				defer wg.Done()
				<-stop
			}()
		}
	}
	for runtime.NumGoroutine() < n {
		runtime.Gosched()
	}
	buf := make([]byte, 256<<20)
	dump := buf[:runtime.Stack(buf, true)]
	close(stop)
	mu.Unlock()
	wg.Wait()
	return append([]byte(nil), dump...)
}

// BenchmarkRender measures the renderers against the parse of the same
// dump, the floor any analysis pays: "parse" is the baseline, the others
// are what the report adds on top (Build groups every snapshot; the writers
// render the built document).
func BenchmarkRender(b *testing.B) {
	dump := benchDump(b, 20000)
	snaps, err := parser.ReadText(bytes.NewReader(dump), "bench.txt")
	if err != nil {
		b.Fatal(err)
	}
	c := &parser.Capture{Snapshots: snaps}
	d := Build(c, nil, testTool)
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		for b.Loop() {
			if _, err := parser.ReadText(bytes.NewReader(dump), "bench.txt"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build", func(b *testing.B) {
		b.SetBytes(int64(len(dump)))
		for b.Loop() {
			Build(c, nil, testTool)
		}
	})
	writers := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"json", func(w io.Writer) error { return WriteJSON(w, d) }},
		{"table", func(w io.Writer) error { return WriteTable(w, d, Options{}) }},
		{"table-verbose", func(w io.Writer) error { return WriteTable(w, d, Options{Verbose: true}) }},
		{"markdown", func(w io.Writer) error { return WriteMarkdown(w, d, Options{}) }},
	}
	for _, wr := range writers {
		b.Run(wr.name, func(b *testing.B) {
			b.SetBytes(int64(len(dump)))
			for b.Loop() {
				if err := wr.write(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
