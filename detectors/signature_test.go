package detectors

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, fn string
		want        bool
	}{
		{"github.com/lib/pq.(*conn).startup", "github.com/lib/pq.(*conn).startup", true},
		{"github.com/lib/pq.(*conn).startup", "github.com/lib/pq.(*conn).startupX", false},
		{"github.com/lib/pq.(*conn).recv*", "github.com/lib/pq.(*conn).recv1Buf", true},
		{"github.com/lib/pq.(*conn).recv*", "github.com/lib/pq.(*conn).send", false},
		{"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*pool).checkOut",
			"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology.(*pool).checkOut", true},
		{"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*pool).checkOut",
			"go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*pool).checkOut", true},
		{"go.mongodb.org/mongo-driver*/x/mongo/driver/topology.(*pool).checkOut",
			"go.mongodb.org/mongo-driver/x/mongo/driver/topology.(*pool).checkOutX", false},
		{"github.com/nats-io/nats.go.(*Conn).*equestWithContext", "github.com/nats-io/nats.go.(*Conn).RequestWithContext", true},
		{"github.com/nats-io/nats.go.(*Conn).*equestWithContext", "github.com/nats-io/nats.go.(*Conn).oldRequestWithContext", true},
		{"github.com/nats-io/nats.go.(*Conn).*equestWithContext", "github.com/nats-io/nats.go.(*Conn).Request", false},
		// "(*" is a pointer receiver, never a wildcard.
		{"sync.(*Mutex).Lock", "sync.(Mutex).Lock", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.fn); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.pattern, tt.fn, got, tt.want)
		}
	}
}

// concrete instantiates a pattern as a function name it matches.
func concrete(pattern string) string {
	parts := splitWildcards(pattern)
	return strings.Join(parts, "Xx")
}

// stackFor builds a parked goroutine whose frames are the row's patterns,
// innermost first, under runtime.gopark, waiting for the row's first reason.
func stackFor(s Signature) *parser.Goroutine {
	g := &parser.Goroutine{ID: 1, Count: 1, Status: parser.StatusWaiting, State: "IO wait", Reason: "IO wait"}
	if len(s.Reasons) > 0 {
		g.State, g.Reason = s.Reasons[0], s.Reasons[0]
	}
	g.Frames = append(g.Frames, parser.Frame{Func: "runtime.gopark", File: "runtime/proc.go", Line: 435})
	for i, p := range s.Frames {
		g.Frames = append(g.Frames, parser.Frame{Func: concrete(p), File: "lib.go", Line: 10 + i})
	}
	g.Frames = append(g.Frames, parser.Frame{Func: "main.worker", File: "main.go", Line: 1})
	return g
}

// TestSignatureRowsReachable checks every built-in row against a stack made
// of its own frames: each row must be the one chosen, so no row is
// shadowed by another, and background rows must make the stack background.
func TestSignatureRowsReachable(t *testing.T) {
	rows := append(builtinSignatures(), backgroundSignatures()...)
	seen := make(map[string]bool)
	for _, s := range rows {
		if seen[s.ID] {
			t.Errorf("duplicate signature ID %s", s.ID)
		}
		seen[s.ID] = true
		if err := s.validate(); err != nil {
			t.Errorf("%s: %v", s.ID, err)
		}
		if len(s.Frames) == 0 {
			continue // reason-only rows: covered by TestGenericReasons
		}
		t.Run(s.ID, func(t *testing.T) {
			g := stackFor(s)
			c := &parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: []*parser.Goroutine{g}}}}
			a := newAnalysis(c, Options{})
			if err := a.classify(); err != nil {
				t.Fatal(err)
			}
			cls := a.nodes[0].cls
			if !cls.matched {
				t.Fatalf("no row matched its own stack %v", funcs(g.Frames))
			}
			if cls.match.sig.ID != s.ID {
				t.Errorf("row %s shadowed by %s on %v", s.ID, cls.match.sig.ID, funcs(g.Frames))
			}
			if cls.background != s.Background {
				t.Errorf("background = %v, want %v", cls.background, s.Background)
			}
			if !s.Background && cls.category != s.Category {
				t.Errorf("category %s, want %s", cls.category, s.Category)
			}
		})
	}
}

func funcs(frames []parser.Frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = f.Func
	}
	return out
}

