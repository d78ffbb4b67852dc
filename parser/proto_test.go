package parser

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

func fxGunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadProtoGoroutineLive(t *testing.T) {
	p := fxStart(t)
	gz := fxProfile(t, "goroutine", 0)
	for _, in := range []struct {
		name string
		data []byte
	}{{"goroutine.pb.gz", gz}, {"goroutine.pb", fxGunzip(t, gz)}} {
		t.Run(in.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(in.data), in.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Snapshots) != 1 || len(c.Contention) != 0 {
				t.Fatalf("%d snapshots %d profiles", len(c.Snapshots), len(c.Contention))
			}
			s := c.Snapshots[0]
			if s.Source.Format != FormatGoroutineProto || s.Source.File != in.name {
				t.Errorf("source %+v", s.Source)
			}
			if d := time.Since(s.Source.Time); d < 0 || d > time.Minute {
				t.Errorf("capture time %v, %v ago", s.Source.Time, d)
			}
			if s.Count() != s.DeclaredTotal || s.Count() < 7 {
				t.Errorf("count %d declared %d", s.Count(), s.DeclaredTotal)
			}
			tests := []struct {
				fn     string
				count  int
				reason string
				labels []Label
				// inline is a frame expected to be marked inlined: one of
				// the runtime's, whose inlining does not change with the
				// test's build flags (-race, -gcflags=-l).
				inline string
			}{
				{"fxRecv", 3, "chan receive", []Label{{"fx", "recv"}, {"tenant", "a b"}}, ""},
				{"fxLock", 2, "sync.Mutex.Lock", nil, "runtime.goparkunlock"},
				{"fxSelect", 1, "select", nil, ""},
				{"fxWait", 1, "sync.WaitGroup.Wait", nil, ""},
			}
			for _, tt := range tests {
				gs := fxFind(s.Goroutines, tt.fn)
				if len(gs) != 1 {
					t.Errorf("%s: %d records, want 1", tt.fn, len(gs))
					continue
				}
				g := gs[0]
				if g.ID != 0 || g.Count != tt.count || g.Status != StatusWaiting || g.Reason != tt.reason || !slices.Equal(g.Labels, tt.labels) {
					t.Errorf("%s: count %d status %v reason %q labels %v; want %d waiting %q %v",
						tt.fn, g.Count, g.Status, g.Reason, g.Labels, tt.count, tt.reason, tt.labels)
				}
				if g.Frames[0].Func != "runtime.gopark" {
					t.Errorf("%s: innermost frame %s, want runtime.gopark", tt.fn, g.Frames[0].Func)
				}
				f := g.Frames[fxFrame(g.Frames, tt.fn)]
				if f.Line != p.line(tt.fn) || !strings.HasSuffix(f.File, "formats_live_test.go") || f.PC == 0 {
					t.Errorf("%s: frame %+v, want line %d", tt.fn, f, p.line(tt.fn))
				}
				if tt.inline != "" {
					i := slices.IndexFunc(g.Frames, func(f Frame) bool { return f.Func == tt.inline })
					if i < 0 || !g.Frames[i].Inlined {
						t.Errorf("%s: %s not found inlined in %v", tt.fn, tt.inline, g.Frames)
					}
				}
			}
		})
	}
}

// fxUnlock releases mu after holding it long enough for a waiter to queue:
// the mutex profile records the contention here.
func fxUnlock(mu *sync.Mutex) { mu.Unlock() }

func fxMutexWaiter(mu *sync.Mutex, done chan<- struct{}) {
	mu.Lock()
	//lint:ignore SA2001 only the wait matters
	mu.Unlock()
	close(done)
}

func fxBlockedRecv(ch <-chan int) { <-ch }

