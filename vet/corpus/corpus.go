// Package corpus measures the vet analyzers' precision on real code: a
// list of public modules at pinned versions, fetched through the module
// proxy, and a hand label (true or false positive, and why) for every
// diagnostic the analyzers report on them. No third-party code is kept in
// this repository; the labels name a diagnostic by module, analyzer, file
// and line, which a pinned version keeps stable.
//
// The labels file (labels.txt) is line-oriented:
//
//	# comment
//	module github.com/bsm/redislock v0.9.4 lines=412 . ./sub/...
//	redis redislock.go:85 tp Obtain pipelines on context.Background() ...
//
// A module line gives the module path, its version, the number of
// non-test lines the measured packages hold, and the package patterns
// relative to the module root. Each label under it gives the analyzer, the
// file (relative to the module root) and line of the diagnostic, the
// verdict (tp or fp) and the reason, read from the code around it.
package corpus

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// Bar is the precision an analyzer must reach on the corpus to run by
// default.
const Bar = 0.80

// Module is one module of the corpus at a pinned version.
type Module struct {
	Path, Version string
	// Lines is the number of lines of the non-test Go files of the
	// measured packages.
	Lines int
	// Patterns are the measured packages, relative to the module root
	// ("./...", "./server").
	Patterns []string
	Labels   []Label
	Line     int // in the labels file
}

// Label is the hand label of one diagnostic.
type Label struct {
	Analyzer string
	File     string // relative to the module root, slash-separated
	Line     int
	TP       bool
	Reason   string
	Src      int // line in the labels file
}

// Key identifies a diagnostic within its module.
func (l Label) Key() string { return fmt.Sprintf("%s %s:%d", l.Analyzer, l.File, l.Line) }

// ImportPatterns returns the module's patterns as import-path patterns.
func (m Module) ImportPatterns() []string {
	var out []string
	for _, p := range m.Patterns {
		out = append(out, m.Path+strings.TrimPrefix(p, "."))
	}
	return out
}

// Parse reads a labels file.
func Parse(r io.Reader) ([]Module, error) {
	var mods []Module
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if f[0] == "module" {
			if len(f) < 5 || !strings.HasPrefix(f[3], "lines=") {
				return nil, fmt.Errorf("line %d: want: module PATH VERSION lines=N PATTERNS", n)
			}
			lines, err := strconv.Atoi(strings.TrimPrefix(f[3], "lines="))
			if err != nil || lines < 0 {
				return nil, fmt.Errorf("line %d: bad line count %q", n, f[3])
			}
			for _, p := range f[4:] {
				if p != "." && !strings.HasPrefix(p, "./") {
					return nil, fmt.Errorf("line %d: pattern %q is not relative to the module root", n, p)
				}
			}
			if seen[f[1]] {
				return nil, fmt.Errorf("line %d: module %s listed twice", n, f[1])
			}
			seen[f[1]] = true
			mods = append(mods, Module{Path: f[1], Version: f[2], Lines: lines, Patterns: f[4:], Line: n})
			continue
		}
		if len(mods) == 0 {
			return nil, fmt.Errorf("line %d: label before any module line", n)
		}
		if len(f) < 4 {
			return nil, fmt.Errorf("line %d: want: ANALYZER FILE:LINE tp|fp REASON", n)
		}
		file, ln, ok := strings.Cut(f[1], ":")
		num, err := strconv.Atoi(ln)
		if !ok || err != nil || num <= 0 {
			return nil, fmt.Errorf("line %d: want FILE:LINE, got %q", n, f[1])
		}
		var tp bool
		switch f[2] {
		case "tp":
			tp = true
		case "fp":
		default:
			return nil, fmt.Errorf("line %d: verdict %q is neither tp nor fp", n, f[2])
		}
		m := &mods[len(mods)-1]
		m.Labels = append(m.Labels, Label{Analyzer: f[0], File: file, Line: num, TP: tp, Reason: strings.Join(f[3:], " "), Src: n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return mods, nil
}

// Row is one analyzer's measurement.
type Row struct {
	Analyzer    string
	Diagnostics int
	TP, FP      int
	// PerKLines is the number of diagnostics per 1,000 measured lines.
	PerKLines float64
	DefaultOn bool
}

// Precision returns TP/(TP+FP), and false when nothing was measured.
func (r Row) Precision() (float64, bool) {
	if r.TP+r.FP == 0 {
		return 0, false
	}
	return float64(r.TP) / float64(r.TP+r.FP), true
}

// Lower returns the lower end of the 95% Wilson score interval of the
// precision: how low it may be given how few diagnostics were labelled.
func (r Row) Lower() (float64, bool) {
	n := float64(r.TP + r.FP)
	if n == 0 {
		return 0, false
	}
	const z = 1.959964
	p := float64(r.TP) / n
	centre := p + z*z/(2*n)
	margin := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n))
	return (centre - margin) / (1 + z*z/n), true
}

