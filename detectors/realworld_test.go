package detectors

import (
	"os"
	"path/filepath"
	"strings"
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
		// The rsync receiver waits forever for a uid/gid list the server
		// never sends: a read with no deadline.
		{"27-gokrazy-rsync-receiver-io-wait-sigquit.txt", CatIONoDeadline, "github.com/gokrazy/rsync/internal/receiver.(*Transfer).recvIdMapping1"},
		// The serve goroutine is 75 minutes in a cgo utmp call.
		{"28-aprilsh-server-blocked-utmp-cgo-sigquit-annotated.txt", CatSyscallBlocked, "github.com/ericwq/goutmp._Cfunc_write_uwtmp_record"},
		{"32-tracee-4044-goleak-chan-send-fragment.txt", CatChanSendBlocked, "github.com/aquasecurity/tracee/tests/testutils.ExecCmdBgWithSudoAndCtx.func1.1"},
		{"34-logsip-18-recursive-mutex-all-asleep.txt", CatLockCycle, "github.com/rdeusser/logsip.(*Logger).SetOutput"},
		{"37-argoproj-pkg-451-exec-chan-send-fragment.txt", CatChanSendBlocked, "github.com/argoproj/pkg/exec.RunCommandExt.func1"},
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

// realworldPath returns a real-world dump's path, skipping when absent.
func realworldPath(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(repoRoot(t), "..", "shared", "realworld", name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s absent", path)
	}
	return path
}

// A student Raft node: one goroutine waits in sync.Mutex.Lock whose holder
// no stack shows. The lock wait leads (a low io-no-deadline on two idle RPC
// readers, a judgement that nothing is wrong, never outranks it), and its
// title says its holder is a guess.
func TestRealworldRaftMutexGuessLeads(t *testing.T) {
	r := analyzeLoaded(t, realworldPath(t, "26-raft-kvstore-mutex-wait-windows-debug2.txt"))
	if len(r.Findings) == 0 {
		t.Fatal("no findings")
	}
	f := r.Findings[0]
	if f.Category != CatMutexConvoy || f.Root.Grade != GradeInferred ||
		!(strings.Contains(f.Title, "not proven") || strings.Contains(f.Title, "holder unknown")) {
		t.Errorf("first finding %s (%s): %q; want the mutex wait, its holder a guess\n%s", f.Category, f.Root.Grade, f.Title, describe(r, 4))
	}
	for i, g := range r.Findings[1:] {
		if g.Severity > r.Findings[i].Severity && r.Findings[i].Severity < SevMedium {
			t.Errorf("%s finding %q ranked below a %s one", g.Severity, g.Title, r.Findings[i].Severity)
		}
	}
}

// The blocked aprilsh server: the network reader (goroutine 54) has waited
// 74 minutes on a channel send; the serve goroutine (38) that started it
// (main.serve.func1, through errgroup.Go) is still in main.serve, 75
// minutes in a cgo call. A send blocked that long is no loop waiting for
// work: the reader is the cgo call's victim, linked as a guess (nothing
// names the channel), under the syscall root.
func TestRealworldAprilshStrandedSend(t *testing.T) {
	r := analyzeLoaded(t, realworldPath(t, "28-aprilsh-server-blocked-utmp-cgo-sigquit-annotated.txt"))
	if len(r.Findings) == 0 {
		t.Fatal("no findings")
	}
	f := r.Findings[0]
	victim := false
	for _, l := range f.Chain[1:] {
		if l.Function == "github.com/ericwq/aprilsh/frontend.ReadFromNetwork" && l.Relation == RelWaitsOn && l.Grade == GradeInferred {
			victim = true
		}
	}
	if f.Category != CatSyscallBlocked || !victim || f.Severity < SevMedium {
		t.Errorf("want the cgo call first with the reader's 74-minute send as its inferred victim\n%s", describe(r, 4))
	}
}