// TestGenericReasons classifies an application goroutine by its wait reason
// alone; request-scoped so that channel waits are not taken for idle loops.
func TestGenericReasons(t *testing.T) {
	tests := []struct {
		reason string
		status parser.Status
		want   Category
	}{
		{"chan send (nil chan)", parser.StatusWaiting, CatNilChannel},
		{"chan receive (nil chan)", parser.StatusWaiting, CatNilChannel},
		{"select (no cases)", parser.StatusWaiting, CatEmptySelect}, // its own wait: no channel is involved,
		{"chan send", parser.StatusWaiting, CatChanSendBlocked},
		{"chan receive", parser.StatusWaiting, CatChanRecvBlocked},
		{"sync.Mutex.Lock", parser.StatusWaiting, CatMutexConvoy},
		{"sync.RWMutex.RLock", parser.StatusWaiting, CatMutexConvoy},
		{"sync.WaitGroup.Wait", parser.StatusWaiting, CatWaitGroupStuck},
		{"sync.Cond.Wait", parser.StatusWaiting, CatCondWait},
		{"sleep", parser.StatusWaiting, CatSleepPoll},
		{"", parser.StatusSyscall, CatSyscallBlocked},
		{"IO wait", parser.StatusWaiting, CatIONoDeadline},
		{"select", parser.StatusWaiting, CatHTTPServerNoTimeout}, // a handler ignoring r.Context()
		{"GC assist wait", parser.StatusWaiting, CatUnclassified},
	}
	for _, tt := range tests {
		t.Run(tt.reason+"/"+tt.status.String(), func(t *testing.T) {
			g := &parser.Goroutine{ID: 7, Count: 1, Status: tt.status, State: tt.reason, Reason: tt.reason,
				Frames: []parser.Frame{
					{Func: "main.handle", File: "main.go", Line: 20},
					{Func: "net/http.HandlerFunc.ServeHTTP", File: "net/http/server.go", Line: 2286},
					{Func: "net/http.(*conn).serve", File: "net/http/server.go", Line: 2067},
				}}
			c := &parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: []*parser.Goroutine{g}}}}
			a := newAnalysis(c, Options{})
			if err := a.classify(); err != nil {
				t.Fatal(err)
			}
			if got := a.nodes[0].cls.category; got != tt.want {
				t.Errorf("category %q, want %q", got, tt.want)
			}
			if a.nodes[0].cls.scope != scopeHTTP {
				t.Errorf("scope %v, want HTTP", a.nodes[0].cls.scope)
			}
		})
	}
}

// TestClassifyRealFrames classifies goroutines of the real incident dumps:
// the frames are what the runtime printed for the real libraries.
func TestClassifyRealFrames(t *testing.T) {
	tests := []struct {
		incident string
		frame    string // a goroutine whose stack holds this function
		wantSig  string // the row that must explain it
		wantBg   bool
	}{
		{"db-driver-no-ctx", "github.com/lib/pq.(*conn).startup", "lib/pq.startup", false},
		{"db-driver-no-ctx", "database/sql.(*DB).conn", "database/sql.pool", false},
		{"db-driver-no-ctx", "database/sql.(*DB).connectionOpener", "database/sql.opener", true},
		{"http-client-no-timeout", "net/http.(*persistConn).roundTrip", "net/http.client.roundTrip", false},
		{"http-client-no-timeout", "net/http.(*persistConn).readLoop", "net/http.readLoop", true},
		{"http-client-no-timeout", "net/http.(*persistConn).writeLoop", "net/http.writeLoop", true},
		{"grpc-stream-no-deadline", "google.golang.org/grpc.(*clientStream).RecvMsg", "grpc.client.recv", false},
		{"grpc-stream-no-deadline", "google.golang.org/grpc/internal/transport.(*http2Client).reader", "grpc.transport", true},
		{"http-server-no-timeout", "net/http.(*conn).readRequest", "net/http.server.read", false},
		{"http-server-no-timeout", "net/http.(*Server).Serve", "net.accept", true},
		{"mutex-convoy", "main.(*priceCache).get", "sync.Mutex", false},
		{"io-no-deadline", "main.(*routingClient).eta", "net.read", false},
		{"waitgroup-stuck", "sync.(*WaitGroup).Wait", "sync.WaitGroup", false},
		{"chan-send-blocked", "main.(*server).recommend.func1", "runtime.chansend", false},
	}
	root := repoRoot(t)
	for _, tt := range tests {
		t.Run(tt.incident+"/"+tt.wantSig, func(t *testing.T) {
			path := filepath.Join(root, "fixtures", "captures", tt.incident, "goroutine-debug2.txt")
			c, err := parser.Load([]string{path}, parser.Options{})
			if err != nil {
				t.Skipf("fixture absent: %v", err)
			}
			a := newAnalysis(c, Options{})
			if err := a.classify(); err != nil {
				t.Fatal(err)
			}
			var found *node
			for _, n := range a.nodes {
				if hasFrame(n.grp.Frames, tt.frame) {
					found = n
					break
				}
			}
			if found == nil {
				t.Fatalf("no goroutine in %s", tt.frame)
			}
			if !found.cls.matched {
				t.Fatalf("no row matched %v", funcs(found.grp.Frames))
			}
			if found.cls.match.sig.ID != tt.wantSig || found.cls.background != tt.wantBg {
				t.Errorf("matched %s (background %v), want %s (background %v)",
					found.cls.match.sig.ID, found.cls.background, tt.wantSig, tt.wantBg)
			}
		})
	}
}

