package parser

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestReadTextStacks checks the stack lines of one goroutine field by
// field: arguments, inlined and generic frames, system traceback suffixes,
// elisions, creators, ancestors and the lines that stand for a stack.
func TestReadTextStacks(t *testing.T) {
	type want struct {
		frames      []Frame
		args        [][]Arg // of each frame, when any frame has some
		elided      int
		createdBy   *CreatedBy
		ancestors   []Ancestor
		unavailable bool
	}
	tests := []struct {
		name  string
		stack string
		want  want
	}{
		{"argument words", "main.f(0x1, 0x2?, {0x3, 0x4}, _, ...)\n\t/src/main.go:10 +0x1d\n",
			want{frames: []Frame{{Func: "main.f", File: "/src/main.go", Line: 10, Offset: 0x1d, ArgsElided: true}},
				args: [][]Arg{{{Value: 1}, {Value: 2, Uncertain: true}, {Value: 3}, {Value: 4}, {Unused: true}}}}},
		{"elided aggregate", "main.g({...}, 0xd0194452b40)\n\t/src/main.go:11 +0x2\n",
			want{frames: []Frame{{Func: "main.g", File: "/src/main.go", Line: 11, Offset: 2, ArgsElided: true}}, args: [][]Arg{{{Value: 0xd0194452b40}}}}},
		{"panic and inlined generic", "panic({0x5d3e40?, 0x6a4b10?})\n\t/usr/local/go/src/runtime/panic.go:860 +0x13a\nsync.(*Map[...]).Load(...)\n\t/src/m.go:7\nmain.main()\n\t/src/main.go:3 +0x25\n",
			want{frames: []Frame{
				{Func: "panic", File: "/usr/local/go/src/runtime/panic.go", Line: 860, Offset: 0x13a},
				{Func: "sync.(*Map[...]).Load", File: "/src/m.go", Line: 7, Inlined: true},
				{Func: "main.main", File: "/src/main.go", Line: 3, Offset: 0x25},
			}, args: [][]Arg{{{Value: 0x5d3e40, Uncertain: true}, {Value: 0x6a4b10, Uncertain: true}}, nil, nil}}},
		{"system traceback suffix", "runtime.gopark(0x0?)\n\t/usr/local/go/src/runtime/proc.go:461 +0xce fp=0xd01944a5f38 sp=0xd01944a5f18 pc=0x48e66e\n",
			want{frames: []Frame{{Func: "runtime.gopark", File: "/usr/local/go/src/runtime/proc.go", Line: 461, Offset: 0xce, PC: 0x48e66e}}, args: [][]Arg{{{Uncertain: true}}}}},
		{"counted elision and creator in goroutine", "main.r(...)\n\t/src/main.go:5\n...12 frames elided...\nmain.main()\n\t/src/main.go:9 +0x1\ncreated by main.start in goroutine 7\n\t/src/main.go:20 +0x3c\n",
			want{elided: 12, frames: []Frame{{Func: "main.r", File: "/src/main.go", Line: 5, Inlined: true}, {Func: "main.main", File: "/src/main.go", Line: 9, Offset: 1}},
				createdBy: &CreatedBy{Func: "main.start", File: "/src/main.go", Line: 20, Offset: 0x3c, Parent: 7}}},
		{"old elision and creator", "main.r()\n\t/src/main.go:5 +0x1\n...additional frames elided...\ncreated by main.start\n\t/src/main.go:20 +0x3c\n",
			want{elided: -1, frames: []Frame{{Func: "main.r", File: "/src/main.go", Line: 5, Offset: 1}},
				createdBy: &CreatedBy{Func: "main.start", File: "/src/main.go", Line: 20, Offset: 0x3c}}},
		{"stack unavailable", "\tgoroutine running on other thread; stack unavailable\ncreated by main.start in goroutine 1\n\t/src/main.go:20 +0x3c\n",
			want{unavailable: true, createdBy: &CreatedBy{Func: "main.start", File: "/src/main.go", Line: 20, Offset: 0x3c, Parent: 1}}},
		{"non-Go function", "non-Go function at pc=0x4a1b2c\nmain.cgo()\n\t/src/c.go:4 +0x9\n",
			want{frames: []Frame{{Func: "non-Go function", PC: 0x4a1b2c}, {Func: "main.cgo", File: "/src/c.go", Line: 4, Offset: 9}}}},
		{"paths with blanks and drive letters", "main.w()\n\tC:/Users/me/My Go/main.go:12 +0x1d\n",
			want{frames: []Frame{{Func: "main.w", File: "C:/Users/me/My Go/main.go", Line: 12, Offset: 0x1d}}}},
		{"Go 1.4 closure names", "github.com/codahale/metrics.func·004()\n\t/src/metrics.go:321 +0x80\n",
			want{frames: []Frame{{Func: "github.com/codahale/metrics.func·004", File: "/src/metrics.go", Line: 321, Offset: 0x80}}}},
		{"ancestors", "main.leaf()\n\t/src/main.go:30 +0x1\ncreated by main.mid in goroutine 6\n\t/src/main.go:25 +0x2\n[originating from goroutine 6]:\nmain.mid(...)\n\t/src/main.go:25 +0x2\ncreated by main.main\n\t/src/main.go:20 +0x3\n[originating from goroutine 1]:\nmain.main(...)\n\t/src/main.go:20 +0x3\n...additional frames elided...\n",
			want{frames: []Frame{{Func: "main.leaf", File: "/src/main.go", Line: 30, Offset: 1}},
				createdBy: &CreatedBy{Func: "main.mid", File: "/src/main.go", Line: 25, Offset: 2, Parent: 6},
				ancestors: []Ancestor{
					{ID: 6, Frames: []Frame{{Func: "main.mid", File: "/src/main.go", Line: 25, Offset: 2}}, CreatedBy: &CreatedBy{Func: "main.main", File: "/src/main.go", Line: 20, Offset: 3}},
					{ID: 1, Frames: []Frame{{Func: "main.main", File: "/src/main.go", Line: 20, Offset: 3}}},
				}}},
		{"escape sequences in names", "main.\x1b[31mevil\x07\x1b[0m()\n\t/src/\x1b]0;title\x07e.go:1 +0x1\n",
			want{frames: []Frame{{Func: "main.evil", File: "/src/e.go", Line: 1, Offset: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snaps, err := ReadText(strings.NewReader("goroutine 9 [running]:\n"+tt.stack), "s")
			if err != nil {
				t.Fatal(err)
			}
			s := snaps[0]
			g := s.Goroutines[0]
			got := want{frames: withoutArgs(g.Frames), elided: g.Elided, createdBy: g.CreatedBy, ancestors: g.Ancestors, unavailable: g.StackUnavailable}
			var args [][]Arg
			for i := range g.Frames {
				args = append(args, g.Args(i))
			}
			if slices.ContainsFunc(args, func(a []Arg) bool { return a != nil }) {
				got.args = args
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if len(s.Warnings) != 0 || s.Truncated {
				t.Errorf("warnings %v truncated %v", s.Warnings, s.Truncated)
			}
		})
	}
}

// TestNormaliseReason checks that the coarse "semacquire" of older
// runtimes becomes the reason the current runtime prints.
func TestNormaliseReason(t *testing.T) {
	tests := []struct {
		frames []string
		want   string
	}{
		{[]string{"runtime.gopark", "runtime.semacquire1", "sync.runtime_SemacquireMutex", "sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock"}, "sync.Mutex.Lock"},
		{[]string{"internal/sync.runtime_SemacquireMutex", "internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock"}, "sync.Mutex.Lock"},
		{[]string{"sync.runtime_SemacquireMutex", "sync.(*RWMutex).RLock", "main.read"}, "sync.RWMutex.RLock"},
		{[]string{"sync.runtime_SemacquireMutex", "sync.(*RWMutex).Lock", "main.write"}, "sync.RWMutex.Lock"},
		{[]string{"sync.runtime_Semacquire", "sync.(*WaitGroup).Wait", "main.main"}, "sync.WaitGroup.Wait"},
		{[]string{"sync.runtime_notifyListWait", "sync.(*Cond).Wait", "main.c"}, "sync.Cond.Wait"},
		{[]string{"sync.runtime_Semacquire", "golang.org/x/sync/semaphore.(*Weighted).Acquire"}, "semacquire"},
	}
	for _, tt := range tests {
		var frames []Frame
		for _, f := range tt.frames {
			frames = append(frames, Frame{Func: f})
		}
		if got := normaliseReason("semacquire", frames); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.frames, got, tt.want)
		}
		if got := normaliseReason("chan receive", frames); got != "chan receive" {
			t.Errorf("a precise reason changed to %q", got)
		}
	}
	if len(waitReasons) != 46 {
		t.Errorf("%d wait reasons, the Go 1.26 runtime has 46 besides the empty one", len(waitReasons))
	}
}

// withoutArgs returns a copy of frames without where their argument words
// are (Goroutine.Args), to compare them with frames written out in a test.
func withoutArgs(frames []Frame) []Frame {
	out := slices.Clone(frames)
	for i := range out {
		out[i].argOff, out[i].argN = 0, 0
	}
	return out
}

// argsOf returns the argument words of each of g's frames.
func argsOf(g *Goroutine) [][]Arg {
	out := make([][]Arg, len(g.Frames))
	for i := range g.Frames {
		out[i] = g.Args(i)
	}
	return out
}
