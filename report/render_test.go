package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestWriteTable(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	c := &parser.Capture{Snapshots: []*parser.Snapshot{live}, Warnings: []parser.Warning{{File: "a.txt", Line: 7, Offset: -1, Msg: "stray log line"}}}
	finding := func(timed bool) *detectors.Diagnosis {
		return &detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, timed)}}
	}
	tests := []struct {
		name    string
		r       *detectors.Diagnosis
		opts    Options
		want    []string
		notWant []string
	}{
		{
			name: "groups before any finding",
			want: []string{"INPUTS", "GOROUTINES BY STATE", "sync.Mutex.Lock", "WARNINGS (1)", "a.txt:7: stray log line",
				"FINDINGS", "none:", "GOROUTINE GROUPS", "report.queueOnLock"},
			notWant: []string{"\x1b"},
		},
		{
			name: "finding with chain",
			r:    finding(false),
			want: []string{"FINDINGS (1", "critical", "mutex-convoy", "Do not block on a channel while holding a lock",
				"  chain:\n    root (proven): 1 goroutine in ", "\n      `- waits-on (proven): 3 goroutines in "},
			notWant: []string{"\x1b", "pwned", "root stack", "example:"},
		},
		{
			name: "verbose adds stacks, evidence and fix code",
			r:    finding(false),
			opts: Options{Verbose: true},
			want: []string{"root stack (goroutine ", "=> ", "report.holdLockAndWait", "(=> first application frame)",
				"evidence:", "[argument] waiters share the lock word", "fix detail:", "example:\n    | select {",
				"confidence 0.85 because:", "contention profiles:", "why:\n    The holder waits", "on 0xc000123450"},
			notWant: []string{"\x1b"},
		},
		{
			name: "traced links say what the trace saw",
			r:    finding(true),
			want: []string{"; never woken in the trace", "; released after 2s; 3 woken by deadline"},
		},
		{
			name: "verbose traced links show offsets",
			r:    finding(true),
			opts: Options{Verbose: true},
			want: []string{"@ +840ms -> never woken (4.16s to the end of the trace)", "@ +850ms -> +2.85s (2s); 3 woken by deadline"},
		},
		{
			name:    "colour only styles, never capture text",
			r:       finding(false),
			opts:    Options{Color: true},
			want:    []string{"\x1b[1m", ansiBold + ansiRed + "critical" + ansiReset},
			notWant: []string{"\x1b]0;", "\x1b[2J"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTable(&buf, Build(c, tt.r, testTool), tt.opts); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q\n%s", w, out)
				}
			}
		})
	}
}

func TestWriteTableIsDeterministic(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	c := &parser.Capture{Snapshots: []*parser.Snapshot{live, aggregatedSnapshot(live)}}
	r := &detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, true)}}
	var first string
	for i := range 5 {
		var buf bytes.Buffer
		if err := WriteTable(&buf, Build(c, r, testTool), Options{Verbose: true}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.String()
		} else if buf.String() != first {
			t.Fatalf("run %d differs from run 0", i)
		}
	}
}

func TestGroupsLimit(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	d := Build(&parser.Capture{Snapshots: []*parser.Snapshot{live}}, nil, testTool)
	if len(d.Groups) < 3 {
		t.Fatalf("live dump has %d groups, want >= 3", len(d.Groups))
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, d, Options{MaxGroups: 2}); err != nil {
		t.Fatal(err)
	}
	if want := "top 2 of "; !strings.Contains(buf.String(), want) {
		t.Errorf("limited table lacks %q\n%s", want, buf.String())
	}
	if !strings.Contains(buf.String(), "-v shows all") {
		t.Errorf("limited table does not say how to see all groups")
	}
}

