package detectors

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

func TestUpstreamFunc(t *testing.T) {
	tests := []struct{ in, want string }{
		// Vendored copies, as docker, containerd and Kubernetes dumps print them.
		{"github.com/docker/docker/vendor/google.golang.org/grpc.(*ClientConn).Invoke", "google.golang.org/grpc.(*ClientConn).Invoke"},
		{"k8s.io/kubernetes/vendor/github.com/go-redis/redis/v8/internal/pool.(*Conn).WithReader",
			"github.com/go-redis/redis/v8/internal/pool.(*Conn).WithReader"},
		// Nested vendor directories: the innermost copy is the library.
		{"a.io/x/vendor/b.io/y/vendor/github.com/IBM/sarama.(*syncProducer).SendMessage", "github.com/IBM/sarama.(*syncProducer).SendMessage"},
		// gopkg.in: pkg.vN is github.com/go-pkg/pkg, user/pkg.vN is github.com/user/pkg.
		{"gopkg.in/redis.v5.(*baseClient).conn", "github.com/go-redis/redis.(*baseClient).conn"},
		{"gopkg.in/redis.v5/internal/pool.(*ConnPool).Get", "github.com/go-redis/redis/internal/pool.(*ConnPool).Get"},
		{"gopkg.in/Shopify/sarama.v1.(*syncProducer).SendMessage", "github.com/Shopify/sarama.(*syncProducer).SendMessage"},
		{"github.com/x/y/vendor/gopkg.in/Shopify/sarama.v1.(*Broker).responseReceiver", "github.com/Shopify/sarama.(*Broker).responseReceiver"},
		// The standard library's own vendored packages are x/net's.
		{"vendor/golang.org/x/net/http2/hpack.(*Decoder).Write", "golang.org/x/net/http2/hpack.(*Decoder).Write"},
		// Left alone: not vendored, not a gopkg.in version path.
		{"github.com/lib/pq.(*conn).startup", "github.com/lib/pq.(*conn).startup"},
		{"gopkg.in/notversioned/pkg.F", "gopkg.in/notversioned/pkg.F"},
	}
	for _, tt := range tests {
		if got := UpstreamFunc(tt.in); got != tt.want {
			t.Errorf("UpstreamFunc(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Frames of vendored, gopkg.in, old-path and generic-instantiated forms
// classify as their upstream row, and are never the application frame.
func TestClientRowsMatchOtherForms(t *testing.T) {
	tests := []struct {
		name, reason string
		frames       []string
		wantID       string
	}{
		{"vendored go-redis v9", rIOWait, []string{
			"internal/poll.runtime_pollWait", "net.(*conn).Read",
			"github.com/acme/svc/vendor/github.com/redis/go-redis/v9/internal/pool.(*Conn).WithReader",
			"github.com/acme/svc/vendor/github.com/redis/go-redis/v9.(*baseClient)._process",
			"main.handler"}, "github.com/redis/go-redis/v9.read"},
		{"go-redis v6 (old path, no context)", rIOWait, []string{
			"net.(*conn).Read", "github.com/go-redis/redis/internal/pool.(*Conn).WithReader", "main.handler"},
			"github.com/go-redis/redis.read"},
		{"gopkg.in/redis.v5 maps to the v6 path", rIOWait, []string{
			"net.(*conn).Read", "gopkg.in/redis.v5/internal/pool.(*Conn).WithReader", "main.handler"},
			"github.com/go-redis/redis.read"},
		{"go-redis v8 pool turn", rSelect, []string{
			"github.com/go-redis/redis/v8/internal/pool.(*ConnPool).waitTurn", "github.com/go-redis/redis/v8/internal/pool.(*ConnPool).Get", "main.handler"},
			"github.com/go-redis/redis/v8.pool"},
		{"gopkg.in sarama sync producer", rChanRecv, []string{
			"gopkg.in/Shopify/sarama.v1.(*syncProducer).SendMessage", "main.publish"},
			"github.com/Shopify/sarama.syncproducer"},
		{"garyburd redigo", rIOWait, []string{
			"net.(*conn).Read", "bufio.(*Reader).fill", "github.com/garyburd/redigo/redis.(*conn).readReply", "main.get"},
			"garyburd/redigo.read"},
		{"generic pgxpool acquire", rSelect, []string{
			"golang.org/x/sync/semaphore.(*Weighted).Acquire",
			"github.com/jackc/puddle/v2.(*Pool[...]).acquire", "github.com/jackc/puddle/v2.(*Pool[...]).Acquire",
			"github.com/jackc/pgx/v5/pgxpool.(*Pool).Acquire", "main.query"}, "pgxpool.acquire"},
		{"a semaphore outside a pool", rSelect, []string{
			"golang.org/x/sync/semaphore.(*Weighted).Acquire", "main.(*server).thumbnail"}, "x/sync/semaphore.acquire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &parser.Goroutine{ID: 7, Count: 1, Status: parser.StatusWaiting, State: tt.reason, Reason: tt.reason}
			g.Frames = append(g.Frames, parser.Frame{Func: "runtime.gopark"})
			for _, fn := range tt.frames {
				g.Frames = append(g.Frames, parser.Frame{Func: fn, File: "x.go", Line: 10})
			}
			a := newAnalysis(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: []*parser.Goroutine{g}}}}, Options{})
			if err := a.classify(); err != nil {
				t.Fatal(err)
			}
			cls := a.nodes[0].cls
			if !cls.matched || cls.background || cls.match.sig.ID != tt.wantID {
				t.Fatalf("matched %v (background %v), want %s", cls.match.sig, cls.background, tt.wantID)
			}
			app := AppFrame(g.Frames)
			if app < 0 || g.Frames[app].Func != tt.frames[len(tt.frames)-1] {
				t.Errorf("application frame %d, want the caller %s: a library frame is never the application's", app, tt.frames[len(tt.frames)-1])
			}
		})
	}
}

