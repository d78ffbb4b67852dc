package parser

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestReadTextHeaders checks every field of the goroutine header grammar
// (runtime.goroutineheader, Go 1.26, and the older forms) through ReadText:
// each case is one header with a one-frame stack.
func TestReadTextHeaders(t *testing.T) {
	tests := []struct {
		header string
		want   Goroutine
	}{
		{"goroutine 1 [running]:", Goroutine{ID: 1, State: "running", Status: StatusRunning}},
		{"goroutine 7 [chan receive, 1308 minutes]:", Goroutine{ID: 7, State: "chan receive", Status: StatusWaiting, Reason: "chan receive", Wait: 1308 * time.Minute, WaitKnown: true}},
		{"goroutine 5 [syscall, 3 minutes, locked to thread]:", Goroutine{ID: 5, State: "syscall", Status: StatusSyscall, Wait: 3 * time.Minute, WaitKnown: true, LockedToThread: true}},
		{"goroutine 9 [select, locked to thread]:", Goroutine{ID: 9, State: "select", Status: StatusWaiting, Reason: "select", LockedToThread: true}},
		{"goroutine 12 gp=0xd0194452b40 m=nil [IO wait]:", Goroutine{ID: 12, GP: 0xd0194452b40, State: "IO wait", Status: StatusWaiting, Reason: "IO wait"}},
		{"goroutine 0 gp=0x7c1340 m=0 mp=0x7c2340 [idle]:", Goroutine{ID: 0, GP: 0x7c1340, M: 0, MP: 0x7c2340, State: "idle", Status: StatusIdle}},
		{"goroutine 33 gp=0xc000102a80 m=4 mp=0xc000100008 [running]:", Goroutine{ID: 33, GP: 0xc000102a80, M: 4, MP: 0xc000100008, State: "running", Status: StatusRunning}},
		{"goroutine 3 [chan receive (nil chan)]:", Goroutine{ID: 3, State: "chan receive (nil chan)", Status: StatusWaiting, Reason: "chan receive (nil chan)"}},
		{"goroutine 4 [GC worker (idle)]:", Goroutine{ID: 4, State: "GC worker (idle)", Status: StatusWaiting, Reason: "GC worker (idle)"}},
		{"goroutine 8 [chan send (leaked)]:", Goroutine{ID: 8, State: "chan send", Status: StatusLeaked, Reason: "chan send"}},
		{"goroutine 8 [chan send (leaked), 12 minutes]:", Goroutine{ID: 8, State: "chan send", Status: StatusLeaked, Reason: "chan send", Wait: 12 * time.Minute, WaitKnown: true}},
		{"goroutine 21 [runnable (scan)]:", Goroutine{ID: 21, State: "runnable", Status: StatusRunnable, Scan: true}},
		{"goroutine 22 [select (leaked) (scan)]:", Goroutine{ID: 22, State: "select", Status: StatusLeaked, Reason: "select", Scan: true}},
		{"goroutine 30 [chan receive (durable), synctest bubble 2]:", Goroutine{ID: 30, State: "chan receive (durable)", Status: StatusWaiting, Reason: "chan receive (durable)", Durable: true, Bubble: 2}},
		{"goroutine 31 [sleep (durable), synctest bubble 2]:", Goroutine{ID: 31, State: "sleep", Status: StatusWaiting, Reason: "sleep", Durable: true, Bubble: 2}},
		{"goroutine 32 [sync.Cond.Wait (durable), 2 minutes, synctest bubble 5]:", Goroutine{ID: 32, State: "sync.Cond.Wait", Status: StatusWaiting, Reason: "sync.Cond.Wait", Durable: true, Bubble: 5, Wait: 2 * time.Minute, WaitKnown: true}},
		{"goroutine 34 [select, synctest group 3]:", Goroutine{ID: 34, State: "select", Status: StatusWaiting, Reason: "select", Bubble: 3}},
		{"goroutine 35 [synctest.Run, locked to thread, synctest bubble 1]:", Goroutine{ID: 35, State: "synctest.Run", Status: StatusWaiting, Reason: "synctest.Run", LockedToThread: true, Bubble: 1}},
		{`goroutine 40 [select, 5 minutes, locked to thread, synctest bubble 9 labels:{"a]b": "x, y", "job": "q\"uote\n"}]:`, Goroutine{ID: 40, State: "select", Status: StatusWaiting, Reason: "select", Wait: 5 * time.Minute, WaitKnown: true, LockedToThread: true, Bubble: 9, Labels: []Label{{"a]b", "x, y"}, {"job", "q\"uote"}}}},
		{`goroutine 41 [running labels:{"z": "1", "a": "\u00e9"}]:`, Goroutine{ID: 41, State: "running", Status: StatusRunning, Labels: []Label{{"a", "é"}, {"z", "1"}}}},
		{"goroutine 42 [waiting]:", Goroutine{ID: 42, State: "waiting", Status: StatusWaiting}},
		{"goroutine 43 [preempted]:", Goroutine{ID: 43, State: "preempted", Status: StatusPreempted, Reason: "preempted"}},
		{"goroutine 44 [copystack]:", Goroutine{ID: 44, State: "copystack", Status: StatusCopystack}},
		{"goroutine 45 [dead]:", Goroutine{ID: 45, State: "dead", Status: StatusDead}},
		{"goroutine 46 [waiting for cgo callback]:", Goroutine{ID: 46, State: "waiting for cgo callback", Status: StatusCgoCallback}},
		{"goroutine 47 [timer goroutine (idle), 70 minutes]:", Goroutine{ID: 47, State: "timer goroutine (idle)", Status: StatusWaiting, Reason: "timer goroutine (idle)", Wait: 70 * time.Minute, WaitKnown: true}},
		{"goroutine 48 [???]:", Goroutine{ID: 48, State: "???", Status: StatusWaiting, Reason: "???"}},
		{"goroutine 9223372036854775806 [sleep]:", Goroutine{ID: 9223372036854775806, State: "sleep", Status: StatusWaiting, Reason: "sleep"}},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			in := tt.header + "\nmain.f()\n\t/src/main.go:10 +0x1d\n"
			snaps, err := ReadText(strings.NewReader(in), "h")
			if err != nil {
				t.Fatal(err)
			}
			g := snaps[0].Goroutines[0]
			want := tt.want
			if !strings.Contains(tt.header, " m=") || strings.Contains(tt.header, " m=nil") {
				want.M = -1
			}
			want.Count, want.Line = 1, 1
			want.Frames = []Frame{{Func: "main.f", File: "/src/main.go", Line: 10, Offset: 0x1d}}
			if !reflect.DeepEqual(*g, want) {
				t.Errorf("got  %+v\nwant %+v", *g, want)
			}
			if len(snaps[0].Warnings) != 0 {
				t.Errorf("warnings %v", snaps[0].Warnings)
			}
		})
	}
}

// TestParseHeaderRejects lists lines that look like headers but are not.
func TestParseHeaderRejects(t *testing.T) {
	for _, line := range []string{
		"goroutine running on other thread; stack unavailable",
		"goroutine 1 [running]",
		"goroutine x [running]:",
		"goroutine 1 []:",
		"goroutine 1 gp=zz m=1 [running]:",
		"goroutine 99999999999999999999999 [running]:",
		"goroutine 9223372036854775808 [running]:",
		"Goroutine 7 (running) created at:",
		"goroutine 1 gp=0x1 m=q [running]:",
	} {
		var h header
		if parseHeader([]byte(line), &h) {
			t.Errorf("parseHeader(%q) accepted: %+v", line, h)
		}
	}
}
