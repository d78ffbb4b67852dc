package parser

import (
	"bytes"
	"fmt"
	"html"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// Pastes made from real captures: the format-variant captures of Go 1.26
// (fixtures/variants) and, when present, the real-world dumps beside the
// repository, passed through what issue threads, chats and terminals do
// to a dump. Each must read to the goroutines and groups of the clean
// capture, without a warning.

// pasteTransforms are the lossless transformations.
var pasteTransforms = []struct {
	name  string
	apply func(raw []byte) []byte
}{
	{"Markdown quote", func(raw []byte) []byte { return quoteLines(raw, "> ") }},
	{"nested Markdown quote", func(raw []byte) []byte { return quoteLines(raw, "> > ") }},
	{"HTML entities", func(raw []byte) []byte { return []byte(html.EscapeString(string(raw))) }},
	{"HTML entities, quoted", func(raw []byte) []byte { return []byte(html.EscapeString(string(quoteLines(raw, "> ")))) }},
	{"code fence", func(raw []byte) []byte {
		return []byte("The service hung again, dump below.\n\n```go\n" + withNewline(raw) + "```\n\nAny idea?\n")
	}},
	{"details and pre", func(raw []byte) []byte {
		return []byte("<details><summary>goroutine dump</summary>\n\n<pre>\n" + withNewline(raw) + "</pre>\n</details>\n")
	}},
	{"no-break space indentation", func(raw []byte) []byte {
		return eachLine(raw, func(_ int, l string) string {
			if rest, ok := strings.CutPrefix(l, "\t"); ok {
				return "\u00a0\u00a0\u00a0\u00a0" + rest
			}
			return l
		})
	}},
	{"wrapped at 80 columns", func(raw []byte) []byte { return wrapColumns(raw, 80) }},
	{"wrapped at 120 columns", func(raw []byte) []byte { return wrapColumns(raw, 120) }},
	{"wrapped at 80 columns, fenced", func(raw []byte) []byte { return []byte("```\n" + withNewline(wrapColumns(raw, 80)) + "```\n") }},
}

// withNewline returns raw as a string ending in a newline, as a paste
// into a fenced block or a <pre> element leaves the dump's last line.
func withNewline(raw []byte) string {
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		return string(raw) + "\n"
	}
	return string(raw)
}

// quoteLines prefixes every line with a Markdown quote marker.
func quoteLines(raw []byte, marker string) []byte {
	return eachLine(raw, func(_ int, l string) string {
		if l == "" {
			return strings.TrimSpace(marker)
		}
		return marker + l
	})
}

// wrapColumns breaks every line longer than width display columns, as a
// terminal or a log viewer does: tabs advance to the next multiple of 8,
// the pieces carry no indentation of their own.
func wrapColumns(raw []byte, width int) []byte {
	return eachLine(raw, func(_ int, l string) string {
		var b strings.Builder
		col := 0
		for _, r := range l {
			next := col + 1
			if r == '\t' {
				next = (col/8 + 1) * 8
			}
			if next > width {
				b.WriteByte('\n')
				col, next = 0, 1
				if r == '\t' {
					next = 8
				}
			}
			b.WriteRune(r)
			col = next
		}
		return b.String()
	})
}

// wrappedLines counts the lines wrapColumns breaks.
func wrappedLines(raw []byte, width int) int {
	n := 0
	for _, l := range strings.Split(string(raw), "\n") {
		col := 0
		for _, r := range l {
			if r == '\t' {
				col = (col/8 + 1) * 8
			} else {
				col++
			}
		}
		if col > width {
			n++
		}
	}
	return n
}

// pasteBases are the clean captures the pastes are made from.
func pasteBases(t *testing.T) map[string][]byte {
	bases := map[string][]byte{}
	for _, f := range []string{"debug2.txt", "sigquit.txt", "labels.txt", "traceback-system.txt", "ancestors.txt"} {
		bases["go"+vtLatest+"/"+f] = vtRaw(t, "go"+vtLatest+"/"+f)
	}
	if dir := testrepo.RealWorldDir(); dir != "" {
		for _, f := range []string{"18-concourse-atc-swirly-example-huge-debug2.txt", "24-cdk-erigon-node-l1syncer-debug2.txt", "26-raft-kvstore-mutex-wait-windows-debug2.txt"} {
			if b, err := os.ReadFile(dir + "/" + f); err == nil {
				bases[f] = b
			}
		}
	}
	return bases
}

// withoutLines returns copies of gs with Line cleared: pastes that add or
// split lines move every goroutine's line.
func withoutLines(gs []*Goroutine) []*Goroutine {
	out := make([]*Goroutine, len(gs))
	for i, g := range gs {
		c := *g
		c.Line = 0
		out[i] = &c
	}
	return out
}

