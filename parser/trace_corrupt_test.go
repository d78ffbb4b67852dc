package parser

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	longOnce  sync.Once
	longBytes []byte
)

// longTrace is a real trace of three generations, so that a cut can fall
// after whole generations.
func longTrace(t *testing.T) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("records a 3 s trace")
	}
	longOnce.Do(func() { longBytes = recordGenerations(t, 3) })
	return longBytes
}

// checkTrace asserts the invariants every result of ReadTrace keeps, broken
// input or not.
func checkTrace(t *testing.T, tr *Trace) {
	t.Helper()
	for i, g := range tr.Goroutines {
		if i > 0 && tr.Goroutines[i-1].ID >= g.ID {
			t.Fatalf("goroutines out of order at %d", i)
		}
		if len(g.Blocks) > keepFirstBlocks+keepLastBlocks || len(g.Blocks) > g.BlocksTotal {
			t.Fatalf("G%d keeps %d of %d blocks", g.ID, len(g.Blocks), g.BlocksTotal)
		}
		for _, b := range g.Blocks {
			if b.Open() || b.End < b.Start || b.Start < 0 || b.End > tr.Duration {
				t.Fatalf("G%d: bad closed block %v..%v in a %v trace", g.ID, b.Start, b.End, tr.Duration)
			}
		}
		if g.Stuck != nil && (!g.Stuck.Open() || g.Stuck.Start > tr.Duration) {
			t.Fatalf("G%d: bad stuck block %+v", g.ID, g.Stuck)
		}
	}
	for _, s := range tr.Sites {
		if s.Waits != s.ByTimer+s.ByGoroutine+s.ByNetpoll+s.BySystem+s.NeverWoken || s.ByDeadline > s.ByTimer {
			t.Fatalf("site counts do not add up: %+v", s)
		}
	}
}

func TestReadTraceTruncated(t *testing.T) {
	data := longTrace(t)
	full, err := ReadTrace(bytes.NewReader(data), Source{File: "long.out"})
	if err != nil {
		t.Fatalf("full trace: %v", err)
	}
	if full.Truncated || full.Generations < 4 {
		t.Fatalf("full trace: truncated=%v generations=%d, want 3+ generations", full.Truncated, full.Generations)
	}
	partial := 0
	for _, frac := range []float64{0.05, 0.3, 0.5, 0.7, 0.9, 0.99} {
		cut := int(float64(len(data)) * frac)
		tr, err := ReadTrace(bytes.NewReader(data[:cut]), Source{File: "long.out"})
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.File != "long.out" {
				t.Errorf("cut at %d: error %v is not a *parser.Error naming the file", cut, err)
			}
			continue
		}
		checkTrace(t, tr)
		if !tr.Truncated || len(tr.Warnings) != 1 {
			t.Errorf("cut at %d: truncated=%v warnings=%v, want one warning", cut, tr.Truncated, tr.Warnings)
			continue
		}
		w := tr.Warnings[0]
		if w.File != "long.out" || w.Offset <= 0 || w.Offset > int64(cut) || !strings.Contains(w.Msg, "broken after") {
			t.Errorf("cut at %d: warning %q at offset %d does not say where", cut, w.Msg, w.Offset)
		}
		if tr.Duration > full.Duration || tr.Events >= full.Events {
			t.Errorf("cut at %d: read %d events over %v, the whole trace has %d over %v", cut, tr.Events, tr.Duration, full.Events, full.Duration)
		}
		partial++
	}
	if partial < 3 {
		t.Errorf("only %d of 6 cuts gave a partial analysis", partial)
	}
}

func TestReadTraceCorruptBytes(t *testing.T) {
	data := longTrace(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		bad := bytes.Clone(data)
		// Leave the header alone half of the time so that the damage
		// reaches the batches.
		lo := 0
		if i%2 == 0 {
			lo = 16
		}
		for range 1 + i%4 {
			bad[lo+rng.IntN(len(bad)-lo)] ^= byte(1 + rng.IntN(255))
		}
		tr, err := ReadTrace(bytes.NewReader(bad), Source{File: "flipped.out"})
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Errorf("flip %d: error %v is not a *parser.Error", i, err)
			}
			continue
		}
		checkTrace(t, tr)
		for _, w := range tr.Warnings {
			if w.File != "flipped.out" || w.Offset < 0 {
				t.Errorf("flip %d: warning %+v does not say where", i, w)
			}
		}
	}
}

func FuzzReadTrace(f *testing.F) {
	// Seeds: small real traces, whole and cut.
	seed := recordTrace(f, func() {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { pingPong(stop, 100*time.Microsecond); close(done) }()
		time.Sleep(5 * time.Millisecond)
		close(stop)
		<-done
	})
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add(seed[:64])
	// And the committed traces of every Go release's format.
	paths, _ := filepath.Glob(filepath.Join("testdata", "exectrace", "*.trace"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Both ways, with and without the decoding pipeline: they must
		// agree on any input.
		tr, err := readBothWays(t, data, "fuzz.out")
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %v is not a *parser.Error", err)
			}
			return
		}
		checkTrace(t, tr)
	})
}
