package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// countServer is a pprof endpoint whose debug=1 goroutine count is count(n)
// at the n-th poll (from 1); the other endpoints are this process's real
// net/http/pprof.
type countServer struct {
	*httptest.Server
	polls  atomic.Int64
	traces atomic.Int64 // trace requests received
	// holdTrace makes the trace endpoint answer a trace header and then
	// hold the request until the client leaves: the runtime's tracer is
	// process-wide, so a real one may still be busy with an earlier
	// test's trace and fail at once.
	holdTrace atomic.Bool
}

func newCountServer(t *testing.T, count func(n int64) int) *countServer {
	t.Helper()
	cs := &countServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/debug/pprof/goroutine" && r.URL.Query().Get("debug") == "1" {
			n := cs.polls.Add(1)
			fmt.Fprintf(w, "goroutine profile: total %d\n1 @ 0x1\n#\t0x1\tmain.main+0x1\t/x.go:1\n", count(n))
			return
		}
		if r.URL.Path == "/debug/pprof/trace" {
			cs.traces.Add(1)
			if cs.holdTrace.Load() {
				w.Write([]byte("go 1.26 trace\x00\x00\x00"))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
		}
		pprof.Index(w, r)
	})
	cs.Server = httptest.NewServer(mux)
	t.Cleanup(cs.Close)
	return cs
}

// syncBuf is a log both the watchers and the test read.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// watchFor runs Watch for d (or until stop returns true after a bundle)
// and returns the bundles it reported.
func watchFor(t *testing.T, d time.Duration, opts WatchOptions, stop func([]WatchBundle) bool) ([]WatchBundle, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var got []WatchBundle
	opts.OnBundle = func(_ context.Context, b WatchBundle) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, b)
		if stop != nil && stop(got) {
			cancel()
		}
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	opts.Capture.Snapshots = 1
	err := Watch(ctx, opts)
	mu.Lock()
	defer mu.Unlock()
	return got, err
}

func TestWatchCapturesAtOnset(t *testing.T) {
	const onset = 4 // the count jumps at the 4th poll
	var pollsAtCapture atomic.Int64
	srv := newCountServer(t, func(n int64) int {
		if n >= onset {
			return 900
		}
		return 12
	})
	log := &syncBuf{}
	got, err := watchFor(t, 20*time.Second, WatchOptions{
		Targets:   []WatchTarget{{URL: srv.URL}},
		Interval:  30 * time.Millisecond,
		Threshold: 500,
		Cooldown:  time.Hour,
		Log:       log,
	}, func(b []WatchBundle) bool { pollsAtCapture.Store(srv.polls.Load()); return true })
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d bundles, want 1; log:\n%s", len(got), log)
	}
	// Captured at the first poll that saw the onset: within one interval.
	if p := pollsAtCapture.Load(); p != onset {
		t.Errorf("capture after %d polls, want %d (the first poll past the threshold)", p, onset)
	}
	b := got[0]
	if !strings.Contains(b.Trigger, "goroutines 900 > threshold 500") {
		t.Errorf("trigger = %q", b.Trigger)
	}
	if !strings.HasPrefix(filepath.Base(b.Dir), watchPrefix) {
		t.Errorf("bundle dir %s lacks the %s prefix", b.Dir, watchPrefix)
	}
	if _, err := os.Stat(filepath.Join(b.Dir, "goroutine-debug2.txt")); err != nil {
		t.Errorf("bundle lacks the goroutine dump: %v", err)
	}
	// A watch bundle asks for what capture asks for: the goroutineleak
	// profile (taken, or recorded as not offered by a runtime without the
	// leak experiment) and the flight-recorder window, which plain
	// net/http/pprof does not serve.
	man, err := parser.ReadManifest(b.Dir)
	if err != nil || man == nil {
		t.Fatalf("manifest: %v", err)
	}
	for _, name := range []string{"goroutineleak.pb.gz", "trace-flight.out"} {
		i := slices.IndexFunc(man.Files, func(f parser.ManifestFile) bool { return f.Name == name })
		if i < 0 || man.Files[i].Error != "" || name == "trace-flight.out" && !man.Files[i].NotOffered {
			t.Errorf("%s in the watch bundle's manifest: %+v, want it asked for (the window recorded as not offered)", name, man.Files)
		}
	}
}

