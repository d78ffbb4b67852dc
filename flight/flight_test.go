package flight

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// start starts a Recorder for one test; the runtime allows one at a time,
// so these tests do not run in parallel.
func start(t *testing.T, cfg Config) *Recorder {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	r, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

func TestTriggerWritesBundle(t *testing.T) {
	r := start(t, Config{Window: time.Second})
	// Something for the window to hold.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { time.Sleep(10 * time.Millisecond) })
	}
	wg.Wait()
	dir, err := r.Trigger("test")
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	head, err := os.ReadFile(filepath.Join(dir, "trace.out"))
	if err != nil || !bytes.HasPrefix(head, []byte("go 1.")) {
		t.Fatalf("trace.out: %v, starts %q", err, head[:min(len(head), 8)])
	}
	man, err := parser.ReadManifest(dir)
	if err != nil || man == nil || man.Tool != tool {
		t.Fatalf("manifest %+v: %v", man, err)
	}
	for _, f := range man.Files {
		if f.Error != "" || f.Bytes == 0 {
			t.Errorf("%s: %+v", f.Name, f)
		}
	}
	c, err := parser.Load([]string{dir}, parser.Options{})
	if err != nil {
		t.Fatalf("the bundle does not load: %v", err)
	}
	if len(c.Snapshots) == 0 || len(c.Traces) != 1 {
		t.Errorf("loaded %d snapshots, %d traces; want the dumps and the flight-recorder trace", len(c.Snapshots), len(c.Traces))
	}
}

func TestCooldownAndHandler(t *testing.T) {
	r := start(t, Config{Cooldown: time.Hour})
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	if resp, err := http.Get(srv.URL); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v %v, want 405", resp, err)
	}
	resp, err := http.Post(srv.URL, "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first POST: %v %v, want 200", resp, err)
	}
	resp.Body.Close()
	if resp, err := http.Post(srv.URL, "", nil); err != nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second POST within the cool-down: %v %v, want 429", resp, err)
	}
	if _, err := r.Trigger("again"); !errors.Is(err, ErrCooldown) {
		t.Errorf("Trigger during the cool-down = %v, want ErrCooldown", err)
	}
	if entries, _ := os.ReadDir(r.cfg.Dir); len(entries) != 1 {
		t.Errorf("%d bundles, want 1", len(entries))
	}
}

func TestSignalAndThresholdTrigger(t *testing.T) {
	var fire atomic.Bool
	log := &bytes.Buffer{}
	var mu sync.Mutex
	r := start(t, Config{
		Interval: 10 * time.Millisecond, Cooldown: time.Hour,
		Signals: []Signal{func() string {
			if fire.Load() {
				return "p99 latency 3s > 1s"
			}
			return ""
		}},
		Log: lockedBuf{&mu, log},
	})
	time.Sleep(100 * time.Millisecond)
	if entries, _ := os.ReadDir(r.cfg.Dir); len(entries) != 0 {
		t.Fatalf("a quiet signal wrote %d bundles", len(entries))
	}
	fire.Store(true)
	waitBundles(t, r.cfg.Dir, 1)
	time.Sleep(100 * time.Millisecond) // the cool-down holds
	if entries, _ := os.ReadDir(r.cfg.Dir); len(entries) != 1 {
		t.Errorf("%d bundles under a 1h cool-down, want 1", len(entries))
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(log.String(), "p99 latency 3s > 1s: bundle written") || strings.Count(log.String(), "ignored: cool-down") != 1 {
		t.Errorf("log:\n%s", log)
	}
}

func TestGoroutineThreshold(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := start(t, Config{Interval: 10 * time.Millisecond, GoroutineThreshold: 200})
	time.Sleep(50 * time.Millisecond)
	if entries, _ := os.ReadDir(r.cfg.Dir); len(entries) != 0 {
		t.Fatalf("below the threshold: %d bundles", len(entries))
	}
	for range 300 {
		go func() { <-release }()
	}
	waitBundles(t, r.cfg.Dir, 1)
}

func TestMaxBundles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := start(t, Config{Dir: dir, Cooldown: -1, MaxBundles: 2})
	var last []string
	for i := range 4 {
		d, err := r.Trigger("test")
		if err != nil {
			t.Fatalf("Trigger %d: %v", i, err)
		}
		last = append(last, d)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{filepath.Base(last[2]), filepath.Base(last[3]), "notes.txt"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("dir holds %v, want %v", names, want)
	}
}

func TestOneRecorderAtATime(t *testing.T) {
	start(t, Config{})
	if r, err := Start(Config{Dir: t.TempDir()}); err == nil {
		r.Stop()
		t.Error("a second flight recorder started")
	}
}

func waitBundles(t *testing.T, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if entries, _ := os.ReadDir(dir); len(entries) >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no bundle under %s within 10s", dir)
}

type lockedBuf struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// work is a request's worth of scheduling: a goroutine hand-off over a
// channel, the events a flight recorder records.
func work() {
	ch := make(chan int)
	go func() { ch <- 1 }()
	<-ch
}

// BenchmarkOverhead measures the flight recorder's cost, "off" (the
// baseline, same run) against "on": a bare goroutine hand-off (the worst
// case: nothing but traced scheduling events) and an HTTP request over
// loopback (requests per second = 1e9 / ns/op). "on" also reports the
// size of the trace window it writes (window-bytes).
func BenchmarkOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		work()
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	client := srv.Client()
	request := func() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	for _, c := range []struct {
		name string
		do   func()
	}{{"handoff", work}, {"http", request}} {
		b.Run(c.name+"/off", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.do()
				}
			})
		})
		b.Run(c.name+"/on", func(b *testing.B) {
			r, err := Start(Config{Dir: b.TempDir(), Cooldown: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Stop()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.do()
				}
			})
			b.StopTimer()
			dir, err := r.Trigger("benchmark")
			if err != nil {
				b.Fatal(err)
			}
			if st, err := os.Stat(filepath.Join(dir, "trace.out")); err == nil {
				b.ReportMetric(float64(st.Size()), "window-bytes")
			}
		})
	}
}

