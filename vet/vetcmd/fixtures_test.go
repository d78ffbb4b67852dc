package vetcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
	"github.com/ctxhole/ctxhole/vet"
)

// want is one diagnostic an incident generator must get: its hole, at the
// line that holds the marker text.
type want struct {
	category string
	marker   string // a substring of the diagnosed line
}

// The incident generators whose hole source shows. Each hole is reported
// at its real call site (the line holding the marker); the healthy
// generators get no diagnostic at all. Every analyzer runs, also those
// off by default. Incidents whose category has no
// static analyzer (mutex-convoy, lock-cycle, cond-wait, waitgroup-stuck,
// goroutine-leak, nil-channel, sleep-poll, syscall-blocked, io-no-deadline)
// are vetted too and must not crash the analysis.
var incidentHoles = map[string][]want{
	"http-client-no-timeout":  {{"http-client-no-timeout", "resp, err := p.hc.Do(req)"}},
	"http-server-no-timeout":  {{"http-server-no-timeout", "srv := &http.Server{Addr: f.Listen, Handler: mux}"}},
	"db-driver-no-ctx":        {{"db-driver-no-ctx", `db, err := sql.Open("postgres", dsn)`}},
	"db-pool-exhausted":       {{"http-client-no-timeout", "resp, err := s.payments.Post("}},
	"grpc-stream-no-deadline": {{"grpc-stream-no-deadline", "s.cc.NewStream(context.Background()"}},
	"chan-send-blocked":       {{"chan-send-blocked", "ch <- result{items: items, err: err}"}},
	"chan-recv-blocked":       {{"chan-recv-blocked", "\tq := <-results"}},
	"healthy":                 nil,
	"healthy-churn":           nil,
	"healthy-idle":            nil,
	"errgroup-stranded":       {{"chan-send-blocked", "results <- hits"}},
	"leaked-grpc-stream":      {{"grpc-stream-no-deadline", "s.cc.NewStream(context.Background()"}},
	"leaked-response-body":    {{"resource-leak", "resp, err := http.Get(base"}},
	"sqldb-per-request":       {{"resource-leak", "db, err := sql.Open("}},
	"tx-never-rolled-back":    {{"resource-leak", "tx, err := s.db.Begin()"}},
}

func TestIncidentGenerators(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the fixture module (lib/pq, grpc-go): not in -short")
	}
	fixtures := testrepo.Path(t, "fixtures")
	// The fixture module's dependencies must be in the module cache or
	// downloadable; without them the generators cannot be type-checked.
	cmd := exec.Command("go", "mod", "download")
	cmd.Dir = fixtures
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("the fixture module's dependencies are not available (go mod download: %v: %s)", err, bytes.TrimSpace(out))
	}
	diags, err := Analyze(Options{Dir: fixtures, Patterns: []string{"./incidents/..."}, Analyzers: vet.Analyzers()})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("from", func(t *testing.T) { rankFrom(t, fixtures, diags) })
	byIncident := map[string][]Diagnostic{}
	for _, d := range diags {
		rel, err := filepath.Rel(filepath.Join(fixtures, "incidents"), d.Posn.Filename)
		if err != nil {
			t.Fatal(err)
		}
		incident := strings.Split(filepath.ToSlash(rel), "/")[0]
		byIncident[incident] = append(byIncident[incident], d)
	}
	for incident, wants := range incidentHoles {
		got := byIncident[incident]
		if wants == nil && len(got) > 0 {
			for _, d := range got {
				t.Errorf("%s: healthy generator got %s:%d: %s", incident, filepath.Base(d.Posn.Filename), d.Posn.Line, d.Message)
			}
		}
		for _, w := range wants {
			line := markerLine(t, filepath.Join(fixtures, "incidents", incident, "main.go"), w.marker)
			found := false
			for _, d := range got {
				if d.Category == w.category && d.Posn.Line == line {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no %s diagnostic at main.go:%d (%q); got %v", incident, w.category, line, w.marker, summarize(got))
			}
		}
	}
}

// rankFrom checks --from on a real capture: the finding's root call site
// comes first, and the summary says where it hung.
func rankFrom(t *testing.T, fixtures string, diags []Diagnostic) {
	sites, err := LoadSites(filepath.Join(fixtures, "captures", "http-client-no-timeout"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) == 0 || sites[0].Callee != "net/http.(*Client).Do" {
		t.Fatalf("sites = %+v, want the first root calling net/http.(*Client).Do", sites)
	}
	ranked := Rank(diags, sites)
	first := ranked[0]
	line := markerLine(t, filepath.Join(fixtures, "incidents", "http-client-no-timeout", "main.go"), "resp, err := p.hc.Do(req)")
	if !strings.HasSuffix(filepath.ToSlash(first.Posn.Filename), "http-client-no-timeout/main.go") || first.Posn.Line != line || first.Score < 8 || first.Rank != 1 {
		t.Errorf("first ranked = %s:%d score %d rank %d, want the root call site main.go:%d", first.Posn.Filename, first.Posn.Line, first.Score, first.Rank, line)
	}
	if ranked[1].Category != "http-client-no-timeout" || ranked[1].Rank != 1 {
		t.Errorf("second ranked = %s (finding %d), want the other http-client-no-timeout hole", ranked[1].Category, ranked[1].Rank)
	}
	others := -1 // every http-client-no-timeout diagnostic but the one at the site
	for _, d := range diags {
		if d.Category == "http-client-no-timeout" {
			others++
		}
	}
	var b bytes.Buffer
	WriteSummary(&b, ranked, sites, fixtures)
	want := fmt.Sprintf("(reported there); the same hole is at %d other place", others)
	if others < 1 || !strings.Contains(b.String(), "hung at main.go:") || !strings.Contains(b.String(), want) {
		t.Errorf("summary = %q, want it to contain %q", b.String(), want)
	}
}

// markerLine returns the 1-based line of the only line holding marker.
func markerLine(t *testing.T, file, marker string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, marker) {
			if line != 0 {
				t.Fatalf("%s: marker %q is on lines %d and %d", file, marker, line, i+1)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("%s: marker %q not found (the generator changed?)", file, marker)
	}
	return line
}

func summarize(ds []Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, filepath.Base(d.Posn.Filename)+":"+itoa(d.Posn.Line)+" "+d.Category)
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
