package parser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Dumps as people paste them: the real SIGQUIT dump of the zoo, passed
// through what logs and terminals do to it, must parse to exactly the
// goroutines of the clean dump.

// eachLine rewrites every line of raw (without its "\n") with f, which is
// given the line's index.
func eachLine(raw []byte, f func(i int, line string) string) []byte {
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(f(i, l))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

var pasteBase = time.Date(2026, 11, 23, 11, 4, 5, 0, time.UTC)

// pastes are the transformations, each with the number of lines it makes
// the parser skip with a warning.
var pastes = []struct {
	name     string
	apply    func(raw []byte) []byte
	warnings int
	time     time.Time
	// linesMove is set when the paste changes line numbers.
	linesMove bool
}{
	{name: "kubectl logs --timestamps", time: pasteBase.Add(1000), apply: func(raw []byte) []byte {
		return eachLine(raw, func(i int, l string) string {
			// RFC3339Nano drops trailing zeros, so the width varies.
			return pasteBase.Add(time.Duration(i+1)*1000).Format(time.RFC3339Nano) + " " + l
		})
	}},
	{name: "kubectl logs --prefix --timestamps", time: pasteBase.Add(1000), apply: func(raw []byte) []byte {
		return eachLine(raw, func(i int, l string) string {
			return "[pod/orders-7f9c/app] " + pasteBase.Add(time.Duration(i+1)*1000).Format(time.RFC3339Nano) + " " + l
		})
	}},
	{name: "Docker json-file log", time: pasteBase, apply: func(raw []byte) []byte {
		return eachLine(raw, func(i int, l string) string {
			rec, err := json.Marshal(map[string]string{"log": l + "\n", "stream": "stderr", "time": pasteBase.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)})
			if err != nil {
				panic(err)
			}
			return string(rec)
		})
	}},
	{name: "Docker json-file log, long lines split", time: pasteBase, linesMove: true, apply: func(raw []byte) []byte {
		// Docker splits lines at 16 KiB into records without the newline;
		// split at 40 bytes to exercise it on every frame.
		i := 0
		record := func(text string) string {
			rec, err := json.Marshal(map[string]string{"log": text, "stream": "stderr", "time": pasteBase.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)})
			if err != nil {
				panic(err)
			}
			i++
			return string(rec)
		}
		return eachLine(raw, func(_ int, l string) string {
			var b strings.Builder
			for len(l) > 40 {
				b.WriteString(record(l[:40]) + "\n")
				l = l[40:]
			}
			b.WriteString(record(l + "\n"))
			return b.String()
		})
	}},
	{name: "containerd CRI log", time: pasteBase, apply: func(raw []byte) []byte {
		return eachLine(raw, func(i int, l string) string {
			return pasteBase.Add(time.Duration(i)*time.Millisecond).Format("2006-01-02T15:04:05.000000000Z07:00") + " stderr F " + l
		})
	}},
	{name: "containerd CRI log, long lines split", time: pasteBase, linesMove: true, apply: func(raw []byte) []byte {
		// containerd splits lines at 16 KiB into "P" records; split at 40
		// bytes to exercise it on every frame.
		i := 0
		return eachLine(raw, func(_ int, l string) string {
			var b strings.Builder
			for len(l) > 40 {
				b.WriteString(pasteBase.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano) + " stderr P " + l[:40] + "\n")
				l = l[40:]
				i++
			}
			b.WriteString(pasteBase.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano) + " stderr F " + l)
			i++
			return b.String()
		})
	}},
	{name: "journald", apply: func(raw []byte) []byte {
		return eachLine(raw, func(i int, l string) string {
			return pasteBase.Add(time.Duration(i)*time.Second).Format("Jan _2 15:04:05") + " host-1 app[4242]: " + l
		})
	}},
	{name: "logger prefix", apply: func(raw []byte) []byte {
		return eachLine(raw, func(_ int, l string) string {
			if l == "" {
				return "app-7f9c |"
			}
			return "app-7f9c | " + l
		})
	}},
	{name: "go log prefix", apply: func(raw []byte) []byte {
		return eachLine(raw, func(i int, l string) string {
			return pasteBase.Add(time.Duration(i)*time.Second).Format("2006/01/02 15:04:05 ") + l
		})
	}},
	{name: "colored prefix", apply: func(raw []byte) []byte {
		return eachLine(raw, func(_ int, l string) string { return "\x1b[36mweb-1\x1b[0m  | " + l })
	}},
	{name: "CRLF", apply: func(raw []byte) []byte {
		return bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
	}},
	{name: "tabs to spaces", apply: func(raw []byte) []byte {
		return bytes.ReplaceAll(raw, []byte("\t"), []byte("    "))
	}},
	{name: "uniform indent", apply: func(raw []byte) []byte {
		return eachLine(raw, func(_ int, l string) string { return "    " + l })
	}},
	{name: "stray log lines", warnings: -1, apply: func(raw []byte) []byte {
		return eachLine(raw, func(i int, l string) string {
			if i > 10 && i%97 == 0 && strings.HasPrefix(l, "\t") {
				return l + "\n2026/11/23 11:04:05 INFO unrelated request handled in 3ms"
			}
			return l
		})
	}},
}

func TestReadTextPasted(t *testing.T) {
	d := runChild(t, "sigquit", true, nil, "GOTRACEBACK=system")
	clean := readOne(t, d.stderr)
	stripLines := func(gs []*Goroutine) []*Goroutine {
		out := make([]*Goroutine, len(gs))
		for i, g := range gs {
			c := *g
			c.Line = 0
			out[i] = &c
		}
		return out
	}
	for _, tt := range pastes {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.apply(d.stderr)
			snaps, err := ReadText(bytes.NewReader(raw), "pasted")
			if err != nil {
				t.Fatal(err)
			}
			if len(snaps) != 1 {
				t.Fatalf("%d snapshots, want 1", len(snaps))
			}
			s := snaps[0]
			wantWarn := tt.warnings
			if wantWarn < 0 {
				wantWarn = strings.Count(string(raw), "INFO unrelated")
			}
			if len(s.Warnings) != wantWarn {
				t.Errorf("%d warnings, want %d: %v", len(s.Warnings), wantWarn, s.Warnings)
			}
			for _, w := range s.Warnings {
				if w.Line <= 0 || !strings.Contains(w.Msg, "unrelated") {
					t.Errorf("warning %v", w)
				}
			}
			if !reflect.DeepEqual(s.Preamble, clean.Preamble) {
				t.Errorf("preamble %+v, want %+v", s.Preamble, clean.Preamble)
			}
			if !s.Source.Time.Equal(tt.time) {
				t.Errorf("time %v, want %v", s.Source.Time, tt.time)
			}
			got, want := s.Goroutines, clean.Goroutines
			if tt.warnings != 0 || tt.linesMove {
				got, want = stripLines(got), stripLines(want)
			}
			if len(got) != len(want) {
				t.Fatalf("%d goroutines, want %d", len(got), len(want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("goroutine %d differs:\n got %s\nwant %s", i, dumpG(got[i]), dumpG(want[i]))
				}
			}
		})
	}
}

func dumpG(g *Goroutine) string {
	return fmt.Sprintf("%+v frames=%+v cb=%+v", *g, g.Frames, g.CreatedBy)
}