// MeetsBar reports whether the analyzer was measured at Bar or more.
func (r Row) MeetsBar() bool {
	p, ok := r.Precision()
	return ok && p >= Bar
}

// Table computes each analyzer's row from the labels, in the order of
// analyzers; defaultOn says which run by default.
func Table(mods []Module, analyzers []*analysis.Analyzer, defaultOn func(*analysis.Analyzer) bool) []Row {
	lines := 0
	for _, m := range mods {
		lines += m.Lines
	}
	var rows []Row
	for _, a := range analyzers {
		r := Row{Analyzer: a.Name, DefaultOn: defaultOn(a)}
		for _, m := range mods {
			for _, l := range m.Labels {
				if l.Analyzer != a.Name {
					continue
				}
				r.Diagnostics++
				if l.TP {
					r.TP++
				} else {
					r.FP++
				}
			}
		}
		if lines > 0 {
			r.PerKLines = float64(r.Diagnostics) * 1000 / float64(lines)
		}
		rows = append(rows, r)
	}
	return rows
}

// Markdown writes the rows as the README's precision table.
func Markdown(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| analyzer | diagnostics | true | false | precision | 95% lower bound | per 1,000 lines | default |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		prec, low := "not measured", "–"
		if p, ok := r.Precision(); ok {
			prec = fmt.Sprintf("%.0f%%", math.Floor(p*100+0.5))
		}
		if l, ok := r.Lower(); ok {
			low = fmt.Sprintf("%.0f%%", math.Floor(l*100+0.5))
		}
		def := "off"
		if r.DefaultOn {
			def = "on"
		}
		fmt.Fprintf(w, "| `%s` | %d | %d | %d | %s | %s | %.3f | %s |\n", r.Analyzer, r.Diagnostics, r.TP, r.FP, prec, low, r.PerKLines, def)
	}
}

// Summary returns the corpus's size: modules, labelled diagnostics and
// measured lines.
func Summary(mods []Module) (modules, labels, lines int) {
	for _, m := range mods {
		labels += len(m.Labels)
		lines += m.Lines
	}
	return len(mods), labels, lines
}

// Diff compares a module's labels with the diagnostics measured on it
// (keys as Label.Key gives them, one entry per diagnostic): the labelled
// diagnostics that are no longer reported, and the reported ones that have
// no label.
func Diff(m Module, got []string) (gone []Label, unlabelled []string) {
	want := map[string][]Label{}
	for _, l := range m.Labels {
		want[l.Key()] = append(want[l.Key()], l)
	}
	for _, k := range got {
		if ls := want[k]; len(ls) > 0 {
			want[k] = ls[1:]
			continue
		}
		unlabelled = append(unlabelled, k)
	}
	for _, ls := range want {
		gone = append(gone, ls...)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Src < gone[j].Src })
	sort.Strings(unlabelled)
	return gone, unlabelled
}
