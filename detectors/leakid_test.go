package detectors

import (
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

var (
	strandedSend = synth{reason: rChanSend, frames: []string{"runtime.chansend1", "main.gather.func1"}, parent: 7, by: "main.gather"}
	idleWorker   = synth{reason: rChanRecv, frames: []string{"runtime.chanrecv2", "main.(*pool).worker"}, parent: 1, by: "main.newPool"}
	pollHandler  = synth{reason: rSleep, frames: []string{"time.Sleep", "main.handle", "net/http.HandlerFunc.ServeHTTP",
		"net/http.serverHandler.ServeHTTP", "net/http.(*conn).serve"}, parent: 1, by: "net/http.(*Server).Serve"}
	mainLoop = synth{id: 1, reason: rSelect, frames: []string{"runtime.selectgo", "main.main"}}
)

// snapWith builds one moment: main plus groups of synthetic goroutines
// whose IDs are given as ranges [first, first+n).
func snapWith(at time.Time, groups ...struct {
	s        synth
	first, n int64
	wait     time.Duration
}) *parser.Snapshot {
	gs := []*parser.Goroutine{mainLoop.goroutine()}
	for _, g := range groups {
		s := g.s
		s.wait = g.wait
		gs = append(gs, many(int(g.n), g.first, s)...)
	}
	return snapshotOf(at, gs)
}

type idRange = struct {
	s        synth
	first, n int64
	wait     time.Duration
}

// TestLeaksByIdentity: growth is a leak only when the same goroutines stay
// while new ones come; it is then an attribute of the finding that
// explains them, and a goroutine-leak finding only when none does.
func TestLeaksByIdentity(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name      string
		snaps     []*parser.Snapshot
		wantCat   Category // first finding; "" for none above low
		growth    bool     // the first finding carries growth
		noLeakCat bool     // no goroutine-leak finding at all
	}{
		{
			name: "stranded senders kept, more arriving: growth on chan-send-blocked",
			snaps: []*parser.Snapshot{
				snapWith(at(0), idRange{strandedSend, 100, 40, time.Minute}),
				snapWith(at(30), idRange{strandedSend, 100, 40, time.Minute}, idRange{strandedSend, 200, 30, 0}),
				snapWith(at(60), idRange{strandedSend, 100, 40, 2 * time.Minute}, idRange{strandedSend, 200, 60, 0}),
			},
			wantCat: CatChanSendBlocked, growth: true, noLeakCat: true,
		},
		{
			name: "handlers replaced at every snapshot (churn): no leak",
			snaps: []*parser.Snapshot{
				snapWith(at(0), idRange{pollHandler, 1000, 5, 0}),
				snapWith(at(30), idRange{pollHandler, 2000, 12, 0}),
				snapWith(at(60), idRange{pollHandler, 3000, 25, 0}),
			},
			noLeakCat: true,
		},
		{
			name: "idle-looking workers multiplying by identity: the category explains them",
			snaps: []*parser.Snapshot{
				snapWith(at(0), idRange{idleWorker, 100, 20, 0}),
				snapWith(at(30), idRange{idleWorker, 100, 40, 0}),
				snapWith(at(60), idRange{idleWorker, 100, 60, time.Minute}),
			},
			wantCat: CatChanRecvBlocked, growth: true, noLeakCat: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := analyzeSnaps(t, tt.snaps...)
			if tt.noLeakCat {
				for _, f := range r.Findings {
					if f.Category == CatGoroutineLeak {
						t.Errorf("competing goroutine-leak finding: %s\n%s", f.Title, describe(r, 4))
					}
				}
			}
			if tt.wantCat == "" {
				if sev, f := maxSeverity(r); f != nil && sev > SevLow {
					t.Errorf("healthy churn got %s: %s\n%s", sev, f.Title, describe(r, 4))
				}
				for _, f := range r.Findings {
					if f.Growth != nil {
						t.Errorf("churn reported as growth: %s", f.Title)
					}
				}
				return
			}
			if len(r.Findings) == 0 || r.Findings[0].Category != tt.wantCat {
				t.Fatalf("want %s first\n%s", tt.wantCat, describe(r, 4))
			}
			f := r.Findings[0]
			if tt.growth && (f.Growth == nil || !f.Growth.RateKnown || f.Growth.PerMinute <= 0) {
				t.Errorf("no growth per minute on the finding: %+v", f.Growth)
			}
		})
	}
}

// TestJudgeIdentity pins the identity rule on ID sets.
func TestJudgeIdentity(t *testing.T) {
	ids := func(first, n int64, wait time.Duration) map[int64]time.Duration {
		m := make(map[int64]time.Duration)
		for i := range n {
			m[first+i] = wait
		}
		return m
	}
	merge := func(a, b map[int64]time.Duration) map[int64]time.Duration {
		for k, v := range b {
			a[k] = v
		}
		return a
	}
	tests := []struct {
		name  string
		snaps []map[int64]time.Duration
		churn bool
	}{
		{"all kept", []map[int64]time.Duration{ids(1, 10, -1), merge(ids(1, 10, -1), ids(50, 10, -1))}, false},
		{"all replaced", []map[int64]time.Duration{ids(1, 10, -1), ids(50, 20, -1)}, true},
		{"few kept but waiting longer", []map[int64]time.Duration{ids(1, 10, time.Minute), merge(ids(1, 2, 3*time.Minute), ids(50, 20, -1))}, false},
		{"few kept, waits unknown", []map[int64]time.Duration{ids(1, 10, -1), merge(ids(1, 2, -1), ids(50, 20, -1))}, true},
		{"only in the last snapshot", []map[int64]time.Duration{nil, nil, ids(1, 30, -1)}, true},
		{"base is the first snapshot holding it", []map[int64]time.Duration{nil, ids(1, 10, -1), merge(ids(1, 10, -1), ids(40, 10, -1))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := judgeIdentity(tt.snaps); got.churn != tt.churn {
				t.Errorf("churn = %v, want %v (%+v)", got.churn, tt.churn, got)
			}
		})
	}
}
