package tui

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// liveDump parks n goroutines of this test process in blocking calls at
// varied stack depths, so that they fold into sixty groups as a service's
// goroutines fold into its few kinds, captures them with runtime.Stack
// and parses the dump.
func liveDump(tb testing.TB, n int) *parser.Capture {
	tb.Helper()
	snaps, err := parser.ReadText(bytes.NewReader(liveDumpText(n)), "live")
	if err != nil {
		tb.Fatal(err)
	}
	return &parser.Capture{Snapshots: snaps}
}

// liveDumpText is liveDump's dump as the runtime prints it.
func liveDumpText(n int) []byte {
	release := make(chan struct{})
	var parked sync.WaitGroup
	parked.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			park(i%20, i%3, &parked, release)
		}()
	}
	parked.Wait()
	buf := make([]byte, 64<<20)
	for {
		k := runtime.Stack(buf, true)
		if k < len(buf) {
			buf = buf[:k]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	close(release)
	return buf
}

// park recurses depth times, then blocks in one of three ways.
func park(depth, kind int, parked *sync.WaitGroup, release chan struct{}) {
	if depth > 0 {
		park(depth-1, kind, parked, release)
		return
	}
	parked.Done()
	var mu sync.Mutex
	var never chan struct{}
	switch kind {
	case 0:
		<-release
	case 1:
		select {
		case <-release:
		case <-never:
		}
	default:
		mu.Lock()
		go func() { <-release; mu.Unlock() }()
		mu.Lock()
	}
}

var dumps sync.Map // goroutine count → *parser.Capture, built once per run

func benchCapture(b *testing.B, n int) *parser.Capture {
	if c, ok := dumps.Load(n); ok {
		return c.(*parser.Capture)
	}
	c := liveDump(b, n)
	dumps.Store(n, c)
	return c
}

// BenchmarkKeypress measures one browser keypress and frame on dumps of
// 1,000 and 100,000 goroutines: the ratio shows whether a keypress costs
// more on a bigger dump (it should not: everything was computed before).
func BenchmarkKeypress(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			c := benchCapture(b, n)
			m := newTestModel(b, c, nil, 120, 40)
			press(m, "2")
			down, up := keyMsg("j"), keyMsg("k")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					m.Update(down)
				} else {
					m.Update(up)
				}
				_ = m.View()
			}
		})
	}
}

// BenchmarkFilterKeystroke measures typing one more character of a text
// filter in the browser (the filter is re-applied on every keystroke).
func BenchmarkFilterKeystroke(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			c := benchCapture(b, n)
			m := newTestModel(b, c, nil, 120, 40)
			press(m, "2", "/")
			typeText(m, "par")
			add, del := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'k'}}, keyMsg("backspace")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					m.Update(add)
				} else {
					m.Update(del)
				}
				_ = m.View()
			}
		})
	}
}

// BenchmarkOpen measures the one-off work before the UI opens: grouping,
// search terms and display strings.
func BenchmarkOpen(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			c := benchCapture(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				newTestModel(b, c, nil, 120, 40)
			}
		})
	}
}

// BenchmarkFirstFrame measures, on a dump of 100,000 goroutines, the time
// from starting the UI to its first frame (the loading screen, drawn while
// the dump is parsed and analyzed on another goroutine) against the time
// to the findings frame (parse, analysis, display data): the first must
// not wait for the second (target: first frame under 0.5 s).
func BenchmarkFirstFrame(b *testing.B) {
	const n = 100_000
	dump := liveDumpText(n)
	var first, findings time.Duration
	for range b.N {
		load := func(progress func(parser.Progress)) (*parser.Capture, *detectors.Diagnosis, error) {
			progress(parser.Progress{Phase: parser.PhaseReading, TotalBytes: int64(len(dump))})
			snaps, err := parser.ReadText(bytes.NewReader(dump), "live")
			if err != nil {
				return nil, nil, err
			}
			c := &parser.Capture{Snapshots: snaps}
			r, err := detectors.Analyze(c, detectors.Options{Progress: progress})
			return c, r, err
		}
		start := time.Now()
		m := newLoadingModel(load, Options{}, newRenderer(io.Discard, true))
		m.Init()
		result := make(chan tea.Msg, 1)
		go func() { result <- m.loadCmd()() }()
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		if v := m.View(); !strings.Contains(v, "Reading the captures") {
			b.Fatalf("first frame is not the loading screen:\n%s", v)
		}
		first += time.Since(start)
		next, _ := m.Update(<-result)
		fm, ok := next.(*model)
		if !ok {
			b.Fatalf("after loading the model is %T", next)
		}
		_ = fm.View()
		findings += time.Since(start)
	}
	b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "first-frame-ms")
	b.ReportMetric(float64(findings.Microseconds())/1000/float64(b.N), "findings-frame-ms")
}
