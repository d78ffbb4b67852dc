package parser

import (
	"path/filepath"
	"testing"
)

// Real debug=1 captures whose proto twins name runtime.chansend1 or
// chanrecv1/chanrecv2: the hidden PCs give the same wait reasons.
func TestDebug1HiddenChanOps(t *testing.T) {
	tests := []struct {
		file string
		want map[string]string // first printed frame -> reason
	}{
		{"moments-no-manifest/goroutine-debug1.3.txt", map[string]string{
			"main.(*server).gather.func1":                                          ReasonChanSend,
			"github.com/ctxhole/ctxhole/fixtures/internal/incident.collectGarbage": ReasonChanRecv,
		}},
		{"chan-send-blocked/goroutine-debug1.txt", map[string]string{"main.(*server).recommend.func1": ReasonChanSend}},
		{"chan-recv-blocked/goroutine-debug1.txt", map[string]string{"main.(*server).orderSummary": ReasonChanRecv}},
		{"tx-never-rolled-back/goroutine-debug1.txt", map[string]string{"database/sql.(*Tx).awaitDone": ReasonChanRecv}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(fxRepoRoot(t), "fixtures", "captures", filepath.FromSlash(tt.file))
			c, err := Load([]string{path}, Options{})
			if err != nil {
				t.Skipf("capture absent: %v", err)
			}
			seen := 0
			for _, g := range c.Snapshots[0].Goroutines {
				if len(g.Frames) == 0 {
					continue
				}
				if want, ok := tt.want[g.Frames[0].Func]; ok {
					seen++
					if g.Reason != want || g.Status != StatusWaiting {
						t.Errorf("%s: %v %q, want waiting %q", g.Frames[0].Func, g.Status, g.Reason, want)
					}
				}
			}
			if seen < len(tt.want) {
				t.Errorf("found %d of the %d records", seen, len(tt.want))
			}
		})
	}
}

// The rule on its own: wrapper addresses in two distant families are the
// send and receive sides; two neighbours, or one blocking site reached
// from two wrappers, are receives; one lone address, or more than two
// families, say nothing.
func TestResolveHiddenChanOps(t *testing.T) {
	op := func(site, wrapper uint64) hiddenChanOp {
		return hiddenChanOp{g: &Goroutine{Status: StatusWaiting}, site: site, wrapper: wrapper}
	}
	tests := []struct {
		name string
		ops  []hiddenChanOp
		want []string
	}{
		{"send below receive", []hiddenChanOp{op(0x4195bc, 0x4191b7), op(0x41a5ae, 0x41a0f2)}, []string{ReasonChanSend, ReasonChanRecv}},
		{"receive wrappers are neighbours", []hiddenChanOp{op(0x41a5ae, 0x41a0d2), op(0x41a2d9, 0x41a0f2)}, []string{ReasonChanRecv, ReasonChanRecv}},
		{"one site, two wrappers", []hiddenChanOp{op(0x41a5ae, 0x41a0d2), op(0x41a5ae, 0x41a0f2)}, []string{ReasonChanRecv, ReasonChanRecv}},
		{"send, and both receive wrappers", []hiddenChanOp{op(0x4192cc, 0x4191b7), op(0x41a2d9, 0x41a0d2), op(0x41a5ae, 0x41a0f2)},
			[]string{ReasonChanSend, ReasonChanRecv, ReasonChanRecv}},
		{"one address alone", []hiddenChanOp{op(0x4195bc, 0x4191b7), op(0x4195bc, 0x4191b7)}, []string{"", ""}},
		{"lower family recognised as receive", []hiddenChanOp{op(0x41a5ae, 0x41a0d2), op(0x41a5ae, 0x41a0f2), op(0x52a000, 0x529000)}, []string{"", "", ""}},
		{"three families", []hiddenChanOp{op(1, 0x1000), op(2, 0x5000), op(3, 0x9000)}, []string{"", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolveHiddenChanOps(tt.ops)
			for i, o := range tt.ops {
				if o.g.Reason != tt.want[i] {
					t.Errorf("op %d (wrapper 0x%x): %q, want %q", i, o.wrapper, o.g.Reason, tt.want[i])
				}
			}
		})
	}
}
