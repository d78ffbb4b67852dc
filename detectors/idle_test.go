package detectors

import (
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/internal/testrepo"
	"github.com/ctxhole/ctxhole/parser"
)

// synth builds goroutines for table tests: frames innermost first.
type synth struct {
	id     int64
	status parser.Status
	reason string
	wait   time.Duration // 0: not printed
	frames []string
	parent int64 // "created by ... in goroutine parent"; 0: none printed
	by     string
}

func (s synth) goroutine() *parser.Goroutine {
	g := &parser.Goroutine{ID: s.id, Count: 1, Status: s.status, Reason: s.reason, State: s.reason,
		Wait: s.wait, WaitKnown: s.wait > 0}
	if g.Status == parser.StatusUnknown {
		g.Status = parser.StatusWaiting
	}
	for i, fn := range s.frames {
		g.Frames = append(g.Frames, parser.Frame{Func: fn, File: "x.go", Line: 10 + i})
	}
	if s.by != "" {
		g.CreatedBy = &parser.CreatedBy{Func: s.by, File: "y.go", Line: 1, Parent: s.parent}
	}
	return g
}

// many repeats one synthetic goroutine n times with consecutive IDs.
func many(n int, first int64, s synth) []*parser.Goroutine {
	out := make([]*parser.Goroutine, n)
	for i := range out {
		s.id = first + int64(i)
		out[i] = s.goroutine()
	}
	return out
}

func snapshotOf(at time.Time, gs ...[]*parser.Goroutine) *parser.Snapshot {
	s := &parser.Snapshot{Source: parser.Source{File: "synthetic", Format: parser.FormatGoroutineText, Time: at}}
	for _, list := range gs {
		s.Goroutines = append(s.Goroutines, list...)
	}
	return s
}

