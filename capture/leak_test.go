package capture

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
	"github.com/ctxhole/ctxhole/parser"
)

// A service whose runtime has no goroutineleak profile (this test binary,
// built without GOEXPERIMENT=goroutineleakprofile: net/http/pprof answers
// 404 "Unknown profile") is recorded as not offering it: no error, no
// file, no warning when the bundle is read, and the capture succeeds.
func TestWriteBundleLeakProfileNotOffered(t *testing.T) {
	srv := pprofServer(t)
	dir := filepath.Join(t.TempDir(), "bundle")
	man, err := WriteBundle(context.Background(), Options{Base: srv.URL, Dir: dir})
	if err != nil {
		t.Fatalf("WriteBundle: %v", err)
	}
	i := slices.IndexFunc(man.Files, func(f parser.ManifestFile) bool { return f.Kind == KindGoroutineLeak })
	if i < 0 {
		t.Fatalf("manifest has no goroutineleak entry: %+v", man.Files)
	}
	f := man.Files[i]
	if !f.NotOffered || f.Error != "" || f.Bytes != 0 || !strings.Contains(f.Note, "GOEXPERIMENT=goroutineleakprofile") ||
		f.URLPath != "/debug/pprof/goroutineleak" {
		t.Errorf("goroutineleak entry %+v, want not offered, with the hint", f)
	}
	if _, err := os.Stat(filepath.Join(dir, f.Name)); !os.IsNotExist(err) {
		t.Errorf("a file was written for a profile not offered: %v", err)
	}
	c, err := parser.Load([]string{dir}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.AllWarnings() {
		if strings.Contains(w.String(), "goroutineleak") {
			t.Errorf("warning about a profile the service does not offer: %s", w)
		}
	}
}

// A service that offers the profile: a server answering with real
// captures of one Go 1.26 process built with the experiment (its goroutine
// dump taken before any leak detection ran, and the goroutineleak proto
// it served next). The profile is saved, is not another moment when the
// bundle is read, and the goroutines it proves leaked are marked in the
// dump: those the runtime marked "(leaked)" in its own debug=2 form.
func TestWriteBundleLeakProfileOffered(t *testing.T) {
	caps := testrepo.Path(t, "fixtures", "variants", "captures", "go1.26.8")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(caps, name))
		if err != nil {
			t.Skipf("capture missing: %v", err)
		}
		return b
	}
	dump, leak := read("leak-goroutine-debug2.txt"), read("leak.pb.gz")
	want, err := parser.ReadText(strings.NewReader(string(read("leak-debug2.txt"))), "leak-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/goroutine", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("debug") != "2" {
			http.NotFound(w, r)
			return
		}
		w.Write(dump)
	})
	mux.HandleFunc("/debug/pprof/goroutineleak", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(leak)
	})
	mux.Handle("/", http.NotFoundHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	dir := filepath.Join(t.TempDir(), "bundle")
	man, err := WriteBundle(context.Background(), Options{Base: srv.URL, Dir: dir})
	if err != nil {
		t.Fatalf("WriteBundle: %v", err)
	}
	i := slices.IndexFunc(man.Files, func(f parser.ManifestFile) bool { return f.Kind == KindGoroutineLeak })
	if i < 0 || man.Files[i].NotOffered || man.Files[i].Error != "" || man.Files[i].Bytes != int64(len(leak)) {
		t.Fatalf("goroutineleak entry: %+v", man.Files)
	}
	c, err := parser.Load([]string{dir}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Moments()) != 1 || len(c.LeakProfiles) != 1 {
		t.Fatalf("%d moments, %d leak profiles; want 1 and 1", len(c.Moments()), len(c.LeakProfiles))
	}
	ids := func(s *parser.Snapshot) []int64 {
		var out []int64
		for _, g := range s.Goroutines {
			if g.Status == parser.StatusLeaked {
				out = append(out, g.ID)
			}
		}
		slices.Sort(out)
		return out
	}
	if got, w := ids(c.Moments()[0]), ids(want[0]); len(w) == 0 || !slices.Equal(got, w) {
		t.Errorf("goroutines marked leaked %v, want the runtime's own marks %v", got, w)
	}
}