// fxContention makes one mutex contention in fxUnlock and one channel block
// in fxBlockedRecv with both profiles on, and returns the mutex and block
// profiles at the debug level.
func fxContention(t *testing.T, debug int) (mutex, block []byte) {
	prev := runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	defer func() {
		runtime.SetMutexProfileFraction(prev)
		runtime.SetBlockProfileRate(0)
	}()
	var mu sync.Mutex
	mu.Lock()
	done := make(chan struct{})
	go fxMutexWaiter(&mu, done)
	fxWaitParked(t, map[string]int{"fxMutexWaiter": 1})
	time.Sleep(2 * time.Millisecond)
	fxUnlock(&mu)
	<-done

	ch := make(chan int)
	recvd := make(chan struct{})
	go func() { fxBlockedRecv(ch); close(recvd) }()
	fxWaitParked(t, map[string]int{"fxBlockedRecv": 1})
	time.Sleep(2 * time.Millisecond)
	ch <- 1
	<-recvd
	return fxProfile(t, "mutex", debug), fxProfile(t, "block", debug)
}

func TestReadContentionLive(t *testing.T) {
	for _, debug := range []int{0, 1} {
		mutex, block := fxContention(t, debug)
		format := FormatContentionProto
		if debug == 1 {
			format = FormatContentionText
		}
		for _, tt := range []struct {
			kind, fn string
			data     []byte
		}{{"mutex", "fxUnlock", mutex}, {"block", "fxBlockedRecv", block}} {
			t.Run(tt.kind+map[int]string{0: "-proto", 1: "-debug1"}[debug], func(t *testing.T) {
				c, err := Read(bytes.NewReader(tt.data), tt.kind, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Contention) != 1 || len(c.Snapshots) != 0 {
					t.Fatalf("%d profiles %d snapshots", len(c.Contention), len(c.Snapshots))
				}
				p := c.Contention[0]
				if p.Kind != tt.kind || p.Source.Format != format || len(p.Warnings) != 0 {
					t.Errorf("kind %q format %s warnings %v", p.Kind, p.Source.Format, p.Warnings)
				}
				if tt.kind == "mutex" && debug == 1 && p.Period != 1 {
					t.Errorf("sampling period %d, want 1", p.Period)
				}
				var found bool
				for _, s := range p.Samples {
					if fxFrame(s.Frames, tt.fn) >= 0 {
						found = true
						if s.Count < 1 || s.Delay < time.Millisecond || s.Delay > time.Minute {
							t.Errorf("sample count %d delay %v", s.Count, s.Delay)
						}
					}
				}
				if !found {
					t.Errorf("no sample with %s", tt.fn)
				}
			})
		}
	}
}

func TestReadProtoRejects(t *testing.T) {
	heap := fxProfile(t, "heap", 0)
	threads := fxProfile(t, "threadcreate", 0)
	tests := []struct {
		name    string
		data    []byte
		unknown bool // errors.Is ErrUnknownFormat
		want    []string
		offset  int64
	}{
		{"heap", heap, true, []string{"heap profile", "alloc_objects/count", "goroutine, mutex and block"}, -1},
		{"threadcreate", threads, true, []string{"threadcreate profile"}, -1},
		{"garbage", []byte{0x00, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x99, 0x42}, true, []string{"binary data starting 00 ff fe"}, 0},
		{"bad wire type", []byte{0x0a, 0x00, 0x0b, 0x01, 0x02}, false, []string{"wire type 3"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.data), tt.name+".pb", Options{})
			var pe *Error
			if !errors.As(err, &pe) || pe.File != tt.name+".pb" {
				t.Fatalf("err = %v, want an *Error naming the file", err)
			}
			if errors.Is(err, ErrUnknownFormat) != tt.unknown {
				t.Errorf("errors.Is(ErrUnknownFormat) = %v, want %v", !tt.unknown, tt.unknown)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			switch {
			case tt.offset == -2 && (pe.Offset <= 0 || pe.Offset >= int64(len(tt.data))):
				t.Errorf("offset %d, want inside the data", pe.Offset)
			case tt.offset >= -1 && pe.Offset != tt.offset:
				t.Errorf("offset %d, want %d", pe.Offset, tt.offset)
			}
		})
	}
}

