package capture

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// pprofServer serves the real net/http/pprof handlers of this test
// process, except the paths in missing, which answer 404 as a service
// that never registered them would.
func pprofServer(t *testing.T, missing ...string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, m := range missing {
		mux.Handle("/debug/pprof/"+m, http.NotFoundHandler())
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestWriteBundleWritesBundle(t *testing.T) {
	srv := pprofServer(t, "block")
	dir := filepath.Join(t.TempDir(), "bundle")
	var progress bytes.Buffer
	man, err := WriteBundle(context.Background(), Options{
		Base: srv.URL, Dir: dir, Trace: time.Second, Snapshots: 2, Every: 50 * time.Millisecond,
		Progress: &progress,
	})
	if err != nil {
		t.Fatalf("WriteBundle: %v", err)
	}
	byName := make(map[string]parser.ManifestFile)
	for _, f := range man.Files {
		byName[f.Name] = f
	}
	for _, name := range []string{"goroutine-debug2.1.txt", "goroutine-debug2.2.txt", "goroutine.1.pb.gz", "goroutine.2.pb.gz", "mutex.pb.gz", "trace.out"} {
		f, ok := byName[name]
		if !ok {
			t.Errorf("manifest lacks %s; have %v", name, man.Files)
			continue
		}
		if f.Error != "" || f.Bytes == 0 || f.CapturedAt.IsZero() {
			t.Errorf("%s: error %q, %d bytes, captured at %v", name, f.Error, f.Bytes, f.CapturedAt)
		}
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Size() != f.Bytes {
			t.Errorf("%s on disk: %v, size mismatch with manifest %d", name, err, f.Bytes)
		}
	}
	// Mutex profiling is off in this process: the profile is empty and
	// the manifest says why.
	if m := byName["mutex.pb.gz"]; !m.Empty || !strings.Contains(m.Note, "SetMutexProfileFraction") {
		t.Errorf("mutex entry = %+v, want it marked empty with a hint at SetMutexProfileFraction", m)
	}
	if e := byName["block.pb.gz"].Error; !strings.Contains(e, "404") {
		t.Errorf("block error = %q, want the 404 recorded", e)
	}
	if _, err := os.Stat(filepath.Join(dir, "block.pb.gz")); !os.IsNotExist(err) {
		t.Errorf("failed fetch left a file behind: %v", err)
	}
	// net/http/pprof answers 404 for the flight-recorder window: recorded
	// as not offered, not as a failure, and not reported as one.
	if f := byName["trace-flight.out"]; !f.NotOffered || f.Error != "" || f.Bytes != 0 || !strings.Contains(f.Note, "TraceHandler") || strings.Contains(progress.String(), "flight") {
		t.Errorf("a window the service does not offer: %+v; progress:\n%s", f, progress.String())
	}
	if !strings.Contains(byName["trace.out"].URLPath, "seconds=1") {
		t.Errorf("trace url = %q", byName["trace.out"].URLPath)
	}
	if !byName["goroutine-debug2.1.txt"].CapturedAt.Before(byName["goroutine-debug2.2.txt"].CapturedAt) {
		t.Error("snapshots not in capture order")
	}

	// The manifest on disk reads back to the same thing.
	back, err := parser.ReadManifest(dir)
	if err != nil || back == nil {
		t.Fatalf("ReadManifest: %v, %v", back, err)
	}
	if back.Target != srv.URL || len(back.Files) != len(man.Files) || back.Version != parser.ManifestVersion {
		t.Errorf("manifest round trip: %+v", back)
	}
	if _, ok := back.CaptureTime("goroutine-debug2.2.txt"); !ok {
		t.Error("CaptureTime: no time for the second snapshot")
	}
	trace, err := os.ReadFile(filepath.Join(dir, "trace.out"))
	if err != nil || !bytes.HasPrefix(trace, []byte("go 1.")) {
		t.Errorf("trace.out does not start with the trace magic: %q", trace[:min(len(trace), 16)])
	}
}

// TestWriteBundleTakesFlightWindow: a service serving its flight-recorder
// window at FlightRecorderPath has it in the bundle, as a trace, taken
// first (it ends at the trigger, before the capture's own trace begins).
func TestWriteBundleTakesFlightWindow(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	window := []byte("go 1.26 trace\x00\x00\x00 the last seconds")
	mux.HandleFunc(FlightRecorderPath, func(w http.ResponseWriter, r *http.Request) { w.Write(window) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "bundle")
	man, err := WriteBundle(context.Background(), Options{Base: srv.URL, Dir: dir})
	if err != nil {
		t.Fatalf("WriteBundle: %v", err)
	}
	var got *parser.ManifestFile
	for i, f := range man.Files {
		if f.Name == "trace-flight.out" {
			got = &man.Files[i]
		}
	}
	if got == nil || got.Kind != "trace" || got.URLPath != FlightRecorderPath || got.Error != "" || got.Bytes != int64(len(window)) {
		t.Fatalf("flight window entry = %+v, want a %d-byte trace from %s", got, len(window), FlightRecorderPath)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "trace-flight.out")); err != nil || !bytes.Equal(data, window) {
		t.Errorf("trace-flight.out = %q, %v", data, err)
	}
}

func TestWriteBundleSizeCapAndNothingFetched(t *testing.T) {
	srv := pprofServer(t)
	dir := t.TempDir()
	man, err := WriteBundle(context.Background(), Options{Base: srv.URL, Dir: dir, MaxBytes: 16})
	if err == nil {
		t.Fatal("WriteBundle succeeded with every response over the cap")
	}
	for _, f := range man.Files {
		if f.NotOffered { // this process has no goroutineleak profile
			continue
		}
		if !strings.Contains(f.Error, errTooLarge.Error()) {
			t.Errorf("%s: error %q, want the size cap", f.Name, f.Error)
		}
	}
}

// TestWriteBundleRefusedFailsAtOnce: a port nothing listens on fails at
// once, with one error and no bundle directory left behind.
func TestWriteBundleRefusedFailsAtOnce(t *testing.T) {
	srv := pprofServer(t)
	url := srv.URL
	srv.Close() // nothing listens there any more
	dir := filepath.Join(t.TempDir(), "bundle")
	var progress bytes.Buffer
	start := time.Now()
	man, err := WriteBundle(context.Background(), Options{Base: url, Dir: dir, Snapshots: 3, Every: 5 * time.Second, Trace: 5 * time.Second, Progress: &progress})
	if err == nil || !strings.Contains(err.Error(), "connection refused") || man != nil {
		t.Fatalf("err = %v, manifest %v", err, man)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if progress.Len() != 0 {
		t.Errorf("progress printed:\n%s", progress.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("bundle directory left behind: %v", err)
	}
}

func TestWriteBundleCancelled(t *testing.T) {
	srv := pprofServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := WriteBundle(ctx, Options{Base: srv.URL, Dir: t.TempDir(), Snapshots: 3, Every: time.Hour})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("a cancelled capture: err = %v", err)
	}
}

func TestPprofBase(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "http://127.0.0.1:6060", want: "http://127.0.0.1:6060/debug/pprof/"},
		{in: "127.0.0.1:6060", want: "http://127.0.0.1:6060/debug/pprof/"},
		{in: "http://h:1/debug/pprof/", want: "http://h:1/debug/pprof/"},
		{in: "https://h/admin/debug/pprof?x=1", want: "https://h/admin/debug/pprof/"},
		{in: "http://h/admin", want: "http://h/admin/debug/pprof/"},
		{in: "ftp://h", err: "scheme"},
		{in: "", err: "no service URL"},
		{in: "http://", err: "no host"},
	}
	for _, tt := range tests {
		u, err := pprofBase(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("pprofBase(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || u.String() != tt.want {
			t.Errorf("pprofBase(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
}

func TestPrepareDirRefusesNonEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := prepareDir(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("prepareDir on a non-empty dir: %v", err)
	}
	if err := prepareDir(filepath.Join(dir, "new", "deeper")); err != nil {
		t.Fatalf("prepareDir creating: %v", err)
	}
}

func TestEndpointWithSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"goroutine-debug2.txt": "goroutine-debug2.2.txt",
		"goroutine.pb.gz":      "goroutine.2.pb.gz",
		"trace.out":            "trace.2.out",
	} {
		if got := (endpoint{name: in}).withSuffix(".2").name; got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}