func TestWatchQuietServiceTakesNothing(t *testing.T) {
	srv := newCountServer(t, func(int64) int { return 40 })
	got, err := watchFor(t, 400*time.Millisecond, WatchOptions{
		Targets: []WatchTarget{{URL: srv.URL}}, Interval: 20 * time.Millisecond,
		Threshold: 500, Rate: 60,
	}, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("steady service: %d bundles, err %v; want none", len(got), err)
	}
	if srv.polls.Load() < 5 {
		t.Errorf("only %d polls in 400ms at a 20ms interval", srv.polls.Load())
	}
}

func TestWatchRateTrigger(t *testing.T) {
	// +3 goroutines every poll, 20ms apart: thousands per minute.
	srv := newCountServer(t, func(n int64) int { return 100 + 3*int(n) })
	got, err := watchFor(t, 20*time.Second, WatchOptions{
		Targets: []WatchTarget{{URL: srv.URL}}, Interval: 20 * time.Millisecond,
		Rate: 600, RateWindow: 200 * time.Millisecond, Cooldown: time.Hour,
	}, func([]WatchBundle) bool { return true })
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d bundles, err %v; want 1", len(got), err)
	}
	if !strings.Contains(got[0].Trigger, "per minute > 600.0") {
		t.Errorf("trigger = %q", got[0].Trigger)
	}
}

func TestWatchCooldown(t *testing.T) {
	srv := newCountServer(t, func(int64) int { return 900 })
	log := &syncBuf{}
	got, err := watchFor(t, 600*time.Millisecond, WatchOptions{
		Targets: []WatchTarget{{URL: srv.URL}}, Interval: 20 * time.Millisecond,
		Threshold: 500, Cooldown: time.Hour, Log: log,
	}, nil)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if len(got) != 1 {
		t.Errorf("always-high service under a 1h cool-down: %d bundles, want 1", len(got))
	}
	if c := strings.Count(log.String(), "cool-down until"); c != 1 {
		t.Errorf("cool-down logged %d times, want once per cool-down; log:\n%s", c, log)
	}
	if srv.polls.Load() < 5 {
		t.Errorf("polling stopped during the cool-down: %d polls", srv.polls.Load())
	}
}

func TestWatchDiskBound(t *testing.T) {
	srv := newCountServer(t, func(int64) int { return 900 })
	dir := t.TempDir()
	// Things that are not watch bundles: never counted, never removed.
	foreign := filepath.Join(dir, watchPrefix+"not-ours")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &syncBuf{}
	got, err := watchFor(t, 30*time.Second, WatchOptions{
		Targets: []WatchTarget{{URL: srv.URL}}, Dir: dir, Interval: 10 * time.Millisecond,
		Threshold: 500, Cooldown: 0, MaxBundles: 2, Log: log,
	}, func(b []WatchBundle) bool {
		if own := (&diskBound{dir: dir}).own(); len(own) > 2 {
			t.Errorf("after bundle %d: %d bundles on disk, bound is 2", len(b), len(own))
		}
		return len(b) == 5
	})
	if err != nil || len(got) != 5 {
		t.Fatalf("got %d bundles, err %v; want 5", len(got), err)
	}
	own := (&diskBound{dir: dir}).own()
	if len(own) != 2 || own[1].path != got[4].Dir || own[0].path != got[3].Dir {
		t.Errorf("kept %v, want the last two bundles %s, %s", own, got[3].Dir, got[4].Dir)
	}
	for _, p := range []string{filepath.Join(foreign, "notes.txt"), filepath.Join(dir, "keep.txt")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s, not a watch bundle, was touched: %v", p, err)
		}
	}
	if c := strings.Count(log.String(), "removed old bundle"); c != 3 {
		t.Errorf("%d removals logged, want 3", c)
	}

	// A byte bound smaller than one bundle keeps only the newest.
	d := &diskBound{dir: dir, maxBytes: 1, log: log}
	d.prune(0, got[4].Dir)
	if own := d.own(); len(own) != 1 || own[0].path != got[4].Dir {
		t.Errorf("byte bound: kept %v, want only %s", own, got[4].Dir)
	}
}