func analyzeSnaps(t *testing.T, snaps ...*parser.Snapshot) *Diagnosis {
	t.Helper()
	r, err := Analyze(&parser.Capture{Snapshots: snaps}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var (
	serverKeepAlive = []string{
		"internal/poll.runtime_pollWait", "internal/poll.(*FD).Read", "net.(*conn).Read",
		"net/http.(*connReader).Read", "bufio.(*Reader).fill", "bufio.(*Reader).Peek", "net/http.(*conn).serve",
	}
	serverRequestLine = []string{
		"internal/poll.runtime_pollWait", "internal/poll.(*FD).Read", "net.(*conn).Read",
		"net/http.(*connReader).Read", "bufio.(*Reader).fill", "bufio.(*Reader).ReadSlice", "bufio.(*Reader).ReadLine",
		"net/textproto.(*Reader).readLineSlice", "net/textproto.(*Reader).ReadLine", "net/http.readRequest",
		"net/http.(*conn).readRequest", "net/http.(*conn).serve",
	}
	serverMidHeaders = []string{
		"internal/poll.runtime_pollWait", "internal/poll.(*FD).Read", "net.(*conn).Read",
		"net/http.(*connReader).Read", "bufio.(*Reader).fill", "bufio.(*Reader).ReadByte",
		"net/textproto.(*Reader).skipSpace", "net/textproto.(*Reader).readContinuedLineSlice",
		"net/textproto.(*Reader).ReadMIMEHeader", "net/http.readRequest", "net/http.(*conn).readRequest", "net/http.(*conn).serve",
	}
	acceptLoop = []string{
		"internal/poll.runtime_pollWait", "internal/poll.(*FD).Accept", "net.(*netFD).accept",
		"net.(*TCPListener).Accept", "net/http.(*Server).Serve", "main.main",
	}
)

func maxSeverity(r *Diagnosis) (Severity, *Finding) {
	var worst *Finding
	for _, f := range r.Findings {
		if worst == nil || f.Severity > worst.Severity {
			worst = f
		}
	}
	if worst == nil {
		return SevInfo, nil
	}
	return worst.Severity, worst
}

// TestIdleServerConnections: connections waiting for their next request
// are idle by design; waits far beyond any client's idle timeout make them
// a low hygiene finding; a client stopped mid-headers stays a finding.
func TestIdleServerConnections(t *testing.T) {
	tests := []struct {
		name    string
		frames  []string
		wait    time.Duration
		wantCat Category // "" for no finding
		wantMax Severity
	}{
		{"keep-alive, no wait printed", serverKeepAlive, 0, "", SevInfo},
		{"keep-alive, 3 minutes", serverKeepAlive, 3 * time.Minute, "", SevInfo},
		{"request line, no wait printed (29 idle connections)", serverRequestLine, 0, "", SevInfo},
		{"request line, 19 hours", serverRequestLine, 19 * time.Hour, CatHTTPServerNoTimeout, SevLow},
		{"keep-alive, 2 hours", serverKeepAlive, 2 * time.Hour, CatHTTPServerNoTimeout, SevLow},
		{"mid-headers, 3 minutes (slowloris)", serverMidHeaders, 3 * time.Minute, CatHTTPServerNoTimeout, SevHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns := many(29, 100, synth{reason: rIOWait, wait: tt.wait, frames: tt.frames, parent: 1, by: "net/http.(*Server).Serve"})
			accept := []*parser.Goroutine{synth{id: 1, reason: rIOWait, frames: acceptLoop}.goroutine()}
			r := analyzeSnaps(t, snapshotOf(time.Time{}, accept, conns))
			if tt.wantCat == "" {
				if len(r.Findings) != 0 {
					t.Fatalf("idle connections reported:\n%s", describe(r, 3))
				}
				return
			}
			if len(r.Findings) == 0 || r.Findings[0].Category != tt.wantCat {
				t.Fatalf("want %s first\n%s", tt.wantCat, describe(r, 3))
			}
			if sev, _ := maxSeverity(r); sev != tt.wantMax {
				t.Errorf("severity %s, want %s\n%s", sev, tt.wantMax, describe(r, 3))
			}
		})
	}
}

// TestIdleMainWaitsForItsServers: main in WaitGroup.Wait for the loops it
// started (a UDP server loop, a supervisor of child processes) is how a
// service is built.
func TestIdleMainWaitsForItsServers(t *testing.T) {
	main := synth{id: 1, reason: rWaitGroup, wait: 90 * time.Minute,
		frames: []string{"sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "main.(*srv).wait", "main.main"}}
	udp := synth{id: 20, reason: rIOWait, frames: []string{"internal/poll.runtime_pollWait", "internal/poll.(*FD).ReadFromInet6",
		"net.(*netFD).readFromInet6", "net.(*UDPConn).readFrom", "net.(*UDPConn).ReadFromUDP", "main.(*srv).run", "main.(*srv).start.func1"},
		parent: 1, by: "main.(*srv).start"}
	child := synth{id: 21, status: parser.StatusSyscall, wait: 90 * time.Minute, frames: []string{"syscall.Syscall6",
		"os.(*Process).blockUntilWaitable", "os.(*Process).wait", "os.(*Process).Wait", "main.runWorker", "main.(*srv).run.func2"},
		parent: 1, by: "main.(*srv).start"}
	r := analyzeSnaps(t, snapshotOf(time.Time{}, []*parser.Goroutine{main.goroutine(), udp.goroutine(), child.goroutine()}))
	if sev, f := maxSeverity(r); f != nil && sev > SevLow {
		t.Errorf("healthy server got %s: %s\n%s", sev, f.Title, describe(r, 4))
	}
	// The same child wait under a request is a hole.
	handler := child
	handler.frames = append(append([]string(nil), child.frames[:5]...), "main.handle", "net/http.HandlerFunc.ServeHTTP", "net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve")
	handler.by, handler.parent = "", 0
	r = analyzeSnaps(t, snapshotOf(time.Time{}, many(3, 50, handler)))
	if len(r.Findings) == 0 || r.Findings[0].Category != CatSyscallBlocked {
		t.Errorf("a request waiting 90 minutes for a child is not reported\n%s", describe(r, 3))
	}
}

// TestHealthyRealWorld: real dumps of services working normally get
// nothing above low.
func TestHealthyRealWorld(t *testing.T) {
	for _, name := range []string{"29-aprilsh-server-normal-sigquit-annotated-healthy.txt"} {
		t.Run(name, func(t *testing.T) {
			r := analyzeLoaded(t, testrepo.RealWorld(t, name))
			if sev, f := maxSeverity(r); f != nil && sev > SevLow {
				t.Errorf("healthy service got %s: %s\n%s", sev, f.Title, describe(r, 5))
			}
		})
	}
}

// TestIdleRedisConsumers: a worker parked in a go-redis blocking command
// (BLPOP 0, XREAD BLOCK 0) waits for the next item by design and is not a
// finding however long it waits; the same read under a request, or in a
// plain GET, is the hole it always was.
func TestIdleRedisConsumers(t *testing.T) {
	const v9 = "github.com/redis/go-redis/v9"
	read := func(cmd string, callers ...string) []string {
		return append([]string{"internal/poll.runtime_pollWait", "internal/poll.(*pollDesc).waitRead",
			"internal/poll.(*FD).Read", "net.(*netFD).Read", "net.(*conn).Read", "bufio.(*Reader).fill",
			"bufio.(*Reader).ReadSlice", v9 + "/internal/proto.(*Reader).readLine", v9 + "/internal/proto.(*Reader).ReadReply",
			v9 + ".(*baseClient)._process.func1", v9 + "/internal/pool.(*Conn).WithReader", v9 + ".(*baseClient)._process",
			v9 + ".(*baseClient).process", v9 + ".(*Client).Process", v9 + ".cmdable." + cmd}, callers...)
	}
	tests := []struct {
		name    string
		frames  []string
		by      string
		wantCat Category // "" for no finding
	}{
		{"BLPOP worker", read("BLPop", "main.(*worker).run"), "main.startWorkers", ""},
		{"XREADGROUP consumer", read("XReadGroup", "main.consume"), "main.main", ""},
		{"BZPOPMIN scheduler", read("BZPopMin", "main.(*scheduler).loop"), "main.main", ""},
		{"BLPOP under an HTTP request", read("BLPop", "main.handler", "net/http.HandlerFunc.ServeHTTP", "net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve"),
			"net/http.(*Server).Serve", CatIONoDeadline},
		{"GET in a worker", read("Get", "main.(*worker).run"), "main.startWorkers", CatIONoDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := many(12, 100, synth{reason: rIOWait, wait: 3 * time.Hour, frames: tt.frames, parent: 1, by: tt.by})
			r := analyzeSnaps(t, snapshotOf(time.Time{}, gs))
			if tt.wantCat == "" {
				if len(r.Findings) != 0 {
					t.Fatalf("consumers reported:\n%s", describe(r, 3))
				}
				return
			}
			if len(r.Findings) == 0 || r.Findings[0].Category != tt.wantCat {
				t.Fatalf("want %s first\n%s", tt.wantCat, describe(r, 3))
			}
		})
	}
}
