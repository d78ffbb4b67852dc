package detectors

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRealworldDumps runs the analysis on dumps nobody here produced: the
// first finding must name the incident each one documents.
func TestRealworldDumps(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "..", "shared", "realworld")
	tests := []struct {
		file string
		want Category
		// rootFunc must be on the root goroutine's stack.
		rootFunc string
	}{
		{"19-neuvector-nvshas9810-cachemutex-convoy-pprof-traces.txt", CatMutexConvoy, "sync.(*RWMutex).RLock"},
		{"20-colly-crawler-chan-send-pileup-debug1.txt", CatChanSendBlocked, "github.com/gocolly/colly/v2.(*httpBackend).Do"},
		{"21-colly-crawler-chan-send-pileup-debug2-excerpt.txt", CatChanSendBlocked, "github.com/gocolly/colly/v2.(*httpBackend).Do"},
		// goleak lists only goroutines that outlived the test: a readLoop
		// waiting in select for a body nobody reads is a leaked body.
		{"33-otel-contrib-43417-goleak-persistconn-fragment.txt", CatResourceLeak, "net/http.(*persistConn).readLoop"},
		{"31-tidb-46844-goleak-opencensus-worker.txt", CatGoroutineLeak, "go.opencensus.io/stats/view.(*worker).start"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("%s absent", path)
			}
			r := analyzeLoaded(t, path)
			if len(r.Findings) == 0 {
				t.Fatalf("no findings, want %s first", tt.want)
			}
			f := r.Findings[0]
			if f.Category != tt.want {
				t.Errorf("first finding %s, want %s\n%s", f.Category, tt.want, describe(r, 5))
			}
			if !rootHasFunction(f, tt.rootFunc) {
				t.Errorf("root stack lacks %s\n%s", tt.rootFunc, describe(r, 5))
			}
		})
	}
}

// TestRealworldConcourse is a large healthy-looking process of the Go 1.4
// era: parsing and analysis must hold together, and no finding may be
// critical without a chain of waiters.
func TestRealworldConcourse(t *testing.T) {
	path := filepath.Join(repoRoot(t), "..", "shared", "realworld", "18-concourse-atc-swirly-example-huge-debug2.txt")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s absent", path)
	}
	r := analyzeLoaded(t, path)
	for _, f := range r.Findings {
		if f.Severity == SevCritical && len(f.Chain) < 2 {
			t.Errorf("critical finding without a chain: %s", f.Title)
		}
	}
	// Go 1.4 prints no parent goroutine IDs: the scheduler's WaitGroup is
	// tied to its workers, stuck in lib/pq since the same minute, by time.
	f := findingWith(r, CatDBDriverNoCtx, "github.com/concourse/atc/scheduler.(*Runner).schedule")
	if f == nil || f.Chain[0].Category != CatDBDriverNoCtx {
		t.Errorf("the scheduler's WaitGroup.Wait is not linked to its lib/pq workers\n%s", describe(r, 8))
	}
	t.Logf("\n%s", describe(r, 8))
}
