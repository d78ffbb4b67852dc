package capture

import (
	"bytes"
	"context"
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

func entries(man *parser.Manifest) map[string]parser.ManifestFile {
	m := make(map[string]parser.ManifestFile)
	for _, f := range man.Files {
		m[f.Name] = f
	}
	return m
}

// TestRedirectsStayOnTheHost: a target redirecting to another host is
// refused (and recorded); the other host is never asked. A redirect on the
// target's own host (pprof mounted elsewhere) is followed.
func TestRedirectsStayOnTheHost(t *testing.T) {
	var elsewhereHits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
		io.WriteString(w, "goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n")
	}))
	defer elsewhere.Close()
	real := pprofServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/goroutine", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusFound)
	})
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved"+r.URL.RequestURI(), http.StatusFound)
	})
	mux.Handle("/moved/", http.StripPrefix("/moved", real.Config.Handler))
	target := httptest.NewServer(mux)
	defer target.Close()

	dir := filepath.Join(t.TempDir(), "bundle")
	man, err := WriteBundle(context.Background(), Options{Base: target.URL, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	got := entries(man)
	for _, name := range []string{"goroutine-debug2.txt", "goroutine.pb.gz"} {
		if !strings.Contains(got[name].Error, "redirect to another host refused") {
			t.Errorf("%s: error %q", name, got[name].Error)
		}
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s saved from another host", name)
		}
	}
	if n := elsewhereHits.Load(); n != 0 {
		t.Errorf("the other host was asked %d times", n)
	}
	if m := got["mutex.pb.gz"]; m.Error != "" || m.Bytes == 0 {
		t.Errorf("same-host redirect not followed: %+v", m)
	}
}

// TestHTMLPageIsAFailure: a login page served with status 200 for every
// endpoint saves nothing and is recorded as a failure for each.
func TestHTMLPageIsAFailure(t *testing.T) {
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "\n<!DOCTYPE html><html><body><form action=/login>Sign in</form></body></html>\n")
	}))
	defer login.Close()
	disguised := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		io.WriteString(w, "  <html><body>Sign in</body></html>")
	}))
	defer disguised.Close()
	for _, srv := range []*httptest.Server{login, disguised} {
		dir := filepath.Join(t.TempDir(), "bundle")
		man, err := WriteBundle(context.Background(), Options{Base: srv.URL, Dir: dir, Trace: time.Second})
		if err == nil || !strings.Contains(err.Error(), "nothing could be fetched") {
			t.Errorf("err = %v", err)
		}
		for _, f := range man.Files {
			if !strings.Contains(f.Error, "HTML page") {
				t.Errorf("%s: error %q", f.Name, f.Error)
			}
		}
		if files, _ := os.ReadDir(dir); len(files) != 1 || files[0].Name() != parser.ManifestName {
			t.Errorf("bundle holds %v, want only the manifest", files)
		}
	}
}

// TestInterruptKeepsWhatWasReceived: cancelled while the trace streams, the
// capture returns ErrInterrupted at once, keeps the trace bytes received,
// and records the snapshots it did not take.
func TestInterruptKeepsWhatWasReceived(t *testing.T) {
	real := pprofServer(t)
	streaming := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		w.Write(append([]byte("go 1.26 trace\x00\x00\x00"), bytes.Repeat([]byte{0x42}, 8000)...))
		w.(http.Flusher).Flush()
		close(streaming)
		<-r.Context().Done() // a trace still running
	})
	// The first debug=2 dump has been served (its size in served): under
	// load (the whole suite on two cores) serving and saving it can take
	// longer than any fixed pause.
	firstDump := make(chan struct{})
	var once sync.Once
	var served atomic.Int64
	mux.HandleFunc("/debug/pprof/goroutine", func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		real.Config.Handler.ServeHTTP(cw, r)
		if r.FormValue("debug") == "2" {
			once.Do(func() {
				served.Store(cw.n)
				close(firstDump)
			})
		}
	})
	mux.Handle("/", real.Config.Handler)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	dir := filepath.Join(t.TempDir(), "bundle")
	go func() {
		<-streaming
		<-firstDump
		// Wait until the first dump is on disk whole, then give the
		// client the moment it needs to see the response end.
		first := filepath.Join(dir, "goroutine-debug2.1.txt")
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if fi, err := os.Stat(first); err == nil && fi.Size() == served.Load() {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
		cancel() // SIGINT
	}()
	start := time.Now()
	man, err := WriteBundle(ctx, Options{Base: srv.URL, Dir: dir, Trace: time.Minute, Snapshots: 3, Every: time.Hour})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned after %v", d)
	}
	got := entries(man)
	tr, rerr := os.ReadFile(filepath.Join(dir, "trace.out"))
	if rerr != nil || len(tr) != 8016 || !bytes.HasPrefix(tr, []byte("go 1.26 trace")) || got["trace.out"].Bytes != 8016 {
		t.Errorf("trace.out: %d bytes (%v), manifest %+v", len(tr), rerr, got["trace.out"])
	}
	for _, name := range []string{"goroutine-debug2.2.txt", "goroutine.3.pb.gz"} {
		if got[name].Error != "not taken: interrupted" {
			t.Errorf("%s: %+v", name, got[name])
		}
	}
	if f := got["goroutine-debug2.1.txt"]; f.Error != "" || f.Bytes == 0 {
		t.Errorf("the first snapshot: %+v", f)
	}
	if back, err := parser.ReadManifest(dir); err != nil || len(back.Files) != len(man.Files) {
		t.Errorf("manifest on disk: %v", err)
	}
}

// TestDeadTargetOneDeadline: a target that accepts and never answers costs
// one request timeout in all, not one per endpoint: the endpoints are
// fetched concurrently under one overall deadline.
func TestDeadTargetOneDeadline(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	start := time.Now()
	man, err := WriteBundle(context.Background(), Options{
		Base: hang.URL, Dir: filepath.Join(t.TempDir(), "bundle"), RequestTimeout: time.Second, Snapshots: 2, Every: 100 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "nothing could be fetched") {
		t.Errorf("err = %v", err)
	}
	// Eight endpoints (two snapshots of two, mutex, block, goroutineleak,
	// the flight-recorder window) at one second each would be eight
	// seconds in series.
	if d := time.Since(start); d > 3500*time.Millisecond {
		t.Errorf("took %v", d)
	}
	if len(man.Files) != 8 {
		t.Errorf("%d manifest entries, want 8", len(man.Files))
	}
}

// countingWriter counts the body bytes a handler writes.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}
