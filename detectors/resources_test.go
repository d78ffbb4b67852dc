package detectors

import (
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

var (
	readLoopBody = synth{reason: rSelect, wait: 5 * time.Minute, frames: []string{"runtime.selectgo", "net/http.(*persistConn).readLoop"},
		parent: 900, by: "net/http.(*Transport).dialConn"}
	readLoopIdle = synth{reason: rIOWait, frames: []string{"internal/poll.runtime_pollWait", "net.(*conn).Read", "net/http.(*persistConn).Read",
		"bufio.(*Reader).fill", "bufio.(*Reader).Peek", "net/http.(*persistConn).readLoop"}, parent: 900, by: "net/http.(*Transport).dialConn"}
	bodyReader = synth{reason: rIOWait, frames: []string{"internal/poll.runtime_pollWait", "net.(*conn).Read", "net/http.(*persistConn).Read",
		"bufio.(*Reader).Read", "net/http.(*body).Read", "net/http.(*bodyEOFSignal).Read", "io.ReadAll", "main.fetch"}, parent: 1, by: "main.main"}
	opener = synth{reason: rSelect, wait: 3 * time.Minute, frames: []string{"runtime.selectgo", "database/sql.(*DB).connectionOpener"},
		parent: 900, by: "database/sql.OpenDB"}
	txAwait = synth{reason: rChanRecv, wait: 3 * time.Minute, frames: []string{"runtime.chanrecv1", "database/sql.(*Tx).awaitDone"},
		by: "database/sql.(*DB).beginDC"}
	txOwner = synth{reason: rIOWait, wait: 3 * time.Minute, frames: []string{"internal/poll.runtime_pollWait", "net.(*conn).Read", "main.callPartner", "main.handle"}}
)

// TestResourceLeaks sets resource goroutines against their users.
func TestResourceLeaks(t *testing.T) {
	withParent := func(s synth, parent int64) synth { s.parent = parent; return s }
	withWait := func(s synth, w time.Duration) synth { s.wait = w; return s }
	tests := []struct {
		name string
		gs   [][]*parser.Goroutine
		want string // resource kind of a resource-leak finding; "" for none
	}{
		{"40 bodies nobody reads", [][]*parser.Goroutine{many(40, 100, readLoopBody)}, "http-response-body"},
		{"40 bodies, 40 being read", [][]*parser.Goroutine{many(40, 100, readLoopBody), many(40, 200, bodyReader)}, ""},
		{"6 idle pooled connections", [][]*parser.Goroutine{many(6, 100, readLoopIdle)}, ""},
		{"3 sql.DB", [][]*parser.Goroutine{many(3, 100, opener)}, ""},
		{"150 idle connections for 5 minutes", [][]*parser.Goroutine{many(150, 100, withWait(readLoopIdle, 5*time.Minute))}, "http-idle-connections"},
		{"150 idle connections, no wait printed", [][]*parser.Goroutine{many(150, 100, readLoopIdle)}, ""},
		{"40 abandoned streams of an old grpc-go", [][]*parser.Goroutine{many(40, 100, synth{reason: rSelect, wait: 4 * time.Minute,
			frames: []string{"runtime.selectgo", "google.golang.org/grpc.newClientStream.func5"}, parent: 9, by: "google.golang.org/grpc.newClientStream"})}, "grpc-client-stream"},
		{"40 streams, 40 receiving", [][]*parser.Goroutine{many(40, 100, synth{reason: rSelect, wait: 4 * time.Minute,
			frames: []string{"runtime.selectgo", "google.golang.org/grpc.newClientStreamWithParams.func4"}, parent: 9, by: "google.golang.org/grpc.newClientStreamWithParams"}),
			many(40, 300, synth{reason: rSelect, wait: 4 * time.Minute, frames: []string{"runtime.selectgo",
				"google.golang.org/grpc/internal/transport.(*recvBufferReader).read", "google.golang.org/grpc.(*clientStream).RecvMsg", "main.consume"}})}, ""},
		{"300 sql.DB", [][]*parser.Goroutine{many(300, 100, opener)}, "sql.DB"},
		{"a transaction whose goroutine returned", [][]*parser.Goroutine{many(1, 100, withParent(txAwait, 77))}, "sql-tx"},
		{"a transaction held by a live goroutine", [][]*parser.Goroutine{many(1, 100, withParent(txAwait, 50)),
			{synth{id: 50, reason: txOwner.reason, wait: txOwner.wait, frames: txOwner.frames}.goroutine()}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyzeSnaps(t, snapshotOf(time.Time{}, append([][]*parser.Goroutine{{mainLoop.goroutine()}}, tt.gs...)...))
			var got *Finding
			for _, f := range r.Findings {
				if f.Category == CatResourceLeak {
					got = f
				}
			}
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("resource leak reported: %s", got.Title)
			case tt.want != "" && (got == nil || got.Resource != tt.want):
				t.Errorf("want a %s resource leak\n%s", tt.want, describe(r, 4))
			case got != nil && (got.Fix.Summary == "" || got.Explanation == ""):
				t.Errorf("finding lacks fix or explanation")
			}
		})
	}
}
