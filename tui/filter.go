package tui

import (
	"slices"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/report"
)

// groupFilter is the goroutine browser's filter: text tokens (each must
// occur in one of a group's functions, packages, files or its state), an
// exact state, and a minimum known wait.
type groupFilter struct {
	query   string
	state   string        // "" for every state
	minWait time.Duration // 0 for no minimum
}

// termMatcher answers "does term t contain token x" for a snapshot's terms,
// remembering the answer per token: typing one more character of a filter
// scans the distinct terms once, never the goroutines.
type termMatcher struct {
	terms []string
	hits  map[string][]bool
}

func (tm *termMatcher) token(tok string) []bool {
	if h, ok := tm.hits[tok]; ok {
		return h
	}
	h := make([]bool, len(tm.terms))
	for i, t := range tm.terms {
		h[i] = strings.Contains(t, tok)
	}
	if tm.hits == nil {
		tm.hits = make(map[string][]bool)
	}
	tm.hits[tok] = h
	return h
}

// forget drops remembered tokens not in keep, bounding the memory a long
// typing session could use.
func (tm *termMatcher) forget(keep []string) {
	for tok := range tm.hits {
		if !slices.Contains(keep, tok) {
			delete(tm.hits, tok)
		}
	}
}

// apply returns the indices of the snapshot's groups passing the filter,
// in the snapshot's group order.
func (f groupFilter) apply(sd *snapshotData, tm *termMatcher, out []int) []int {
	out = out[:0]
	tokens := strings.Fields(strings.ToLower(f.query))
	tm.forget(tokens)
	hits := make([][]bool, len(tokens))
	for i, t := range tokens {
		hits[i] = tm.token(t)
	}
next:
	for i, row := range sd.groups {
		if f.state != "" && row.state != f.state {
			continue
		}
		if f.minWait > 0 && (!row.g.WaitKnown || report.FromSeconds(row.g.WaitMaxS) < f.minWait) {
			continue
		}
		for _, h := range hits {
			if !anyHit(h, row.terms) {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}

func anyHit(hit []bool, terms []int32) bool {
	for _, t := range terms {
		if hit[t] {
			return true
		}
	}
	return false
}

// waitSteps are the minimum waits the w key cycles through.
var waitSteps = []time.Duration{0, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour}

// describe is the filter line shown above the browser's list.
func (f groupFilter) describe() string {
	var parts []string
	if f.query != "" {
		parts = append(parts, "text "+quote(f.query))
	}
	if f.state != "" {
		parts = append(parts, "state "+quote(f.state))
	}
	if f.minWait > 0 {
		parts = append(parts, "wait ≥ "+human.Duration(f.minWait))
	}
	if len(parts) == 0 {
		return "no filter"
	}
	return strings.Join(parts, " · ")
}

func quote(s string) string { return "\"" + s + "\"" }
