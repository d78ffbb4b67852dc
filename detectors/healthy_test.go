package detectors

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// healthyFixtures are the fixture services that are working normally.
var healthyFixtures = []string{"healthy", "healthy-churn", "healthy-idle", "http-idle-connections"}

// healthyRealWorld are real dumps of services working normally (or with
// nothing stated wrong) and the highest severity allowed on each: 29 is
// its author's "normal" baseline and 30 an idle relay (nothing above low);
// 23 is a demo with a thousand consumers, each with its own loops (no
// high: a pile by count alone is suspicious, not a page). 24 and 18 are
// measured and published, not asserted: nobody stated them healthy and
// they hold real long waits (18: outbound HTTP calls and a Postgres
// advisory lock waited on for 16-19 hours).
var healthyRealWorld = []struct {
	file   string
	max    Severity
	assert bool
}{
	{"29-aprilsh-server-normal-sigquit-annotated-healthy.txt", SevLow, true},
	{"30-orly-relay-sigquit-after-trace-log.txt", SevLow, true},
	{"23-nats-server-jetstream-1000-consumers-debug1-crlf.txt", SevMedium, true},
	{"24-cdk-erigon-node-l1syncer-debug2.txt", 0, false},
	{"18-concourse-atc-swirly-example-huge-debug2.txt", 0, false},
}

// healthyInputs lists every healthy input the false-positive table is
// measured on: each fixture bundle as a whole, each of its goroutine
// captures and traces alone, and the real dumps present.
func healthyInputs(t *testing.T) (inputs []healthyInput) {
	root := repoRoot(t)
	for _, name := range healthyFixtures {
		dir := filepath.Join(root, "fixtures", "captures", name)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		inputs = append(inputs, healthyInput{name: name + " (bundle)", paths: []string{dir}, assert: true, max: SevLow})
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			base := filepath.Base(f)
			if base == "manifest.json" || strings.HasPrefix(base, "mutex") || strings.HasPrefix(base, "block") {
				continue
			}
			inputs = append(inputs, healthyInput{name: name + "/" + base, paths: []string{f}, assert: true, max: SevLow})
		}
	}
	if dir := testrepo.RealWorldDir(); dir != "" {
		for _, rw := range healthyRealWorld {
			p := filepath.Join(dir, rw.file)
			if _, err := os.Stat(p); err == nil {
				inputs = append(inputs, healthyInput{name: rw.file, paths: []string{p}, assert: rw.assert, max: rw.max, realWorld: true})
			}
		}
	}
	return inputs
}

type healthyInput struct {
	name      string
	paths     []string
	assert    bool
	max       Severity // the highest severity allowed when assert is set
	realWorld bool
}

// TestHealthyFalsePositives measures, per category, how many healthy
// inputs get a finding above low (the README's false-positive table, so
// that --fail-on high can be automated) and asserts there are none on the
// inputs known healthy.
func TestHealthyFalsePositives(t *testing.T) {
	inputs := healthyInputs(t)
	if len(inputs) == 0 {
		t.Skip("no healthy captures present")
	}
	type tally struct{ above, high, any int }
	perCat := map[Category]*tally{}
	aboveLow := 0
	for _, in := range inputs {
		r := analyzeLoaded(t, in.paths...)
		seenAbove, seenHigh, seenAny := map[Category]bool{}, map[Category]bool{}, map[Category]bool{}
		worst := SevInfo
		for _, f := range r.Findings {
			seenAny[f.Category] = true
			worst = max(worst, f.Severity)
			seenHigh[f.Category] = seenHigh[f.Category] || f.Severity >= SevHigh
			if f.Severity > SevLow {
				seenAbove[f.Category] = true
				if in.assert && f.Severity > in.max {
					t.Errorf("%s: healthy, yet %s %s: %s", in.name, f.Severity, f.Category, f.Title)
				}
			}
		}
		if worst > SevLow {
			aboveLow++
		}
		for c := range seenAny {
			if perCat[c] == nil {
				perCat[c] = &tally{}
			}
			perCat[c].any++
			if seenAbove[c] {
				perCat[c].above++
			}
			if seenHigh[c] {
				perCat[c].high++
			}
		}
		t.Logf("%-70s worst %-6s findings %d", in.name, worst, len(r.Findings))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d healthy inputs, %d with a finding above low\n", len(inputs), aboveLow)
	cats := make([]Category, 0, len(perCat))
	for c := range perCat {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	for _, c := range cats {
		fmt.Fprintf(&b, "| %s | %d/%d | %d/%d | %d/%d |\n", c, perCat[c].above, len(inputs), perCat[c].high, len(inputs), perCat[c].any, len(inputs))
	}
	t.Logf("false positives per category (above low, high or above, any severity):\n%s", b.String())
}