// sameGoroutines fails unless got and want hold the same goroutines, in
// order, field for field (lines aside), and fold into the same groups.
func sameGoroutines(t *testing.T, got, want []*Goroutine) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d goroutines, want %d", len(got), len(want))
	}
	g, w := withoutLines(got), withoutLines(want)
	for i := range g {
		if !reflect.DeepEqual(g[i], w[i]) {
			t.Fatalf("goroutine %d differs:\n got %s\nwant %s", i, dumpG(g[i]), dumpG(w[i]))
		}
	}
	gg, wg := GroupGoroutines(got), GroupGoroutines(want)
	if len(gg) != len(wg) {
		t.Fatalf("%d groups, want %d", len(gg), len(wg))
	}
	for i := range gg {
		if gg[i].Count != wg[i].Count || gg[i].State != wg[i].State || !reflect.DeepEqual(gg[i].IDs, wg[i].IDs) {
			t.Errorf("group %d: %d×%q %v, want %d×%q %v", i, gg[i].Count, gg[i].State, gg[i].IDs, wg[i].Count, wg[i].State, wg[i].IDs)
		}
	}
}

func TestReadTextPasteVariants(t *testing.T) {
	for name, raw := range pasteBases(t) {
		clean := readPaste(t, name, raw)
		for _, tr := range pasteTransforms {
			t.Run(name+"/"+tr.name, func(t *testing.T) {
				pasted := tr.apply(raw)
				s := readPaste(t, name, pasted)
				if len(s.Warnings) != len(clean.Warnings) {
					t.Errorf("warnings %v, want %v", s.Warnings, clean.Warnings)
				}
				if s.Truncated != clean.Truncated {
					t.Errorf("truncated %v, want %v", s.Truncated, clean.Truncated)
				}
				sameGoroutines(t, s.Goroutines, clean.Goroutines)
				if !strings.HasPrefix(tr.name, "wrapped") && !reflect.DeepEqual(s.Preamble, clean.Preamble) {
					t.Errorf("preamble %+v, want %+v", s.Preamble, clean.Preamble)
				}
			})
		}
	}
	// The wrapped variants must wrap something, or they test nothing.
	if n := wrappedLines(vtRaw(t, "go"+vtLatest+"/sigquit.txt"), 120); n < 100 {
		t.Errorf("sigquit.txt has %d lines over 120 columns; the wrap tests need long lines", n)
	}
	if n := wrappedLines(vtRaw(t, "go"+vtLatest+"/debug2.txt"), 80); n < 2 {
		t.Errorf("debug2.txt has %d lines over 80 columns", n)
	}
}

