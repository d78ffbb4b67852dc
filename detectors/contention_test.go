package detectors

import (
	"path/filepath"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// The convoy fixture's mutex profile charges the waiting to the lock's
// release in main.(*priceCache).get (the lock site), its block profile to
// the Lock call there; the convoy finding cites both.
func TestContentionJoinsConvoy(t *testing.T) {
	for _, inc := range traceIncidents(t) {
		if inc.name != "mutex-convoy" {
			continue
		}
		const lockSite = "main.(*priceCache).get"
		c, err := parser.Load([]string{filepath.Join(inc.dir, "mutex.pb.gz")}, parser.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Contention) != 1 {
			t.Fatalf("%d profiles in mutex.pb.gz", len(c.Contention))
		}
		sites := contentionSites(c.Contention[0])
		if len(sites) == 0 || sites[0].Function != lockSite || sites[0].Kind != "mutex" || sites[0].Delay <= 0 {
			t.Fatalf("top mutex site = %+v, want the release in %s", sites, lockSite)
		}
		for i := 1; i < len(sites); i++ {
			if sites[i].Delay > sites[i-1].Delay {
				t.Fatalf("sites not by delay: %+v", sites)
			}
		}
		for _, s := range sites {
			if p := (parser.Frame{Func: s.Function}).Package(); p == "runtime" || p == "sync" {
				t.Errorf("site %s is runtime or sync plumbing", s.Function)
			}
		}

		r := analyzeFiles(t, inc.dir, inc.dump, "mutex.pb.gz", "block.pb.gz")
		if len(r.Findings) == 0 || r.Findings[0].Category != CatMutexConvoy {
			t.Fatalf("principal finding is not the convoy: %+v", r.Findings)
		}
		f := r.Findings[0]
		kinds := map[string]bool{}
		for _, ct := range f.Contention {
			if ct.Function == lockSite && ct.Delay > 0 && ct.Count > 0 {
				kinds[ct.Kind] = true
			}
		}
		if !kinds["mutex"] || !kinds["block"] {
			t.Errorf("convoy cites %+v, want mutex and block delay at %s", f.Contention, lockSite)
		}
		if !hasEvidence(f, "mutex profile: ") || !hasEvidence(f, "block profile: ") {
			t.Error("no profile evidence")
		}
		// A finding elsewhere cites nothing from the convoy's lock.
		for _, other := range r.Findings[1:] {
			for _, ct := range other.Contention {
				if ct.Function == lockSite {
					t.Errorf("%s finding cites the convoy's lock site", other.Category)
				}
			}
		}
		return
	}
	t.Skip("no mutex-convoy fixture")
}