func TestMatchFrameGeneric(t *testing.T) {
	tests := []struct {
		pattern, fn string
		want        bool
	}{
		{"github.com/jackc/puddle/v2.(*Pool).Acquire", "github.com/jackc/puddle/v2.(*Pool[...]).Acquire", true},
		{"github.com/jackc/puddle/v2.(*Pool[...]).Acquire", "github.com/jackc/puddle/v2.(*Pool[...]).Acquire", true},
		{"example.com/lru.Get", "example.com/lru.Get[go.shape.string,go.shape.int]", true},
		{"example.com/lru.Get", "example.com/lru.GetAll[...]", false},
	}
	for _, tt := range tests {
		if got := matchFrame(tt.pattern, tt.fn); got != tt.want {
			t.Errorf("matchFrame(%q, %q) = %v, want %v", tt.pattern, tt.fn, got, tt.want)
		}
	}
}

// A semaphore's holders are in the acquiring function past the Acquire
// line; a goroutine in that function before the call is not one.
func TestSemaphoreHoldersPastAcquire(t *testing.T) {
	mk := func(id int64, reason string, frames ...parser.Frame) *parser.Goroutine {
		return &parser.Goroutine{ID: id, Count: 1, Status: parser.StatusWaiting, State: reason, Reason: reason,
			Wait: 3 * 60e9, WaitKnown: true, Frames: frames}
	}
	acquire := parser.Frame{Func: "golang.org/x/sync/semaphore.(*Weighted).Acquire", File: "semaphore.go", Line: 80}
	site := func(line int) parser.Frame {
		return parser.Frame{Func: "main.(*server).thumbnail", File: "main.go", Line: line}
	}
	handler := parser.Frame{Func: "net/http.(*conn).serve", File: "server.go", Line: 2100}
	gs := []*parser.Goroutine{
		mk(10, rSelect, parser.Frame{Func: "runtime.gopark"}, acquire, site(97), handler),
		mk(11, rSelect, parser.Frame{Func: "runtime.gopark"}, acquire, site(97), handler),
		// Before the Acquire (line 90): preparing, not holding.
		mk(20, rIOWait, parser.Frame{Func: "net.(*conn).Read"}, parser.Frame{Func: "main.(*server).lookupSize", File: "main.go", Line: 50}, site(90), handler),
		// Past it (line 101): the holder, stuck in an HTTP call.
		mk(30, rSelect, parser.Frame{Func: "runtime.gopark"}, parser.Frame{Func: "net/http.(*persistConn).roundTrip", File: "transport.go", Line: 2911},
			parser.Frame{Func: "main.(*server).fetchOriginal", File: "main.go", Line: 120}, site(101), handler),
	}
	r, err := Analyze(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: gs}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 {
		t.Fatal("no finding")
	}
	f := r.Findings[0]
	if f.Root.GoroutineID != 30 || f.Category != CatMutexConvoy {
		t.Fatalf("principal %s rooted at goroutine %d, want a convoy rooted at the holder 30\n%s", f.Category, f.Root.GoroutineID, describe(r, 4))
	}
	for _, l := range f.Chain {
		for _, id := range l.IDs {
			if id == 20 {
				t.Errorf("goroutine 20, in thumbnail before the Acquire, is in the convoy's chain\n%s", describe(r, 4))
			}
		}
	}
	if got := chainWaiters(f, acquire.Func); got != 2 {
		t.Errorf("%d waiters in Acquire under the holder, want 2\n%s", got, describe(r, 4))
	}
	// A semaphore is not a sync lock: the title and the fix say which it is.
	if !strings.Contains(f.Title, "2 goroutines queued on a weighted semaphore behind 1 goroutine") || strings.Contains(f.Title, " lock") {
		t.Errorf("title %q, want the waiters named as queued on a weighted semaphore", f.Title)
	}
	if !slices.ContainsFunc(f.Reasons, func(r string) bool { return strings.Contains(r, "past the semaphore.(*Weighted).Acquire call") }) {
		t.Errorf("no reason names the holder past the Acquire call: %q", f.Reasons)
	}
	if f.Fix.Summary != fixSemaphore.Summary {
		t.Errorf("fix %q, want the semaphore's %q", f.Fix.Summary, fixSemaphore.Summary)
	}
}