// TestReadTextPasteFragments cuts real captures where people cut them:
// the header of the first goroutine left out, the paste starting inside
// a frame, the paste ending inside a function line or a location. What
// the fragment holds is read exactly, with a warning for each assumption.
func TestReadTextPasteFragments(t *testing.T) {
	for name, raw := range pasteBases(t) {
		clean := readPaste(t, name, raw)
		lines := strings.SplitAfter(string(raw), "\n")
		// The first goroutine's header, and its first frame's lines.
		hdr := -1
		for i, l := range lines {
			var h header
			if parseHeader(trimBlank([]byte(strings.TrimRight(l, "\r\n"))), &h) {
				hdr = i
				break
			}
		}
		first := clean.Goroutines[0]
		if hdr < 0 || len(first.Frames) == 0 {
			t.Fatalf("%s: no header with frames", name)
		}
		t.Run(name+"/header stripped", func(t *testing.T) {
			s := readPaste(t, name, []byte(strings.Join(lines[hdr+1:], "")))
			g := s.Goroutines[0]
			status, reason := inferReason(first.Frames)
			if !g.NoHeader || g.ID != 0 || g.State != "" || g.WaitKnown || g.Status != status || g.Reason != reason ||
				!reflect.DeepEqual(g.Frames, first.Frames) || !reflect.DeepEqual(g.CreatedBy, first.CreatedBy) {
				t.Errorf("first goroutine %s, want the frames of %s", dumpG(g), dumpG(first))
			}
			sameGoroutines(t, s.Goroutines[1:], clean.Goroutines[1:])
			if len(s.Warnings) != 1+len(clean.Warnings) || !strings.Contains(s.Warnings[0].Msg, "without a goroutine header (lines ") {
				t.Errorf("warnings %v", s.Warnings)
			}
		})
		t.Run(name+"/starts inside a frame", func(t *testing.T) {
			s := readPaste(t, name, []byte(strings.Join(lines[hdr+2:], "")))
			g := s.Goroutines[0]
			f0 := first.Frames[0]
			if !g.NoHeader || len(g.Frames) != len(first.Frames) || g.Frames[0].Func != "?" || g.Frames[0].File != f0.File ||
				g.Frames[0].Line != f0.Line || !reflect.DeepEqual(withoutArgs(g.Frames[1:]), withoutArgs(first.Frames[1:])) ||
				!reflect.DeepEqual(argsOf(g)[1:], argsOf(first)[1:]) {
				t.Errorf("first goroutine %s, want the frames of %s", dumpG(g), dumpG(first))
			}
			sameGoroutines(t, s.Goroutines[1:], clean.Goroutines[1:])
			if len(s.Warnings) < 1 || !strings.Contains(s.Warnings[0].Msg, "the input starts inside its top frame") {
				t.Errorf("warnings %v", s.Warnings)
			}
		})
		// Cut inside the function line of the middle goroutine's first frame.
		mid := clean.Goroutines[len(clean.Goroutines)/2]
		if len(mid.Frames) == 0 || strings.Contains(string(raw), "\r\n") {
			continue
		}
		fnLine := -1
		for i := mid.Line; i < len(lines); i++ {
			if strings.HasPrefix(strings.TrimSpace(lines[i]), mid.Frames[0].Func) {
				fnLine = i
				break
			}
		}
		if fnLine < 0 {
			t.Fatalf("%s: function line of goroutine %d not found", name, mid.ID)
		}
		idx := len(clean.Goroutines) / 2
		t.Run(name+"/cut inside a function line", func(t *testing.T) {
			l := lines[fnLine]
			lead := len(l) - len(strings.TrimLeft(l, " \t"))
			keep := lead + min(12, utf8.RuneCountInString(mid.Frames[0].Func)-1)
			cut := strings.Join(lines[:fnLine], "") + l[:keep]
			s := readPaste(t, name, []byte(cut))
			if !s.Truncated || len(s.Goroutines) != idx+1 {
				t.Fatalf("%d goroutines, truncated %v; want %d, truncated", len(s.Goroutines), s.Truncated, idx+1)
			}
			sameGoroutines(t, s.Goroutines[:idx], clean.Goroutines[:idx])
			g := s.Goroutines[idx]
			want := strings.TrimSpace(l[:keep])
			if g.ID != mid.ID || len(g.Frames) != 1 || !g.Frames[0].Cut || g.Frames[0].Func != UnvendorFunc(want) || g.Frames[0].File != "" {
				t.Errorf("cut goroutine %s, want goroutine %d with one frame %q marked cut", dumpG(g), mid.ID, want)
			}
			last := s.Warnings[len(s.Warnings)-1]
			if !strings.Contains(last.Msg, fmt.Sprintf("input ends inside a function line of goroutine %d; kept %q", mid.ID, g.Frames[0].Func)) {
				t.Errorf("warning %v", last)
			}
		})
		t.Run(name+"/cut inside a location", func(t *testing.T) {
			// Inside the path: a cut in the line number would still parse.
			l := lines[fnLine+1]
			cut := strings.Join(lines[:fnLine+1], "") + l[:strings.LastIndexByte(l, '/')]
			s := readPaste(t, name, []byte(cut))
			if !s.Truncated || len(s.Goroutines) != idx+1 {
				t.Fatalf("%d goroutines, truncated %v; want %d, truncated", len(s.Goroutines), s.Truncated, idx+1)
			}
			g := s.Goroutines[idx]
			if len(g.Frames) != 1 || g.Frames[0].Func != mid.Frames[0].Func || g.Frames[0].File != "" || g.Frames[0].Cut {
				t.Errorf("cut goroutine %s, want its first frame without a location", dumpG(g))
			}
			last := s.Warnings[len(s.Warnings)-1]
			if !strings.Contains(last.Msg, "input ends in the middle of a goroutine's stack") {
				t.Errorf("warning %v", last)
			}
		})
	}
}

// TestReadTextPasteSniffed reads every paste variant through Read, as the
// command does: the format is sniffed from content, so a quoted, fenced
// or escaped dump must still be taken for a goroutine dump.
func TestReadTextPasteSniffed(t *testing.T) {
	raw := vtRaw(t, "go"+vtLatest+"/debug2.txt")
	for _, tr := range pasteTransforms {
		c, err := Read(bytes.NewReader(tr.apply(raw)), tr.name, Options{})
		if err != nil || len(c.Snapshots) != 1 || c.Snapshots[0].Source.Format != FormatGoroutineText {
			t.Errorf("%s: %v", tr.name, err)
		}
	}
}