func TestWriteMarkdown(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	c := &parser.Capture{Snapshots: []*parser.Snapshot{live}}
	tests := []struct {
		name    string
		r       *detectors.Diagnosis
		want    []string
		notWant []string
	}{
		{
			name: "no findings",
			want: []string{"# Goroutine analysis: no timeout hole found", "## Summary", "## Goroutine groups", "## Inputs", "`live.txt`"},
		},
		{
			name: "dump finding",
			r:    &detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, false)}},
			want: []string{
				"# Incident: 3 goroutines queue on a lock", "**Principal root cause:** `mutex-convoy` (critical, root proven, confidence 0.85)",
				"## Timeline of the root cause", "From the wait durations", "| >=3m before capture | 1 goroutine blocked in `",
				"## 1. CRITICAL `mutex-convoy`", "**Blocking chain**\n\n```\nroot (proven): 1 goroutine in ",
				"**Root stack** (goroutine ", "=> github.com/ctxhole/ctxhole/report.holdLockAndWait",
				"**Fix:** Do not block on a channel while holding a lock", "```go\nselect {\ncase <-ch:",
			},
			notWant: []string{"\x1b", "pwned"},
		},
		{
			name: "traced finding",
			r:    &detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, true)}},
			want: []string{"Offsets from the start of the execution trace.", "| +840ms | 1 goroutine in `",
				"| +850ms | 3 goroutines in `", "`github.com/ctxhole/ctxhole/report.queueOnLock` block (waits-on) |",
				"| end of trace, +5s | still blocked, never woken: 1 goroutine in `", "| +2.85s | 3 goroutines in `", "released: 3 by deadline"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteMarkdown(&buf, Build(c, tt.r, testTool), Options{}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("markdown lacks %q\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("markdown has %q", w)
				}
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"code plain", code("database/sql.(*DB).conn"), "`database/sql.(*DB).conn`"},
		{"code with backtick", code("a`b"), "``a`b``"},
		{"code edge backtick", code("`x"), "`` `x ``"},
		{"text", mdText("a*b_c|d"), `a\*b\_c|d`},
		{"html and entities", mdText("<img src=x> &lt; ![i](x)"), `\<img src=x\> \&lt; \!\[i\](x)`},
		{"autolinks", mdText("see https://evil.example and www.evil.example"), `see https:\/\/evil.example and www\.evil.example`},
		{"cell", mdCell("a|b\nc"), `a\|b c`},
		{"escaped text in a cell", mdCell(mdText("a|b")), `a\|b`},
		{"code in a cell", mdCell(code("a|b")), "`a\\|b`"},
		{"fence grows", fence("```inner```", "go"), "````go\n```inner```\n````\n"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestDocumentWait checks that the document's float seconds print through
// the one wait formatter as the dump or trace measured them.
func TestDocumentWait(t *testing.T) {
	tests := []struct {
		s     float64
		known bool
		want  string
	}{
		{0, false, "-"},
		{120, true, ">=2m"},
		{3600, true, ">=1h"},
		{5400, true, ">=1h30m"},
		{4.1634, true, "4.16s"},
		{0.84, true, "840ms"},
		{0, true, "0s"},
	}
	for _, tt := range tests {
		if got := human.Wait(FromSeconds(tt.s), tt.known); got != tt.want {
			t.Errorf("human.Wait(FromSeconds(%v), %v) = %q, want %q", tt.s, tt.known, got, tt.want)
		}
	}
}

func TestRootCell(t *testing.T) {
	stack := []Frame{
		{Function: "github.com/lib/pq.(*conn).startup", File: "github.com/lib/pq/conn.go", Line: 1100},
		{Function: "main.(*server).orderStatus", File: "svc/main.go", Line: 115},
	}
	tests := []struct {
		name string
		root Root
		want string
	}{
		{"blocked in a library, called from the application",
			Root{Function: stack[0].Function, File: stack[0].File, Line: 1100, Stack: stack, AppFrame: 1},
			"github.com/lib/pq.(*conn).startup\npq/conn.go:1100\ncalled from main.(*server).orderStatus\nsvc/main.go:115"},
		{"blocked in the application itself",
			Root{Function: stack[1].Function, File: stack[1].File, Line: 115, Stack: stack, AppFrame: 1},
			"main.(*server).orderStatus\nsvc/main.go:115"},
		{"no application frame",
			Root{Function: stack[0].Function, File: stack[0].File, Line: 1100, Stack: stack[:1], AppFrame: -1},
			"github.com/lib/pq.(*conn).startup\npq/conn.go:1100"},
	}
	for _, tt := range tests {
		if got := rootCell(tt.root); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStackExcerpt(t *testing.T) {
	var stack []Frame
	for i := range 30 {
		stack = append(stack, Frame{Function: fmt.Sprintf("pkg.f%d", i), File: "f.go", Line: i + 1})
	}
	r := Root{Function: "pkg.f10", Stack: stack, AppFrame: 20}
	got := stackExcerpt(r, false)
	for _, want := range []string{"pkg.f0\n", "pkg.f1\n", "... 7 frames ...", "pkg.f9\n", "pkg.f10\n", "pkg.f11\n",
		"... 6 frames ...", "pkg.f18\n", "=> pkg.f20\n", "pkg.f22\n", "... 7 frames ..."} {
		if !strings.Contains(got, want) {
			t.Errorf("excerpt lacks %q:\n%s", want, got)
		}
	}
	for _, notWant := range []string{"pkg.f2\n", "pkg.f15\n", "pkg.f23\n"} {
		if strings.Contains(got, notWant) {
			t.Errorf("excerpt has %q:\n%s", notWant, got)
		}
	}
	if all := stackExcerpt(r, true); strings.Count(all, "pkg.f") != 30 || strings.Contains(all, "...") {
		t.Errorf("verbose excerpt is not the whole stack:\n%s", all)
	}
}

func TestWriteTableFitsWidth(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	d := Build(&parser.Capture{Snapshots: []*parser.Snapshot{live}},
		&detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, false)}}, testTool)
	// 100 is about the narrowest the findings table's fixed columns
	// (number, severity, category, counts, wait) leave room in.
	for _, width := range []int{100, 140} {
		var buf bytes.Buffer
		if err := WriteTable(&buf, d, Options{Width: width}); err != nil {
			t.Fatal(err)
		}
		rows := 0
		for line := range strings.SplitSeq(buf.String(), "\n") {
			if !strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "|") {
				continue // free text (titles, chains) is not a table row
			}
			rows++
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: table line of %d columns: %s", width, n, line)
			}
		}
		if rows == 0 {
			t.Fatal("no table lines")
		}
	}
}