func TestWatchHealthProbe(t *testing.T) {
	srv := newCountServer(t, func(int64) int { return 10 })
	var probes atomic.Int64
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if probes.Add(1) >= 3 {
			http.Error(w, "db down", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(health.Close)
	got, err := watchFor(t, 20*time.Second, WatchOptions{
		Targets:  []WatchTarget{{URL: srv.URL, Health: health.URL}},
		Interval: 20 * time.Millisecond, Cooldown: time.Hour,
	}, func([]WatchBundle) bool { return true })
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d bundles, err %v; want 1", len(got), err)
	}
	if !strings.Contains(got[0].Trigger, "503") || probes.Load() != 3 {
		t.Errorf("trigger %q after %d probes, want the 503 at probe 3", got[0].Trigger, probes.Load())
	}
}

func TestWatchTargetsIndependent(t *testing.T) {
	calm := newCountServer(t, func(int64) int { return 10 })
	busy := newCountServer(t, func(int64) int { return 900 })
	got, err := watchFor(t, 500*time.Millisecond, WatchOptions{
		Targets:  []WatchTarget{{URL: calm.URL}, {URL: busy.URL}, {URL: "http://127.0.0.1:1"}},
		Interval: 20 * time.Millisecond, Threshold: 500, Cooldown: time.Hour,
	}, nil)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if len(got) != 1 || got[0].Target != busy.URL {
		t.Errorf("bundles %+v, want one, of %s", got, busy.URL)
	}
	if calm.polls.Load() < 5 {
		t.Errorf("calm target polled %d times: it must not wait for the busy one", calm.polls.Load())
	}
}

func TestWatchInterruptedCapture(t *testing.T) {
	srv := newCountServer(t, func(int64) int { return 900 })
	srv.holdTrace.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncBuf{}
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, WatchOptions{
			Targets: []WatchTarget{{URL: srv.URL}}, Dir: t.TempDir(), Interval: 20 * time.Millisecond,
			Threshold: 500, Log: log,
			Capture: Options{Trace: 30 * time.Second, Snapshots: 1},
		})
	}()
	deadline := time.Now().Add(10 * time.Second)
	// Cancel once the capture is inside the trace request (the log line
	// comes before the capture starts, a while before under -race).
	for srv.traces.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) {
			t.Errorf("Watch = %v, want ErrInterrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
}

func TestWatchOptionsChecked(t *testing.T) {
	for _, o := range []WatchOptions{
		{Dir: "x", Threshold: 1},
		{Targets: []WatchTarget{{URL: "http://h"}}, Dir: "x"},
		{Targets: []WatchTarget{{URL: "http://h"}}, Threshold: 1},
		{Targets: []WatchTarget{{URL: "ftp://h"}}, Dir: t.TempDir(), Threshold: 1},
		{Targets: []WatchTarget{{URL: "http://h", Health: "/healthz"}}, Dir: t.TempDir()},
	} {
		if err := Watch(context.Background(), o); err == nil {
			t.Errorf("Watch(%+v) = nil, want an error", o)
		}
	}
}

// newGroupServer is a countServer whose debug=1 profile holds one group per
// function of groups(n) at the n-th poll, each a distinct stack.
func newGroupServer(t *testing.T, groups func(n int64) map[string]int) *countServer {
	t.Helper()
	cs := &countServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/debug/pprof/goroutine" && r.URL.Query().Get("debug") == "1" {
			gs := groups(cs.polls.Add(1))
			total := 0
			for _, n := range gs {
				total += n
			}
			fmt.Fprintf(w, "goroutine profile: total %d\n", total)
			for fn, n := range gs {
				if n == 0 {
					continue // as the runtime: no record for no goroutine
				}
				// The same function has the same PC and line at
				// every poll.
				pc := 0x100 + crc32.ChecksumIEEE([]byte(fn))%0x10000
				fmt.Fprintf(w, "%d @ 0x%x 0x2\n#\t0x%x\tmain.%s+0x1\t/app/main.go:%d\n#\t0x2\tmain.main+0x1\t/app/main.go:1\n\n", n, pc, pc, fn, pc)
			}
			return
		}
		pprof.Index(w, r)
	})
	cs.Server = httptest.NewServer(mux)
	t.Cleanup(cs.Close)
	return cs
}