// TestPgxWatcher checks the context-watcher rule: a blocked pgx read with
// no watcher goroutine means no cancellable context was passed, for the
// versions that start one (before v5.9.0, which watches with
// context.AfterFunc); a newer or unnamed version proves nothing either way.
func TestPgxWatcher(t *testing.T) {
	var pgx Signature
	for _, s := range builtinSignatures() {
		if s.ID == "pgxv5.read" {
			pgx = s
		}
	}
	if pgx.ID == "" {
		t.Fatal("no pgxv5.read row")
	}
	readerAt := func(version string) *parser.Goroutine {
		g := stackFor(pgx)
		for i := range g.Frames {
			if version != "" && strings.HasPrefix(g.Frames[i].Func, "github.com/jackc/pgx/v5/") {
				g.Frames[i].File = "github.com/jackc/pgx/v5@" + version + "/pgconn/pgconn.go"
			}
		}
		return g
	}
	watcherAt := func(pkg string) *parser.Goroutine {
		return &parser.Goroutine{ID: 2, Count: 1, Status: parser.StatusWaiting, State: "select", Reason: "select",
			Frames: []parser.Frame{{Func: "github.com/jackc/pgx/v5/pgconn/" + pkg + ".(*ContextWatcher).Watch.func1", File: "ctxwatch.go", Line: 47}}}
	}
	for _, tt := range []struct {
		name, version string
		watcher       string // "" for none
		wantCat       Category
		wantMissing   bool
	}{
		{"v5.7.1, no watcher", "v5.7.1", "", CatDBDriverNoCtx, true},
		{"v5.7.1, watcher present", "v5.7.1", "ctxwatch", CatIONoDeadline, false},
		{"v5.5.5, internal watcher present", "v5.5.5", "internal/ctxwatch", CatIONoDeadline, false},
		// From v5.9.0 no goroutine watches: its absence says nothing.
		{"v5.12.0, no watcher", "v5.12.0", "", CatDBDriverNoCtx, false},
		{"version not named", "", "", CatDBDriverNoCtx, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reader := readerAt(tt.version)
			gs := []*parser.Goroutine{reader}
			var watcher *parser.Goroutine
			if tt.watcher != "" {
				watcher = watcherAt(tt.watcher)
				gs = append(gs, watcher)
			}
			a := newAnalysis(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: gs}}}, Options{})
			if err := a.classify(); err != nil {
				t.Fatal(err)
			}
			n := a.nodeOf[reader]
			if n.cls.category != tt.wantCat {
				t.Fatalf("category %s, want %s (reasons %q)", n.cls.category, tt.wantCat, n.cls.reasons)
			}
			if n.cls.watcherMissing != tt.wantMissing {
				t.Errorf("watcherMissing = %v, want %v (reasons %q)", n.cls.watcherMissing, tt.wantMissing, n.cls.reasons)
			}
			if watcher != nil && !a.nodeOf[watcher].cls.background {
				t.Errorf("the watcher itself must be background")
			}
		})
	}
}