// nopCloser is a sink writer: a buffer that records being closed.
type nopCloser struct {
	bytes.Buffer
	closed bool
}

func (n *nopCloser) Close() error { n.closed = true; return nil }

// untar extracts a bundle written as a tar stream into a new directory.
func untar(t *testing.T, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatalf("tar: %v", err)
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Name != filepath.Base(hdr.Name) {
			t.Fatalf("tar entry %q (type %c): want plain files only", hdr.Name, hdr.Typeflag)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, hdr.Name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSinkReceivesTarBundle: with a Sink, a trigger writes the bundle as a
// tar stream to the writer it returns (no directory), closes it, keeps the
// cool-down, and the extracted archive loads as a bundle with its trace.
func TestSinkReceivesTarBundle(t *testing.T) {
	var sinks []*nopCloser
	var names []string
	r, err := Start(Config{Cooldown: time.Hour, Sink: func(name string) (io.WriteCloser, error) {
		w := &nopCloser{}
		sinks, names = append(sinks, w), append(names, name)
		return w, nil
	}})
	if err != nil {
		t.Fatalf("Start with a sink and no Dir: %v", err)
	}
	defer r.Stop()
	work()
	name, err := r.Trigger("test")
	if err != nil {
		t.Fatalf("Trigger: %v", err)
	}
	if len(sinks) != 1 || !sinks[0].closed || name != names[0] || !strings.HasPrefix(name, bundlePrefix) || !strings.HasSuffix(name, ".tar") {
		t.Fatalf("sink calls %v, closed %v, Trigger returned %q", names, len(sinks) == 1 && sinks[0].closed, name)
	}
	if _, err := r.Trigger("again"); !errors.Is(err, ErrCooldown) || len(sinks) != 1 {
		t.Errorf("second trigger: %v, %d sink calls; want the cool-down", err, len(sinks))
	}
	dir := untar(t, sinks[0].Bytes())
	man, err := parser.ReadManifest(dir)
	if err != nil || man == nil || man.Tool != tool {
		t.Fatalf("manifest in the archive: %+v, %v", man, err)
	}
	for _, f := range man.Files {
		st, err := os.Stat(filepath.Join(dir, f.Name))
		if f.Error != "" || err != nil || st.Size() != f.Bytes || f.Bytes == 0 {
			t.Errorf("%s: %+v on disk %v", f.Name, f, err)
		}
	}
	c, err := parser.Load([]string{dir}, parser.Options{})
	if err != nil || len(c.Traces) != 1 || len(c.Snapshots) == 0 {
		t.Fatalf("extracted bundle: %v", err)
	}
}

// TestSinkFailure: a sink that cannot be opened is an error of the
// trigger, named, and nothing is written anywhere.
func TestSinkFailure(t *testing.T) {
	r := start(t, Config{Dir: t.TempDir(), Sink: func(string) (io.WriteCloser, error) { return nil, errors.New("bucket unreachable") }})
	if _, err := r.Trigger("test"); err == nil || !strings.Contains(err.Error(), "bucket unreachable") {
		t.Errorf("Trigger = %v, want the sink's error", err)
	}
	if entries, _ := os.ReadDir(r.cfg.Dir); len(entries) != 0 {
		t.Errorf("with a sink, %d entries under Dir", len(entries))
	}
}

// TestWriteToAndTraceHandler: the window alone, to any writer and over
// HTTP (GET only), is an execution trace the parser reads.
func TestWriteToAndTraceHandler(t *testing.T) {
	r := start(t, Config{Window: time.Second})
	work()
	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || !bytes.HasPrefix(buf.Bytes(), []byte("go 1.")) {
		t.Fatalf("WriteTo = %d, %v; %d bytes starting %q", n, err, buf.Len(), buf.Bytes()[:min(buf.Len(), 8)])
	}
	srv := httptest.NewServer(r.TraceHandler())
	defer srv.Close()
	if resp, err := http.Post(srv.URL, "", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %v %v, want 405", resp, err)
	}
	resp, err := http.Get(srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %v %v", resp, err)
	}
	defer resp.Body.Close()
	tr, err := parser.ReadTrace(resp.Body, parser.Source{File: "flightrecorder.out"})
	if err != nil || tr.Duration <= 0 || len(tr.Goroutines) == 0 {
		t.Fatalf("the served window does not read as a trace: %v", err)
	}
}

// TestWriteBundleOnDemand: WriteBundle ignores the cool-down (the caller
// asked) and writes the same archive a sink gets.
func TestWriteBundleOnDemand(t *testing.T) {
	r := start(t, Config{Cooldown: time.Hour})
	if _, err := r.Trigger("first"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteBundle(&buf, "by hand"); err != nil {
		t.Fatalf("WriteBundle during the cool-down: %v", err)
	}
	man, err := parser.ReadManifest(untar(t, buf.Bytes()))
	if err != nil || man == nil || man.Target != "self: by hand" || len(man.Files) < 3 {
		t.Fatalf("manifest %+v, %v", man, err)
	}
}
