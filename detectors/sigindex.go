package detectors

import (
	"slices"
	"strings"

	"github.com/ctxhole/ctxhole/parser"
)

// pattern is a function pattern compiled once: split at its wildcards.
type pattern struct {
	raw  string
	segs []string // literal runs between wildcards; one when there is none
	// id numbers the distinct wildcard patterns of a table, for the
	// stack view's cache.
	id int
}

func compilePattern(p string) pattern { return pattern{raw: p, segs: splitWildcards(p)} }

// match is matchPattern on the compiled form.
func (p *pattern) match(fn string) bool {
	if len(p.segs) == 1 {
		return p.raw == fn
	}
	if !strings.HasPrefix(fn, p.segs[0]) {
		return false
	}
	fn = fn[len(p.segs[0]):]
	last := len(p.segs) - 1
	for _, seg := range p.segs[1:last] {
		k := strings.Index(fn, seg)
		if k < 0 {
			return false
		}
		fn = fn[k+len(seg):]
	}
	return strings.HasSuffix(fn, p.segs[last])
}

// compiledSig is a signature row with its patterns compiled.
type compiledSig struct {
	sig         *Signature
	frames, not []pattern
}

func compileSig(s *Signature) compiledSig {
	c := compiledSig{sig: s}
	for _, p := range s.Frames {
		c.frames = append(c.frames, compilePattern(p))
	}
	for _, p := range s.Not {
		c.not = append(c.not, compilePattern(p))
	}
	return c
}

// stackView answers pattern questions about one stack, each computed once
// however many rows ask: the frame indices where an exact name appears
// (a map built in one pass) and where a wildcard pattern matches (one scan
// per distinct pattern).
type stackView struct {
	frames []parser.Frame
	byFunc map[string][]int
	// alts are, for frames whose upstream name differs (a gopkg.in path, a
	// generic instantiation; see nameForms), the other names they match
	// by; nil when no frame has any.
	alts [][]string
	wild [][]int // by pattern id
	done []bool
}

// nameForms returns the other names a function matches by: its upstream
// name (UpstreamFunc) and, for a generic instantiation, that name without
// its type arguments, so a row written "pkg.(*Pool).Acquire" matches
// "pkg.(*Pool[...]).Acquire". Nil when there are none.
func nameForms(fn string) []string {
	up := UpstreamFunc(fn)
	var out []string
	if up != fn {
		out = append(out, up)
	}
	if strings.IndexByte(up, '[') >= 0 {
		if st := stripTypeArgs(up); st != up && st != fn {
			out = append(out, st)
		}
	}
	return out
}

// newStackView prepares a view for a table of nWild distinct wildcard
// patterns.
func newStackView(frames []parser.Frame, nWild int) *stackView {
	v := &stackView{frames: frames, byFunc: make(map[string][]int, len(frames)), wild: make([][]int, nWild), done: make([]bool, nWild)}
	for i, f := range frames {
		v.byFunc[f.Func] = append(v.byFunc[f.Func], i)
		forms := nameForms(f.Func)
		if len(forms) == 0 {
			continue
		}
		if v.alts == nil {
			v.alts = make([][]string, len(frames))
		}
		v.alts[i] = forms
		for _, name := range forms {
			if idx := v.byFunc[name]; len(idx) == 0 || idx[len(idx)-1] != i {
				v.byFunc[name] = append(v.byFunc[name], i)
			}
		}
	}
	return v
}

// indices returns the ascending frame indices p matches.
func (v *stackView) indices(p *pattern) []int {
	if len(p.segs) == 1 {
		return v.byFunc[p.raw]
	}
	if v.done[p.id] {
		return v.wild[p.id]
	}
	var idx []int
	for i, f := range v.frames {
		if p.match(f.Func) || (v.alts != nil && slices.ContainsFunc(v.alts[i], p.match)) {
			idx = append(idx, i)
		}
	}
	v.wild[p.id], v.done[p.id] = idx, true
	return idx
}

// match checks the row against a stack and a wait reason: the frame
// patterns in order, innermost first, none of the Not patterns, and the
// reason filter (see Signature).
func (c *compiledSig) match(v *stackView, reason string) (sigMatch, bool) {
	s := c.sig
	m := sigMatch{sig: s, anchor: -1}
	if len(s.Reasons) > 0 {
		if reason == "" {
			m.reasonUnknown = true
		} else if !slices.Contains(s.Reasons, reason) {
			return m, false
		}
	}
	i := 0
	for k := range c.frames {
		idx := v.indices(&c.frames[k])
		j, _ := slices.BinarySearch(idx, i)
		if j == len(idx) {
			return m, false
		}
		if k == 0 {
			m.anchor = idx[j]
		}
		i = idx[j] + 1
	}
	for k := range c.not {
		if len(v.indices(&c.not[k])) > 0 {
			return m, false
		}
	}
	if s.Innermost && m.anchor >= 0 && m.anchor != parser.TellingFrame(v.frames) {
		// Idle only while waiting in its own frame (Signature.Innermost).
		return m, false
	}
	if len(s.Frames) == 0 && m.reasonUnknown {
		// A reason-only row says nothing about a goroutine whose reason is
		// unknown.
		return m, false
	}
	return m, true
}

// sigIndex is a signature table compiled once per analysis. Rows whose
// anchor (first frame pattern) is an exact name are filed under it, so a
// stack is tried only against the rows anchored on one of its functions
// and the rows that need a scan (wildcard anchors, reason-only rows). A
// row costs a few lookups in the stack's view (stackView), and each
// distinct wildcard pattern one scan of the stack: with the limits of user
// files (userfile.go) classifying is linear in rows × groups.
type sigIndex struct {
	rows     []compiledSig
	byAnchor map[string][]int
	scan     []int // rows tried against every stack, in table order
	nWild    int   // distinct wildcard patterns
}

func newSigIndex(sigs []Signature) *sigIndex {
	x := &sigIndex{rows: make([]compiledSig, len(sigs)), byAnchor: make(map[string][]int)}
	ids := make(map[string]int)
	number := func(ps []pattern) {
		for k := range ps {
			if len(ps[k].segs) == 1 {
				continue
			}
			id, ok := ids[ps[k].raw]
			if !ok {
				id = len(ids)
				ids[ps[k].raw] = id
			}
			ps[k].id = id
		}
	}
	for i := range sigs {
		x.rows[i] = compileSig(&sigs[i])
		number(x.rows[i].frames)
		number(x.rows[i].not)
		if f := x.rows[i].frames; len(f) > 0 && len(f[0].segs) == 1 {
			x.byAnchor[f[0].raw] = append(x.byAnchor[f[0].raw], i)
		} else {
			x.scan = append(x.scan, i)
		}
	}
	x.nWild = len(ids)
	return x
}

// view prepares a stack for this table.
func (x *sigIndex) view(frames []parser.Frame) *stackView { return newStackView(frames, x.nWild) }

// best returns the winning row for a stack, as trying every row of the
// table would: candidates are tried in table order, so ties go the same
// way.
func (x *sigIndex) best(v *stackView, reason string) (sigMatch, bool) {
	cand := slices.Clone(x.scan)
	for fn := range v.byFunc {
		cand = append(cand, x.byAnchor[fn]...)
	}
	slices.Sort(cand)
	cand = slices.Compact(cand)
	var best sigMatch
	found := false
	for _, i := range cand {
		m, ok := x.rows[i].match(v, reason)
		if !ok {
			continue
		}
		if !found || m.better(best) {
			best, found = m, true
		}
	}
	return best, found
}
