package parser

import (
	"bytes"
	"html"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// debug1Transforms are the ways a debug=1 profile reaches ctxhole from an
// issue thread, each lossless: the records read must be the clean ones.
var debug1Transforms = []struct {
	name  string
	apply func(raw []byte) []byte
}{
	{"Markdown quote", func(raw []byte) []byte { return quoteLines(raw, "> ") }},
	{"nested Markdown quote", func(raw []byte) []byte { return quoteLines(raw, "> > ") }},
	{"HTML entities, quoted", func(raw []byte) []byte { return []byte(html.EscapeString(string(quoteLines(raw, "> ")))) }},
	{"code fence", func(raw []byte) []byte { return []byte("Here:\n\n```\n" + withNewline(raw) + "```\n") }},
	{"details and pre", func(raw []byte) []byte {
		return []byte("<details><summary>debug=1</summary>\n<pre>\n" + withNewline(raw) + "</pre></details>\n")
	}},
	// GitHub renders "#\t..." as a heading: the copied text has no "#".
	{"rendered: no # and spaces", func(raw []byte) []byte {
		return eachLine(raw, func(_ int, l string) string {
			if rest, ok := strings.CutPrefix(l, "#\t"); ok && !strings.HasPrefix(l, "# labels") {
				return strings.Join(strings.Fields(rest), " ")
			}
			return l
		})
	}},
	{"spaces for #\\t", func(raw []byte) []byte {
		return eachLine(raw, func(_ int, l string) string {
			if rest, ok := strings.CutPrefix(l, "#\t"); ok {
				return "    " + strings.ReplaceAll(rest, "\t", "  ")
			}
			return l
		})
	}},
	{"indented", func(raw []byte) []byte { return quoteLines(raw, "    ") }},
	{"CRLF", func(raw []byte) []byte { return bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n")) }},
	{"wrapped at 80 columns", func(raw []byte) []byte { return wrapColumns(raw, 80) }},
	{"wrapped at 120 columns", func(raw []byte) []byte { return wrapColumns(raw, 120) }},
}

// debug1Bases are the clean debug=1 captures the variants are made from.
func debug1Bases(t *testing.T) map[string][]byte {
	bases := map[string][]byte{
		"go" + vtLatest + "/debug1.txt":      vtRaw(t, "go"+vtLatest+"/debug1.txt"),
		"go" + vtLatest + "/leak-debug1.txt": vtRaw(t, "go"+vtLatest+"/leak-debug1.txt"),
		"go1.17.13/debug1.txt":               vtRaw(t, "go1.17.13/debug1.txt"),
	}
	if dir := testrepo.RealWorldDir(); dir != "" {
		for _, f := range []string{"20-colly-crawler-chan-send-pileup-debug1.txt", "25-cdk-erigon-txgaslogger-5067-debug1.txt"} {
			if b, err := os.ReadFile(dir + "/" + f); err == nil {
				bases[f] = b
			}
		}
	}
	return bases
}

func readDebug1One(t *testing.T, name string, raw []byte) *Snapshot {
	t.Helper()
	ss, err := readDebug1(bytes.NewReader(raw), name)
	if err != nil {
		t.Fatalf("readDebug1(%s): %v", name, err)
	}
	if len(ss) != 1 {
		t.Fatalf("%s: %d snapshots, want 1", name, len(ss))
	}
	return ss[0]
}

func TestReadDebug1PasteVariants(t *testing.T) {
	for name, raw := range debug1Bases(t) {
		clean := readDebug1One(t, name, raw)
		for _, tr := range debug1Transforms {
			t.Run(name+"/"+tr.name, func(t *testing.T) {
				pasted := tr.apply(raw)
				s := readDebug1One(t, name, pasted)
				if len(s.Warnings) != len(clean.Warnings) || s.DeclaredTotal != clean.DeclaredTotal || s.Truncated != clean.Truncated {
					t.Errorf("warnings %v total %d truncated %v, want %v %d %v", s.Warnings, s.DeclaredTotal, s.Truncated, clean.Warnings, clean.DeclaredTotal, clean.Truncated)
				}
				sameGoroutines(t, s.Goroutines, clean.Goroutines)
				// Sniffed as debug=1 whatever the wrapping.
				c, err := Read(bytes.NewReader(pasted), name, Options{})
				if err != nil || len(c.Snapshots) != 1 || c.Snapshots[0].Source.Format != FormatGoroutineDebug1 {
					t.Errorf("Read: %v", err)
				}
			})
		}
	}
	if n := wrappedLines(vtRaw(t, "go"+vtLatest+"/debug1.txt"), 80); n < 100 {
		t.Errorf("debug1.txt has %d lines over 80 columns; the wrap test needs long lines", n)
	}
}

// TestReadDebug1PasteLossy reads the pastes that lose something: the
// header line (the total can no longer be checked), the PC column (the
// frames keep function and location), the paste cut inside a frame line.
func TestReadDebug1PasteLossy(t *testing.T) {
	header := regexp.MustCompile(`(?m)^goroutine(leak)? profile: total \d+\n`)
	pcColumn := regexp.MustCompile(`(?m)^#\t0x[0-9a-f]+\t`)
	for name, raw := range debug1Bases(t) {
		clean := readDebug1One(t, name, raw)
		t.Run(name+"/no header", func(t *testing.T) {
			s := readDebug1One(t, name, header.ReplaceAll(raw, nil))
			if s.DeclaredTotal != 0 || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0].Msg, `no "goroutine profile: total N" header`) {
				t.Errorf("total %d warnings %v", s.DeclaredTotal, s.Warnings)
			}
			if strings.Contains(name, "leak") {
				// The leak profile's name was in the header: its records
				// read as waiting, with the frames of the clean ones.
				for i, g := range s.Goroutines {
					if g.Status == StatusLeaked || !reflect.DeepEqual(g.Frames, clean.Goroutines[i].Frames) {
						t.Errorf("record %d: %s", i, dumpG(g))
					}
				}
			} else {
				sameGoroutines(t, s.Goroutines, clean.Goroutines)
			}
			c, err := Read(bytes.NewReader(header.ReplaceAll(raw, nil)), name, Options{})
			if err != nil || c.Snapshots[0].Source.Format != FormatGoroutineDebug1 {
				t.Errorf("Read: %v", err)
			}
		})
		t.Run(name+"/no PC column", func(t *testing.T) {
			s := readDebug1One(t, name, pcColumn.ReplaceAll(raw, []byte("#\t")))
			if len(s.Warnings) != len(clean.Warnings) || len(s.Goroutines) != len(clean.Goroutines) {
				t.Fatalf("%d records, warnings %v", len(s.Goroutines), s.Warnings)
			}
			for i, g := range s.Goroutines {
				c := clean.Goroutines[i]
				if g.Count != c.Count || len(g.Frames) != len(c.Frames) || !reflect.DeepEqual(g.Labels, c.Labels) {
					t.Fatalf("record %d: %s, want %s", i, dumpG(g), dumpG(c))
				}
				for j, f := range g.Frames {
					cf := c.Frames[j]
					cf.PC = 0
					if !reflect.DeepEqual(f, cf) {
						t.Errorf("record %d frame %d: %+v, want %+v", i, j, f, cf)
					}
				}
				// Without PCs the reader cannot see that the innermost
				// PC had no frame line (a runtime park): the state the
				// frames give is kept.
				status, reason := inferReason(g.Frames)
				if c.Status == StatusLeaked {
					status = StatusLeaked
				}
				if g.Status != status || g.Reason != reason {
					t.Errorf("record %d: %v %q, want %v %q from its frames", i, g.Status, g.Reason, status, reason)
				}
			}
		})
	}
}
