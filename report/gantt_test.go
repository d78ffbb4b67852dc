package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// ganttFinding is a convoy as the trace pass times it: a holder stuck on a
// request since +1s, 199 waiters queued from +1.2s, and a closed link that
// was woken; the chart draws it from the Document, as the CLI does.
func ganttFinding() *Finding {
	return docFinding(ganttDiagnosis())
}

// docFinding is the document form of a detectors finding.
func docFinding(f *detectors.Finding) *Finding {
	d := Build(nil, &detectors.Diagnosis{Findings: []*detectors.Finding{f}}, Tool{Name: "ctxhole"})
	return &d.Findings[0]
}

func ganttDiagnosis() *detectors.Finding {
	return &detectors.Finding{
		TraceEnd: 5 * time.Second,
		Chain: []detectors.Link{
			{Depth: 0, Relation: detectors.RelRoot, Goroutines: 1, IDs: []int64{8},
				Function: "main.(*priceCache).refresh", Timed: true, Start: time.Second, End: -1},
			{Depth: 1, Relation: detectors.RelWaitsOn, Goroutines: 199, IDs: []int64{6, 7},
				Function: "sync.(*Mutex).Lock", Timed: true, Start: 1200 * time.Millisecond, End: -1,
				Wakes: []*parser.WakeEdge{{Kind: parser.WakeGoroutine, Count: 4, Wakers: []int64{8},
					WakerFrames: []parser.Frame{{Func: "sync.(*Mutex).Unlock"}, {Func: "main.(*priceCache).get"}},
					First:       200 * time.Millisecond, Last: 900 * time.Millisecond, MaxWait: 3 * time.Millisecond,
					WakerPrior: &parser.BlockInterval{Start: 0, End: 100 * time.Millisecond, Reason: "IO wait"}}}},
			{Depth: 1, Relation: detectors.RelWokenBy, Goroutines: 3, IDs: []int64{30, 31, 32},
				Function: "example.com/x/pkg.wait\x1b[31m", Timed: true, Start: 2 * time.Second, End: 4 * time.Second,
				Wakes: []*parser.WakeEdge{{Kind: parser.WakeDeadline, Count: 3, First: 4 * time.Second, Last: 4 * time.Second, MaxWait: 2 * time.Second}}},
			{Depth: 2, Relation: detectors.RelSpawnedBy, Goroutines: 2, Function: "main.untimed"},
		},
	}
}

func TestWriteGantt(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGantt(&buf, ganttFinding(), 100); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	rows := map[string]string{}
	for _, l := range lines {
		if len([]rune(l)) > 100 {
			t.Errorf("line is %d columns wide, want at most 100: %q", len([]rune(l)), l)
		}
		for _, key := range []string{"G8 ", "199x", "3x", "main.untimed"} {
			if strings.Contains(l, key) && !strings.HasPrefix(strings.TrimSpace(l), "<-") {
				rows[key] = l
			}
		}
	}
	if len(rows) != 4 {
		t.Fatalf("missing rows, got:\n%s", out)
	}
	// Time-aligned: bars start where their offsets fall on one axis.
	bar := func(key string) string {
		l := rows[key]
		i, j := strings.IndexByte(l, '|'), strings.LastIndexByte(l, '|')
		if i < 0 || j <= i {
			t.Fatalf("row %q has no bar: %q", key, l)
		}
		return l[i+1 : j]
	}
	root, waiters, woken := bar("G8 "), bar("199x"), bar("3x")
	if len(root) != len(waiters) || len(root) != len(woken) {
		t.Fatalf("bars of different widths: %d %d %d", len(root), len(waiters), len(woken))
	}
	w := len(root)
	if got, want := strings.IndexByte(root, '#'), w/5; got != want {
		t.Errorf("root bar starts at column %d, want %d (+1s of 5s): %q", got, want, root)
	}
	if strings.IndexByte(waiters, '#') <= strings.IndexByte(root, '#') {
		t.Errorf("waiters' bar does not start after the holder's: %q vs %q", waiters, root)
	}
	if !strings.HasSuffix(root, ">") || !strings.HasSuffix(waiters, ">") {
		t.Errorf("still-blocked links must end in '>': %q %q", root, waiters)
	}
	if got, want := strings.LastIndexByte(woken, '#'), w*4/5; got != want || strings.Contains(woken, ">") {
		t.Errorf("woken link's bar ends at %d, want %d with no '>': %q", got, want, woken)
	}
	for key, want := range map[string]string{
		"G8 ":          "+1s, never woken (4s)",
		"3x":           "+2s..+4s (2s)",
		"main.untimed": "(no trace timing)",
	} {
		if !strings.Contains(rows[key], want) {
			t.Errorf("row %q = %q, want it to contain %q", key, rows[key], want)
		}
	}
	// Wake lines wrap to the width; read them as one text.
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"<- 4 woken by G8 in main.(*priceCache).get, +200ms..+900ms, waits up to 3ms, after its own 100ms IO wait",
		"<- 3 woken by their context deadline firing",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("control characters reached the output: %q", out)
	}
}

func TestWriteGanttUntimedAndNarrow(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteGantt(&buf, docFinding(&detectors.Finding{Chain: []detectors.Link{{Function: "main.f"}}}), 80); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "no execution trace timed") {
		t.Errorf("untimed finding: %q", buf.String())
	}
	buf.Reset()
	if err := WriteGantt(&buf, ganttFinding(), 10); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "|") && len([]rune(l)) > 60+ganttNoteWidth {
			t.Errorf("narrow width not honoured (minimum %d): %q", ganttMinWidth, l)
		}
	}
	if err := WriteGantt(&buf, nil, 80); err == nil {
		t.Error("nil finding: want an error")
	}
	if err := WriteGantt(failWriter{}, ganttFinding(), 80); err == nil {
		t.Error("failing writer: want its error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestWriteGanttOnset: a root a clocked trace saw block is dated on the
// timeline, to the millisecond; an undated one says nothing of an onset.
func TestWriteGanttOnset(t *testing.T) {
	f := ganttDiagnosis()
	f.Root.BlockedAt = time.Date(2026, 12, 2, 12, 7, 44, 877_000_000, time.UTC)
	var buf bytes.Buffer
	if err := WriteGantt(&buf, docFinding(f), 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "onset: the root blocked at 2026-12-02 12:07:44.877 UTC") {
		t.Errorf("timeline does not date the onset:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteGantt(&buf, ganttFinding(), 100); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "onset") {
		t.Errorf("an undated root got an onset line:\n%s", buf.String())
	}
}