func TestWrapText(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"set connect_timeout in the lib/pq DSN", 16, "set\nconnect_timeout\nin the lib/pq\nDSN"},
		{"github.com/lib/pq.(*conn).startup", 20, "github.com/lib/pq.\n(*conn).startup"},
		{"abcdefghijklmnopqrstuvwxyz", 10, "abcdefghij\nklmnopqrst\nuvwxyz"},
		{"short", 10, "short"},
		{"two\nlines here", 5, "two\nlines\nhere"},
	}
	for _, tt := range tests {
		if got := wrapText(tt.in, tt.width); got != tt.want {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

func TestFitColumns(t *testing.T) {
	header := []string{"n", "name", "fix"}
	rows := [][]string{{"1", "github.com/acme/orders.(*Service).Place", "give the client a timeout and pass the request context"}}
	got := fitColumns(60, header, rows, []int{1, 2})
	for c, cell := range got[0] {
		for line := range strings.SplitSeq(cell, "\n") {
			if c > 0 && utf8.RuneCountInString(line) > 25 {
				t.Errorf("column %d line %q is wider than its share", c, line)
			}
		}
	}
	if got[0][0] != "1" || rows[0][1] != "github.com/acme/orders.(*Service).Place" {
		t.Errorf("fixed column changed or input modified: %q", got[0])
	}
	if same := fitColumns(200, header, rows, []int{1, 2}); same[0][2] != rows[0][2] {
		t.Errorf("a table that fits was rewrapped: %q", same[0][2])
	}
}

// TestTableFitsWidth renders tables whose flexible columns have headers
// wider than their share (the verbose groups table at 80 columns): the
// headers are not wrapped, so the other columns give way, and no line is
// wider than the terminal (down to the width the fixed columns and the
// headers need, 69 here).
func TestTableFitsWidth(t *testing.T) {
	header := []string{"input", "count", "state", "wait", "top frame", "first app frame"}
	rows := [][]string{
		{"1", "279", "chan receive", ">=1m to >=2m", "main.(*server).notifyOnShip\nincidents/goroutine-leak/main.go:80", "main.(*server).notifyOnShip\nincidents/goroutine-leak/main.go:80"},
		{"12", "1,234", "sync.RWMutex.RLock", "-", "internal/poll.runtime_pollWait\nruntime/netpoll.go:351", ""},
	}
	for _, width := range []int{69, 72, 80, 100} {
		var b bytes.Buffer
		tw := &textWriter{w: &b, width: width}
		tw.table(tableSpec{header: header, rows: rows, right: []int{0, 1}, flex: []int{2, 3, 4, 5}, rowLines: true})
		if tw.err != nil {
			t.Fatal(tw.err)
		}
		for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line is %d wide: %q", width, n, line)
			}
		}
		if !strings.Contains(b.String(), "FIRST APP FRAME") {
			t.Errorf("width %d: the header was cut:\n%s", width, b.String())
		}
	}
}