// TestWatchGroupGrowth: one group piling up triggers a capture that names
// it, though the total stays far below any threshold and grows slowly; a
// group that churns (up and down by less than the bound) or grows by less
// within the window triggers nothing.
func TestWatchGroupGrowth(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups func(n int64) map[string]int
		window time.Duration
		want   string // "" for no capture
	}{
		{"pile-up", func(n int64) map[string]int {
			// 2000 steady goroutines; from the 4th poll, 6 more
			// handlers queue behind one call at each poll.
			queued := 0
			if n >= 4 {
				queued = 6 * int(n-3)
			}
			return map[string]int{"worker": 1000, "conn": 1000, "quote": queued}
		}, 10 * time.Second, "goroutine group main.quote grew 0 -> 24"},
		{"churn", func(n int64) map[string]int {
			return map[string]int{"worker": 1000, "quote": 10 + int(n%3)*7}
		}, 10 * time.Second, ""},
		{"slow", func(n int64) map[string]int {
			// +1 per poll, 20ms apart: 20 more takes longer than
			// the window (a loaded machine polls slower still).
			return map[string]int{"quote": int(n)}
		}, 200 * time.Millisecond, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newGroupServer(t, tc.groups)
			log := &syncBuf{}
			got, err := watchFor(t, 3*time.Second, WatchOptions{
				Targets: []WatchTarget{{URL: srv.URL}}, Interval: 20 * time.Millisecond,
				GroupGrowth: 20, RateWindow: tc.window, Cooldown: time.Hour, Log: log,
			}, func([]WatchBundle) bool { return true })
			if err != nil {
				t.Fatalf("Watch: %v", err)
			}
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("captured on %q; want nothing", got[0].Trigger)
				}
				if srv.polls.Load() < 20 {
					t.Errorf("only %d polls", srv.polls.Load())
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d bundles; log:\n%s", len(got), log)
			}
			if !strings.Contains(got[0].Trigger, tc.want) || !strings.Contains(got[0].Trigger, "(+24 >= 20)") {
				t.Errorf("trigger = %q, want %q and the growth against the bound", got[0].Trigger, tc.want)
			}
		})
	}
}

// TestWatchGroupPollBounded: a debug=1 profile over MaxPollBytes fails the
// poll, logged once, and triggers nothing.
func TestWatchGroupPollBounded(t *testing.T) {
	srv := newGroupServer(t, func(n int64) map[string]int {
		gs := map[string]int{}
		for i := range 200 {
			gs[fmt.Sprintf("f%d", i)] = int(n) * 100
		}
		return gs
	})
	log := &syncBuf{}
	got, err := watchFor(t, 300*time.Millisecond, WatchOptions{
		Targets: []WatchTarget{{URL: srv.URL}}, Interval: 20 * time.Millisecond,
		GroupGrowth: 5, MaxPollBytes: 4096, Log: log,
	}, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("got %d bundles, err %v; want none", len(got), err)
	}
	if n := strings.Count(log.String(), "larger than 4096 bytes"); n != 1 {
		t.Errorf("the oversized profile logged %d times, want once:\n%s", n, log)
	}
}

// pileUp parks until release is closed: the queue behind a stuck call.
//
//go:noinline
func pileUp(release <-chan struct{}) { <-release }

// TestWatchGroupGrowthLive: against this process's real net/http/pprof,
// goroutines piling up in one function (5 per poll interval) trigger a
// capture naming it, read from the runtime's own debug=1 profile (which
// hides the runtime frames: the group is named by its function alone).
func TestWatchGroupGrowthLive(t *testing.T) {
	srv := pprofServer(t)
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	go func() {
		close(started)
		// Growing until the test ends (at most 5,000 over 20 s): a
		// slow first poll on a loaded machine still sees growth after it.
		for range 1000 {
			select {
			case <-release:
				return
			case <-time.After(20 * time.Millisecond):
			}
			for range 5 {
				go pileUp(release)
			}
		}
	}()
	<-started
	log := &syncBuf{}
	got, err := watchFor(t, 20*time.Second, WatchOptions{
		Targets: []WatchTarget{{URL: srv.URL}}, Interval: 20 * time.Millisecond,
		GroupGrowth: 25, RateWindow: 10 * time.Second, Cooldown: time.Hour, Log: log,
	}, func([]WatchBundle) bool { return true })
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d bundles, err %v; log:\n%s", len(got), err, log)
	}
	if !strings.Contains(got[0].Trigger, "goroutine group github.com/ctxhole/ctxhole/capture.pileUp grew ") {
		t.Errorf("trigger = %q, want the pile-up's group named", got[0].Trigger)
	}
}
