package vetcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
)

// Site is where a runtime finding's root entered the blocking call: its
// first application frame, and the function that frame called.
type Site struct {
	Rank     int    // the finding's rank (1 is the principal root cause)
	Category string // the finding's category
	Function string // the application function ("main.(*server).price")
	File     string // as the capture prints it (may be -trimpath'd)
	Line     int
	Callee   string // the frame above: what the application called
}

// maxReport bounds how much of a report file is read.
const maxReport = 256 << 20

// LoadSites reads the root call sites of the findings of a ctxhole report
// (ctxhole analyze -o json), or of the captures at path (a bundle
// directory, a dump, a profile), analysed as ctxhole analyze would.
func LoadSites(p string) ([]Site, error) {
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, maxReport))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
			var doc report.Document
			if err := json.Unmarshal(data, &doc); err != nil {
				return nil, fmt.Errorf("%s is not a ctxhole JSON report: %w", p, err)
			}
			if doc.SchemaVersion == "" {
				return nil, fmt.Errorf("%s is not a ctxhole JSON report (no schema_version)", p)
			}
			return sitesOf(&doc), nil
		}
	}
	c, err := parser.Load([]string{p}, parser.Options{})
	if err != nil {
		return nil, fmt.Errorf("loading captures: %w", err)
	}
	r, err := detectors.Analyze(c, detectors.Options{})
	if err != nil {
		return nil, fmt.Errorf("analyzing captures: %w", err)
	}
	return sitesOf(report.Build(c, r, report.Tool{Name: "ctxhole vet"})), nil
}

func sitesOf(doc *report.Document) []Site {
	var out []Site
	for i, f := range doc.Findings {
		rank := f.Rank
		if rank == 0 {
			rank = i + 1
		}
		r := f.Root
		if r.AppFrame < 0 || r.AppFrame >= len(r.Stack) {
			continue
		}
		s := Site{Rank: rank, Category: f.Category, Function: r.Stack[r.AppFrame].Function,
			File: r.Stack[r.AppFrame].File, Line: r.Stack[r.AppFrame].Line}
		if r.AppFrame > 0 {
			s.Callee = r.Stack[r.AppFrame-1].Function
		}
		out = append(out, s)
	}
	return out
}

// Rank scores each diagnostic against the sites and sorts the closest
// first: 8 at a site's file and line, +4 same callee, +2 same category, +1
// same package. Each diagnostic is tied to the best-ranked finding it
// scores highest with; unrelated diagnostics keep their order at the end.
func Rank(diags []Diagnostic, sites []Site) []Diagnostic {
	out := append([]Diagnostic(nil), diags...)
	for i := range out {
		d := &out[i]
		for _, s := range sites {
			score := 0
			if d.Posn.Line == s.Line && sameFile(d.Posn.Filename, s.File) {
				score += 8
			}
			if d.Callee != "" && s.Callee != "" && sameCallee(d.Callee, s.Callee) {
				score += 4
			}
			if d.Category == s.Category {
				score += 2
			}
			if samePackage(*d, s) {
				score++
			}
			if score > d.Score || (score == d.Score && score > 0 && s.Rank < d.Rank) {
				d.Score, d.Rank = score, s.Rank
			}
		}
		if d.Score < 2 { // same package alone is not "like"
			d.Score, d.Rank = 0, 0
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Rank == 0) != (b.Rank == 0) {
			return a.Rank != 0
		}
		if a.Rank != b.Rank {
			return a.Rank < b.Rank
		}
		return a.Score > b.Score
	})
	return out
}

// sameFile compares a source path with a path as a capture prints it
// (module path + file with -trimpath, or an absolute path of another
// machine): the trailing path elements must agree, at least the directory
// and the file.
func sameFile(src, captured string) bool {
	a := strings.Split(filepath.ToSlash(src), "/")
	b := strings.Split(path.Clean(captured), "/")
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n >= 2 || (n == 1 && len(b) == 1)
}

// sameCallee compares callees, treating runtime.chansend1/chansend and
// chanrecv1/chanrecv2 as one.
func sameCallee(a, b string) bool {
	norm := func(s string) string {
		switch {
		case strings.HasPrefix(s, "runtime.chansend"):
			return "runtime.chansend"
		case strings.HasPrefix(s, "runtime.chanrecv"), strings.HasPrefix(s, "runtime.selectgo"):
			return "runtime.chanrecv"
		}
		return s
	}
	return norm(a) == norm(b)
}

// samePackage compares the diagnostic's package with the site function's:
// a runtime name starts with the import path, except a main package's,
// which is "main" (then the directories must agree).
func samePackage(d Diagnostic, s Site) bool {
	pkg := funcPackage(s.Function)
	if pkg == "main" {
		return d.PkgName == "main" && sameFile(filepath.Dir(d.Posn.Filename)+"/x", path.Dir(s.File)+"/x")
	}
	return pkg == d.Package
}

// funcPackage returns the import path part of a runtime function name.
func funcPackage(fn string) string {
	slash := strings.LastIndex(fn, "/")
	dot := strings.Index(fn[slash+1:], ".")
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// WriteSummary says, per finding, where it hung and how many places have
// the same hole: "finding 1 (http-client-no-timeout) hung at main.go:58
// calling net/http.(*Client).Do; the same hole is at 3 other places".
func WriteSummary(w io.Writer, diags []Diagnostic, sites []Site, base string) {
	if len(sites) == 0 {
		fmt.Fprintln(w, "ctxhole vet: the report has no finding with an application frame to rank by")
		return
	}
	done := map[int]bool{}
	for _, s := range sites {
		if done[s.Rank] {
			continue
		}
		done[s.Rank] = true
		at, like := 0, 0
		for _, d := range diags {
			if d.Rank != s.Rank || d.Category != s.Category {
				// Another hole on a similar call (a body left open on
				// the same Client.Do) is not the same hole.
				continue
			}
			if d.Score >= 8 {
				at++
			} else {
				like++
			}
		}
		where := fmt.Sprintf("%s:%d", path.Base(s.File), s.Line)
		calling := ""
		if s.Callee != "" {
			calling = " calling " + s.Callee
		}
		found := "not found by the analyzers at that line"
		if at > 0 {
			found = "reported there"
		}
		fmt.Fprintf(w, "ctxhole vet: finding %d (%s) hung at %s in %s%s (%s); the same hole is at %d other place%s\n",
			s.Rank, s.Category, where, s.Function, calling, found, like, plural(like))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