// Two groups of producer callers (two call sites) behind one broker
// connection: the holder's evidence is said once, and the title says what
// the callers wait for.
func TestHeldByEvidenceOnce(t *testing.T) {
	mk := func(id int64, reason string, frames ...string) *parser.Goroutine {
		g := &parser.Goroutine{ID: id, Count: 1, Status: parser.StatusWaiting, State: reason, Reason: reason, Wait: 4 * 60e9, WaitKnown: true}
		g.Frames = append(g.Frames, parser.Frame{Func: "runtime.gopark"})
		for i, fn := range frames {
			g.Frames = append(g.Frames, parser.Frame{Func: fn, File: "x.go", Line: 10 + i})
		}
		return g
	}
	const send = "github.com/IBM/sarama.(*syncProducer).SendMessage"
	var gs []*parser.Goroutine
	gs = append(gs, mk(50, rIOWait, "internal/poll.runtime_pollWait", "net.(*conn).Read", "io.ReadFull",
		"github.com/IBM/sarama.(*Broker).readFull", "github.com/IBM/sarama.(*Broker).responseReceiver", "github.com/IBM/sarama.withRecover"))
	for i := range 6 {
		gs = append(gs, mk(int64(100+i), rChanRecv, send, "main.(*server).publish", "main.(*server).handleOrder"))
		gs = append(gs, mk(int64(200+i), rChanRecv, send, "main.(*server).publish", "main.auditLoop"))
	}
	r, err := Analyze(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: gs}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || r.Findings[0].Root.GoroutineID != 50 {
		t.Fatalf("want the broker connection as root\n%s", describe(r, 4))
	}
	f := r.Findings[0]
	if got := chainWaiters(f, send); got != 12 {
		t.Errorf("%d callers chained under the broker connection, want 12\n%s", got, describe(r, 4))
	}
	seen := make(map[string]bool)
	for _, ev := range f.Evidence {
		k := fmt.Sprintf("%s|%d|%s", ev.Kind, ev.GoroutineID, ev.Text)
		if seen[k] {
			t.Errorf("evidence said twice: %s", ev.Text)
		}
		seen[k] = true
	}
	for i, r := range f.Reasons {
		if slices.Contains(f.Reasons[:i], r) {
			t.Errorf("reason said twice: %s", r)
		}
	}
	if want := "12 goroutines waiting in SyncProducer.SendMessage for the broker's acknowledgement behind 1 goroutine"; !strings.Contains(f.Title, want) {
		t.Errorf("title %q, want %q", f.Title, want)
	}
}