// TestRenderSparseFindings: findings with missing parts (no stack, an
// application frame index out of range, a timed link with no trace end, a
// nil wake edge) render in every format without panicking and validate.
func TestRenderSparseFindings(t *testing.T) {
	sch := compileSchema(t)
	tests := []struct {
		name string
		f    *detectors.Finding
	}{
		{"bare finding", &detectors.Finding{Category: detectors.CatUnclassified}},
		{"app frame out of range", &detectors.Finding{Category: detectors.CatUnclassified, Root: detectors.Root{AppFrame: 5}}},
		{"negative app frame", &detectors.Finding{Category: detectors.CatCondWait, Root: detectors.Root{AppFrame: -7,
			Frames: []parser.Frame{{Func: "sync.(*Cond).Wait", File: "sync/cond.go", Line: 70}}}}},
		{"timed link without a trace end", &detectors.Finding{Category: detectors.CatChanSendBlocked,
			Chain: []detectors.Link{{Relation: detectors.RelRoot, Timed: true, Start: time.Second, End: -1, Wakes: []*parser.WakeEdge{nil}}}}},
		{"growth without a rate", &detectors.Finding{Category: detectors.CatGoroutineLeak, Growth: &detectors.Growth{From: 1, To: 9, Snapshots: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Build(&parser.Capture{}, &detectors.Diagnosis{Findings: []*detectors.Finding{tt.f}}, testTool)
			var buf bytes.Buffer
			if err := WriteTable(&buf, d, Options{Verbose: true}); err != nil {
				t.Fatal(err)
			}
			if err := WriteMarkdown(&buf, d, Options{Verbose: true}); err != nil {
				t.Fatal(err)
			}
			buf.Reset()
			if err := WriteJSON(&buf, d); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("does not validate: %v", err)
			}
		})
	}
}

func TestMarkdownTimelineFromTraceStart(t *testing.T) {
	f := &detectors.Finding{
		Category: detectors.CatLockCycle, Severity: detectors.SevCritical, TraceEnd: 5 * time.Second,
		Chain: []detectors.Link{
			{Relation: detectors.RelRoot, Goroutines: 1, Function: "main.(*ledger).transfer", Timed: true, Start: 0, End: -1},
			{Depth: 1, Relation: detectors.RelCycle, Goroutines: 1, Function: "main.(*ledger).transfer", Timed: true, Start: 0, End: -1},
		},
	}
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, Build(&parser.Capture{}, &detectors.Diagnosis{Findings: []*detectors.Finding{f}}, testTool), Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"| trace start | 1 goroutine in `main.(*ledger).transfer` already blocked (root) |",
		"| end of trace, +5s | still blocked, never woken: 1 goroutine in `main.(*ledger).transfer`; 1 goroutine in `main.(*ledger).transfer` |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
}