// TestReadProtoTruncated cuts a real goroutine profile at chosen offsets:
// inside a field's tag, inside a length, inside a payload and exactly on
// field boundaries (where the framing is whole and only decoding can tell).
// Every cut is reported as a truncated profile with an offset inside the
// data or at its end, never a bare "malformed" with no position.
func TestReadProtoTruncated(t *testing.T) {
	data := fxGunzip(t, fxProfile(t, "goroutine", 0))
	// The top-level field boundaries, walked like protoFraming does.
	var bounds []int
	for off := 0; off < len(data); {
		bounds = append(bounds, off)
		tag, n := protoVarint(data[off:])
		if n == 0 {
			t.Fatalf("bad tag at %d", off)
		}
		off += n
		switch tag & 7 {
		case 0:
			_, n = protoVarint(data[off:])
			off += n
		case 2:
			l, n := protoVarint(data[off:])
			off += n + int(l)
		default:
			t.Fatalf("wire type %d at %d", tag&7, off)
		}
	}
	if len(bounds) < 6 {
		t.Fatalf("only %d fields", len(bounds))
	}
	cuts := map[string]int{
		"after the first field":    bounds[1],
		"on the middle boundary":   bounds[len(bounds)/2],
		"before the last field":    bounds[len(bounds)-1],
		"inside a tag":             bounds[len(bounds)/2] + 1, // the length varint of a field
		"inside a payload":         bounds[1] + (bounds[2]-bounds[1])/2 + 1,
		"one byte short":           len(data) - 1,
		"half way (the old flake)": len(data) / 2,
	}
	for name, cut := range cuts {
		t.Run(name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(data[:cut]), "cut.pb", Options{})
			var pe *Error
			if !errors.As(err, &pe) || pe.File != "cut.pb" {
				t.Fatalf("cut at %d: err = %v, want an *Error naming the file", cut, err)
			}
			if errors.Is(err, ErrUnknownFormat) {
				t.Errorf("cut at %d: reported as an unknown format: %v", cut, err)
			}
			if !strings.Contains(err.Error(), "truncated pprof profile") {
				t.Errorf("cut at %d: %v, want a truncated profile", cut, err)
			}
			if pe.Offset <= 0 || pe.Offset > int64(cut) {
				t.Errorf("cut at %d: offset %d, want in (0, %d]", cut, pe.Offset, cut)
			}
		})
	}
}

func TestReadProtoEmptyContention(t *testing.T) {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "contentions", Unit: "count"}, {Type: "delay", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "contentions", Unit: "count"},
		Period:     1,
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	c, err := Read(&b, "empty.pb.gz", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Contention) != 1 || c.Contention[0].Kind != "block" || len(c.Contention[0].Warnings) != 1 {
		t.Errorf("contention %+v", c.Contention)
	}
}

func TestContentionKind(t *testing.T) {
	fr := func(fns ...string) []Frame {
		var out []Frame
		for _, f := range fns {
			out = append(out, Frame{Func: f})
		}
		return out
	}
	tests := []struct {
		name    string
		samples []ContentionSample
		want    string
	}{
		{"none", nil, ""},
		{"unlock", []ContentionSample{{Frames: fr("sync.(*Mutex).Unlock", "main.f")}}, "mutex"},
		{"runtime lock", []ContentionSample{{Frames: fr("runtime._LostContendedRuntimeLock")}}, "mutex"},
		{"rwmutex", []ContentionSample{{Frames: fr("sync.(*RWMutex).Unlock", "main.f")}}, "mutex"},
		{"chan", []ContentionSample{{Frames: fr("runtime.chanrecv1", "main.f")}}, "block"},
		{"lock is block", []ContentionSample{{Frames: fr("sync.(*Mutex).Lock", "main.f")}}, "block"},
	}
	for _, tt := range tests {
		if got := contentionKind(tt.samples); got != tt.want {
			t.Errorf("%s: contentionKind = %q, want %q", tt.name, got, tt.want)
		}
	}
}
