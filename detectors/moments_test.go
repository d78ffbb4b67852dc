package detectors

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// TestMomentsWithoutManifest: three instants each captured as debug=2,
// debug=1 and proto, with no manifest.json, are recognised by content as
// three moments; the analysis reads the debug=2 dump of each, counts each
// goroutine once and gives the incident's answer with its growth.
func TestMomentsWithoutManifest(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "fixtures", "captures", "moments-no-manifest")
	data, err := os.ReadFile(dir + ".manifest.json") // written beside the directory
	if err != nil {
		t.Skipf("fixture absent: %v", err)
	}
	var m struct {
		Expect struct {
			fixtureExpect
			Moments        int `json:"moments"`
			FilesPerMoment int `json:"files_per_moment"`
		} `json:"expect"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	c, err := parser.Load([]string{dir}, parser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(c.Snapshots), m.Expect.Moments*m.Expect.FilesPerMoment; got != want {
		t.Fatalf("%d snapshots read, want %d", got, want)
	}
	ms := c.Moments()
	if len(ms) != m.Expect.Moments {
		t.Fatalf("%d moments, want %d", len(ms), m.Expect.Moments)
	}
	for _, s := range ms {
		if s.Source.Format != parser.FormatGoroutineText {
			t.Errorf("moment shown by %s (%s), want its debug=2 dump", s.Source, s.Source.Format)
		}
	}
	r, err := Analyze(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 || string(r.Findings[0].Category) != m.Expect.Category {
		t.Fatalf("want %s first\n%s", m.Expect.Category, describe(r, 4))
	}
	f := r.Findings[0]
	if !rootHasFunction(f, m.Expect.RootFunction) {
		t.Errorf("root lacks %s\n%s", m.Expect.RootFunction, describe(r, 4))
	}
	// Counted once per moment: the finding holds the last moment's
	// senders, not the sum over nine files.
	last := ms[len(ms)-1].Count()
	if f.Goroutines > last {
		t.Errorf("finding covers %d goroutines, more than the last moment's %d", f.Goroutines, last)
	}
	if f.Growth == nil || f.Growth.Snapshots != m.Expect.Moments || f.Growth.To <= f.Growth.From || !f.Growth.RateKnown {
		t.Errorf("growth %+v, want growth per minute across %d moments (the debug=2 dumps dated by their moment's proto)", f.Growth, m.Expect.Moments)
	}
}

// TestErrgroupFormatsAgree: each instant of the errgroup service, captured
// as debug=2, debug=1 and proto, gives one answer in each format alone: the
// workers stranded on their channel send first, with the errgroup Wait
// callers behind them. debug=1 hides the runtime's chansend frames; their
// PCs on the record line still tell a send from a receive.
func TestErrgroupFormatsAgree(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "fixtures", "captures", "moments-no-manifest")
	for i := 1; i <= 3; i++ {
		var answers []string
		for _, f := range []string{"goroutine-debug2.%d.txt", "goroutine-debug1.%d.txt", "goroutine.%d.pb.gz"} {
			path := filepath.Join(dir, fmt.Sprintf(f, i))
			if _, err := os.Stat(path); err != nil {
				t.Skipf("fixture absent: %v", err)
			}
			r := analyzeLoaded(t, path)
			if len(r.Findings) == 0 {
				t.Fatalf("%s: no findings", path)
			}
			top := r.Findings[0]
			waiters := chainWaiters(top, "golang.org/x/sync/errgroup.(*Group).Wait")
			answers = append(answers, fmt.Sprintf("%s root %s, %d errgroup waiters", top.Category, top.Chain[0].Function, min(waiters, 1)))
			if top.Category != CatChanSendBlocked || top.Chain[0].Function != "main.(*server).gather.func1" || waiters == 0 {
				t.Errorf("%s: %s\n%s", filepath.Base(path), answers[len(answers)-1], describe(r, 3))
			}
		}
		if answers[0] != answers[1] || answers[1] != answers[2] {
			t.Errorf("instant %d: debug=2, debug=1 and proto answer %q", i, answers)
		}
	}
}
