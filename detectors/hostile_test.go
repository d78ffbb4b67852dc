package detectors

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// distinctStacks is a dump of n goroutines, each with its own 30-frame
// stack: n goroutine groups.
func distinctStacks(t *testing.T, n int) *parser.Capture {
	t.Helper()
	var b strings.Builder
	for id := 1; id <= n; id++ {
		fmt.Fprintf(&b, "goroutine %d [chan receive, 5 minutes]:\n", id)
		for f := 0; f < 30; f++ {
			fmt.Fprintf(&b, "github.com/acme/svc/internal/pkg%d.(*Handler%d).Method%d(...)\n\t/src/f%d.go:%d +0x1\n", f, id, f, f, id)
		}
		b.WriteString("created by main.main in goroutine 1\n\t/src/main.go:9 +0x2a\n\n")
	}
	snaps, err := parser.ReadText(strings.NewReader(b.String()), "distinct.txt")
	if err != nil {
		t.Fatal(err)
	}
	return &parser.Capture{Snapshots: snaps}
}

// hostileSignatures is a --signatures file at every limit: the most rows,
// each with the most patterns, wildcard anchors that match every stack and
// Not patterns that make every row scan to the end, using all the distinct
// wildcard patterns allowed.
func hostileSignatures() string {
	var rows []string
	w := 0
	wildcard := func() string {
		w++
		return fmt.Sprintf(`"*a*c*m*e*z*z*z*%d"`, w%(maxWildcardPatterns-1))
	}
	for i := 0; i < maxUserSignatures; i++ {
		not := make([]string, maxRowPatterns)
		for k := range not {
			not[k] = wildcard()
		}
		rows = append(rows, fmt.Sprintf(`{"id":"r%d","frames":["*acme*"],"not":[%s],"category":"chan-recv-blocked"}`, i, strings.Join(not, ",")))
	}
	return `{"signatures":[` + strings.Join(rows, ",") + `]}`
}

// TestHostileSignatures: a signatures file at every limit costs a bounded
// time on a dump of 2,000 distinct stacks (the unindexed tables took over
// 100 s on this input); files over the limits are refused naming them.
func TestHostileSignatures(t *testing.T) {
	if raceEnabled {
		t.Skip("a timing bound; the race detector multiplies the time")
	}
	sigs, err := parseSignatures("max.json", []byte(hostileSignatures()))
	if err != nil {
		t.Fatal(err)
	}
	c := distinctStacks(t, 2000)
	// Measured against the same analysis without the file, in the same
	// run, so a loaded machine slows both alike.
	analyze := func(opts Options) time.Duration {
		start := time.Now()
		if _, err := Analyze(c, opts); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	base := analyze(Options{})
	hostile := analyze(Options{Signatures: sigs})
	t.Logf("analysis %v without the file, %v with its %d rows (%.1fx)", base, hostile, len(sigs), float64(hostile)/float64(base))
	if hostile > 40*base+time.Second {
		t.Errorf("analysis with %d rows took %v, %.0fx the %v without them", len(sigs), hostile, float64(hostile)/float64(base), base)
	}

	row := func(frames string) string {
		return `{"id":"x","frames":[` + frames + `],"category":"chan-recv-blocked"}`
	}
	many := make([]string, maxUserSignatures+1)
	for i := range many {
		many[i] = row(`"main.f"`)
	}
	distinct := make([]string, maxWildcardPatterns+1)
	for i := range distinct {
		distinct[i] = row(fmt.Sprintf(`"main.*%d"`, i))
	}
	for _, tt := range []struct{ name, rows, want string }{
		{"rows", strings.Join(many, ","), "rows, over the limit of 1000"},
		{"patterns", row(strings.Repeat(`"main.f",`, maxRowPatterns) + `"main.g"`), "frames: 17 entries, over the limit of 16"},
		{"length", row(`"main.` + strings.Repeat("x", maxPatternBytes) + `"`), "bytes, over the limit of 512"},
		{"wildcards", row(`"main.` + strings.Repeat("*x", maxPatternWildcards+1) + `"`), "9 wildcards, over the limit of 8"},
		{"distinct wildcards", strings.Join(distinct, ","), "257 distinct patterns with a wildcard"},
	} {
		_, err := parseSignatures("big.json", []byte(`{"signatures":[`+tt.rows+`]}`))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestSigIndexMatchesEveryRow: the index picks the row that trying every
// row of the table in order picks, on the built-in tables and every group
// of the fixture captures.
func TestSigIndexMatchesEveryRow(t *testing.T) {
	sigs := append(builtinSignatures(), backgroundSignatures()...)
	x := newSigIndex(sigs)
	for _, name := range []string{"db-driver-no-ctx", "mutex-convoy", "http-client-no-timeout", "grpc-stream-no-deadline", "healthy"} {
		c, err := parser.Load([]string{"../fixtures/captures/" + name + "/goroutine-debug2.txt"}, parser.Options{})
		if err != nil {
			t.Skipf("fixture: %v", err)
		}
		for _, g := range parser.GroupGoroutines(c.Snapshots[0].Goroutines) {
			reason := effectiveReason(g)
			var want sigMatch
			found := false
			for i := range sigs {
				m, ok := sigs[i].match(g.Frames, reason)
				if ok && (!found || m.better(want)) {
					want, found = m, true
				}
			}
			got, ok := x.best(x.view(g.Frames), reason)
			if ok != found || found && (got.sig.ID != want.sig.ID || got.anchor != want.anchor) {
				t.Errorf("%s: index chose %v, every row %v", name, got.sig, want.sig)
			}
		}
	}
}