// Every library a built-in row describes is known as a library, so its
// frames are never taken for the application's.
func TestSignatureLibrariesAreLibraries(t *testing.T) {
	for _, s := range append(builtinSignatures(), backgroundSignatures()...) {
		if s.Library == "" || (parser.Frame{Func: s.Library + ".F"}).Class() != parser.ClassOther {
			continue
		}
		if !isKnownLibrary(s.Library+"/", nil) && !isKnownLibrary(s.Library+".", nil) {
			t.Errorf("row %s: library %s is not in knownLibraryPrefixes", s.ID, s.Library)
		}
	}
}

// A user file expresses a pool in front of connections (held_by), an idle
// loop (innermost) and a lock-like primitive (lock), and the analysis
// chains by them as it does for the built-in rows.
func TestUserSignaturesHeldByLockInnermost(t *testing.T) {
	data := []byte(`{"signatures": [
	  {"id": "acme-kv.read", "library": "github.com/acme/kv", "frames": ["github.com/acme/kv.(*conn).readReply"],
	   "reasons": ["IO wait"], "category": "io-no-deadline", "dominant": true, "why": "reads with no deadline"},
	  {"id": "acme-kv.pool", "library": "github.com/acme/kv", "frames": ["github.com/acme/kv.(*Pool).get"],
	   "reasons": ["select"], "held_by": ["github.com/acme/kv.(*conn).*"], "waiting": "queued for an acme-kv connection",
	   "category": "io-no-deadline", "why": "queued for a connection"},
	  {"id": "acme-kv.flusher", "library": "github.com/acme/kv", "background": true, "innermost": true,
	   "frames": ["github.com/acme/kv.(*Pool).flushLoop"]},
	  {"id": "acme-gate", "library": "github.com/acme/gate", "frames": ["github.com/acme/gate.(*Gate).Enter"],
	   "reasons": ["chan receive"], "lock": true, "category": "mutex-convoy", "why": "a gate with no owner"}
	]}`)
	sigs, err := parseSignatures("acme.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs[1].HeldBy) != 1 || sigs[1].Waiting == "" || !sigs[2].Innermost || !sigs[3].Lock {
		t.Fatalf("fields not read: %+v", sigs)
	}
	mk := func(id int64, reason string, frames ...string) *parser.Goroutine {
		g := &parser.Goroutine{ID: id, Count: 1, Status: parser.StatusWaiting, State: reason, Reason: reason, Wait: 5 * 60e9, WaitKnown: true}
		g.Frames = append(g.Frames, parser.Frame{Func: "runtime.gopark"})
		for i, fn := range frames {
			g.Frames = append(g.Frames, parser.Frame{Func: fn, File: "x.go", Line: 10 + i})
		}
		return g
	}
	gs := []*parser.Goroutine{
		mk(1, rIOWait, "net.(*conn).Read", "github.com/acme/kv.(*conn).readReply", "main.get"),
		mk(2, rSelect, "github.com/acme/kv.(*Pool).get", "main.get"),
		mk(3, rSelect, "github.com/acme/kv.(*Pool).get", "main.put"),
		// The flush loop stuck in a read is not idle: innermost fails, the
		// read row names it (and it holds a connection too).
		mk(4, rIOWait, "net.(*conn).Read", "github.com/acme/kv.(*conn).readReply", "github.com/acme/kv.(*Pool).flushLoop"),
		// The flush loop waiting in its own select is idle.
		mk(5, rSelect, "github.com/acme/kv.(*Pool).flushLoop"),
	}
	r, err := Analyze(&parser.Capture{Snapshots: []*parser.Snapshot{{Goroutines: gs}}}, Options{Signatures: sigs})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || !rootHasFunction(r.Findings[0], "github.com/acme/kv.(*conn).readReply") {
		t.Fatalf("want the readers as root\n%s", describe(r, 4))
	}
	if got := chainWaiters(r.Findings[0], "github.com/acme/kv.(*Pool).get"); got != 2 {
		t.Errorf("%d pool waiters chained under the readers, want 2\n%s", got, describe(r, 4))
	}
	if want := "2 goroutines queued for an acme-kv connection behind"; !strings.Contains(r.Findings[0].Title, want) {
		t.Errorf("title %q, want the row's waiting phrase %q", r.Findings[0].Title, want)
	}
	for _, f := range r.Findings {
		for _, l := range f.Chain {
			for _, id := range l.IDs {
				if id == 5 {
					t.Errorf("the idle flush loop is in a finding: %s", f.Title)
				}
			}
		}
	}
}
