package report

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// TestWritePprofRoundTrip exports the goroutines of findings built over a
// real capture and reads the profile back both with the pprof library and
// with ctxhole's own loader (as `ctxhole analyze export.pb.gz` would).
func TestWritePprofRoundTrip(t *testing.T) {
	const file = "../fixtures/captures/mutex-convoy/goroutine-debug2.txt"
	f, err := os.Open(file)
	if err != nil {
		t.Skipf("fixture absent: %v", err)
	}
	defer f.Close()
	snaps, err := parser.ReadText(f, file)
	if err != nil {
		t.Fatal(err)
	}
	groups := parser.GroupGoroutines(snaps[0].Goroutines)
	if len(groups) < 2 {
		t.Fatalf("want at least two groups in %s", file)
	}
	// Two findings sharing a group: the shared one is exported once,
	// under the first.
	r := &detectors.Diagnosis{Findings: []*detectors.Finding{
		{Category: detectors.CatMutexConvoy, Severity: detectors.SevCritical, Root: detectors.Root{Group: groups[1]},
			Chain: []detectors.Link{{Group: groups[1]}, {Group: groups[0]}}},
		{Category: detectors.CatUnclassified, Severity: detectors.SevLow, Root: detectors.Root{Group: groups[0]}},
	}}
	want := groups[0].Count + groups[1].Count

	var all bytes.Buffer
	if err := WritePprof(&all, r, 0); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(bytes.NewReader(all.Bytes()))
	if err != nil {
		t.Fatalf("exported profile does not parse: %v", err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatalf("exported profile invalid: %v", err)
	}
	total := int64(0)
	for _, s := range p.Sample {
		total += s.Value[0]
		if got := s.Label["category"]; len(got) != 1 || got[0] != string(detectors.CatMutexConvoy) {
			t.Errorf("sample labelled %v, want every goroutine under the first finding", s.Label)
		}
		if !strings.HasPrefix(s.Label["finding"][0], "f-") || s.Label["rank"][0] != "#1" || s.Label["severity"][0] != "critical" || len(s.Location) == 0 {
			t.Errorf("sample labels %v, %d locations", s.Label, len(s.Location))
		}
	}
	if total != int64(want) {
		t.Errorf("exported %d goroutines, want %d", total, want)
	}

	// ctxhole reads its own export as a goroutine profile.
	c, err := parser.Read(bytes.NewReader(all.Bytes()), "export.pb.gz", parser.Options{})
	if err != nil {
		t.Fatalf("parser.Read of the export: %v", err)
	}
	if len(c.Snapshots) != 1 || c.Snapshots[0].Count() != want {
		t.Fatalf("re-read %d snapshots", len(c.Snapshots))
	}
	g := c.Snapshots[0].Goroutines[0]
	if len(g.Frames) == 0 || g.Frames[0].Func == "" || g.Frames[0].Line == 0 {
		t.Errorf("re-read frames lost function or line: %+v", g.Frames)
	}

	// Only the second finding.
	var one bytes.Buffer
	if err := WritePprof(&one, r, 2); err != nil {
		t.Fatal(err)
	}
	p2, err := profile.Parse(&one)
	if err != nil {
		t.Fatal(err)
	}
	// One group's goroutines share a stack: one sample, its value their
	// count.
	if len(p2.Sample) != 1 || p2.Sample[0].Value[0] != int64(groups[0].Count) || p2.Sample[0].Label["category"][0] != string(detectors.CatUnclassified) {
		t.Errorf("finding #2 export: %d samples (want 1 of value %d), labels %v", len(p2.Sample), groups[0].Count, p2.Sample[0].Label)
	}
	if err := WritePprof(&one, r, 3); err == nil {
		t.Error("exporting finding #3 of 2 succeeded")
	}
}
