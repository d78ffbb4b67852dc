package corpus

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/vet"
)

func readLabels(t *testing.T) []Module {
	t.Helper()
	f, err := os.Open("labels.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mods, err := Parse(f)
	if err != nil {
		t.Fatalf("labels.txt: %v", err)
	}
	return mods
}

// The labels name known analyzers, give a reason, and label each
// diagnostic once.
func TestLabelsWellFormed(t *testing.T) {
	known := map[string]bool{}
	for _, a := range vet.Analyzers() {
		known[a.Name] = true
	}
	for _, m := range readLabels(t) {
		seen := map[string]int{}
		for _, l := range m.Labels {
			if !known[l.Analyzer] {
				t.Errorf("labels.txt:%d: unknown analyzer %q", l.Src, l.Analyzer)
			}
			if len(strings.Fields(l.Reason)) < 3 {
				t.Errorf("labels.txt:%d: the reason %q does not say why", l.Src, l.Reason)
			}
			if prev, dup := seen[l.Key()]; dup {
				t.Errorf("labels.txt:%d: %s labelled again (first at line %d)", l.Src, l.Key(), prev)
			}
			seen[l.Key()] = l.Src
		}
	}
}

// An analyzer runs by default exactly when the corpus measures it at the
// bar, and the README's table is the one the labels give.
func TestDefaultsAndREADMEFollowLabels(t *testing.T) {
	mods := readLabels(t)
	rows := Table(mods, vet.Analyzers(), vet.DefaultOn)
	for _, r := range rows {
		p, measured := r.Precision()
		if r.DefaultOn != r.MeetsBar() {
			t.Errorf("%s: on by default = %v, but measured %v at %.0f%% (%d of %d) against a bar of %.0f%%",
				r.Analyzer, r.DefaultOn, measured, p*100, r.TP, r.Diagnostics, Bar*100)
		}
	}
	var want bytes.Buffer
	Markdown(&want, rows)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- precision table: go run ./vet/corpus/cmd/vetcorpus -table -->\n", "<!-- end precision table -->"
	s := string(readme)
	i := strings.Index(s, begin)
	j := strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md: no precision table between %q and %q", begin, end)
	}
	if got := s[i+len(begin) : j]; got != want.String() {
		t.Errorf("README.md's precision table is not the labels' (go run ./vet/corpus/cmd/vetcorpus -table):\n got:\n%s\nwant:\n%s", got, want.String())
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		err      string // substring; "" for success
		labels   int
	}{
		{"ok", "module example.com/m v1.0.0 lines=10 ./...\nchansend a.go:3 fp the loop receives forever\n", "", 1},
		{"comment and blank", "# x\n\nmodule example.com/m v1.0.0 lines=10 .\n", "", 0},
		{"label first", "chansend a.go:3 fp x y z\n", "before any module", 0},
		{"bad verdict", "module example.com/m v1.0.0 lines=1 .\nchansend a.go:3 maybe x y z\n", "neither tp nor fp", 0},
		{"bad position", "module example.com/m v1.0.0 lines=1 .\nchansend a.go fp x y z\n", "FILE:LINE", 0},
		{"no lines", "module example.com/m v1.0.0 ./...\n", "lines=N", 0},
		{"absolute pattern", "module example.com/m v1.0.0 lines=1 example.com/m/...\n", "not relative", 0},
		{"twice", "module example.com/m v1.0.0 lines=1 .\nmodule example.com/m v1.0.1 lines=1 .\n", "twice", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mods, err := Parse(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, m := range mods {
				n += len(m.Labels)
			}
			if n != tc.labels {
				t.Errorf("%d labels, want %d", n, tc.labels)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	m := Module{Labels: []Label{
		{Analyzer: "chansend", File: "a.go", Line: 3, Src: 1},
		{Analyzer: "chansend", File: "a.go", Line: 3, Src: 2}, // two on one line
		{Analyzer: "chanrecv", File: "b.go", Line: 9, Src: 3},
	}}
	gone, unlabelled := Diff(m, []string{"chansend a.go:3", "httpserver c.go:1"})
	if len(gone) != 2 || gone[0].Src != 2 || gone[1].Src != 3 {
		t.Errorf("gone = %+v, want the second chansend a.go:3 and chanrecv b.go:9", gone)
	}
	if len(unlabelled) != 1 || unlabelled[0] != "httpserver c.go:1" {
		t.Errorf("unlabelled = %v, want [httpserver c.go:1]", unlabelled)
	}
}

// TestCorpus measures every module of the corpus again and fails when a
// labelled diagnostic is no longer reported or an unlabelled one appears,
// so that the published precision cannot drift from the analyzers. It
// fetches the modules through the module proxy and type-checks them (a
// few minutes on two cores with a warm module cache), so it runs only when
// CTXHOLE_VET_CORPUS=1 (CI sets it).
func TestCorpus(t *testing.T) {
	if os.Getenv("CTXHOLE_VET_CORPUS") != "1" {
		t.Skip("set CTXHOLE_VET_CORPUS=1 to measure the corpus (needs the module proxy)")
	}
	for _, m := range readLabels(t) {
		t.Run(m.Path, func(t *testing.T) {
			got, err := Measure(m, vet.Analyzers(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if got.Lines != m.Lines {
				t.Errorf("labels.txt:%d: %d lines measured, the labels say %d", m.Line, got.Lines, m.Lines)
			}
			gone, unlabelled := Diff(m, got.Keys())
			for _, l := range gone {
				t.Errorf("labels.txt:%d: %s (%s) is no longer reported", l.Src, l.Key(), verdict(l.TP))
			}
			for _, k := range unlabelled {
				t.Errorf("%s@%s: %s is reported but not labelled (label it in labels.txt)", m.Path, m.Version, k)
			}
		})
	}
}

func verdict(tp bool) string {
	if tp {
		return "tp"
	}
	return "fp"
}

func TestLower(t *testing.T) {
	for _, tc := range []struct {
		tp, fp int
		want   float64 // Wilson 95% lower bound, to 4 places
	}{
		{3, 0, 0.4385},
		{30, 0, 0.8865},
		{18, 14, 0.3933},
		{0, 14, 0},
	} {
		got, ok := Row{TP: tc.tp, FP: tc.fp}.Lower()
		if !ok || math.Abs(got-tc.want) > 0.00005 {
			t.Errorf("%d/%d: lower bound %.4f, want %.4f", tc.tp, tc.tp+tc.fp, got, tc.want)
		}
	}
	if _, ok := (Row{}).Lower(); ok {
		t.Error("no labels: a lower bound was given")
	}
}
