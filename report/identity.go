package report

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// findingID fingerprints a finding for machines that compare reports
// (diff, incident bots de-duplicating fifty pods' reports): its category,
// the function its root is blocked in, and the chain's shape, each link's
// depth, relation, category and function. Counts, waits, goroutine IDs,
// addresses, times and file lines are left out, so the same hole has the
// same ID in every run, every pod and every capture format of one moment.
// The form is "f-" and 12 hex digits.
func findingID(category, rootFunc string, chain []Link) string {
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		h.Write([]byte{'\n'})
	}
	write("ctxhole-finding/1", category, rootFunc)
	for _, l := range chain {
		write(strconv.Itoa(l.Depth), l.Relation, l.Category, l.Function)
	}
	return "f-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// uniqueIDs makes the findings' IDs unique within one report: a second
// finding with the same fingerprint (the same hole reported twice) gets
// "-2", a third "-3".
func uniqueIDs(fs []Finding) {
	seen := make(map[string]int, len(fs))
	for i := range fs {
		id := fs[i].ID
		seen[id]++
		if n := seen[id]; n > 1 {
			fs[i].ID = id + "-" + strconv.Itoa(n)
		}
	}
}

// summarize turns a title into its count-free form: every count becomes
// a placeholder {nK} and every duration or wait {dK}, numbered from 1 in
// the order they appear, and args maps each placeholder to its value (an
// integer for counts, the printed text for durations). Names and places
// (main.go:80, pq@v1.12.3) are not numbers and stay. The summary of one
// hole is the same whatever its size, so bots can match it; the title is
// the summary with its args filled in.
func summarize(title string) (string, map[string]any) {
	args := map[string]any{}
	var b strings.Builder
	nCount, nDur := 0, 0
	pluralNext := false
	for _, tok := range strings.SplitAfter(title, " ") {
		if pluralNext {
			// "1 goroutine" and "14 goroutines" are one summary:
			// "{n1} goroutines".
			pluralNext = false
			if word := strings.TrimRight(tok, " "); isWord(word) && !strings.HasSuffix(word, "s") {
				tok = word + "s" + tok[len(word):]
			}
		}
		core, space := strings.CutSuffix(tok, " ")
		lead := len(core) - len(strings.TrimLeft(core, "(["))
		trimmed := strings.TrimRight(core[lead:], "),;:.]")
		tail := core[lead+len(trimmed):]
		if v, isCount, ok := numberToken(trimmed); ok {
			var ph string
			if isCount {
				nCount++
				ph = "n" + strconv.Itoa(nCount)
				args[ph] = v
				pluralNext = v == 1
			} else {
				nDur++
				ph = "d" + strconv.Itoa(nDur)
				args[ph] = trimmed
			}
			b.WriteString(core[:lead] + "{" + ph + "}" + tail)
		} else {
			b.WriteString(core)
		}
		if space {
			b.WriteByte(' ')
		}
	}
	return b.String(), args
}

// numberToken reports whether tok is a count ("14", "1,234") or a
// duration or wait (">=2m", "4.52s", "2m5s", "150ms"); for a count it
// returns the value.
func numberToken(tok string) (value int, isCount, ok bool) {
	s := strings.TrimLeft(tok, ">=<~≥≤")
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false, false
	}
	if s == tok && strings.Trim(s, "0123456789,") == "" {
		n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		return n, true, err == nil
	}
	for rest := s; rest != ""; {
		afterDigits := strings.TrimLeft(rest, "0123456789.")
		if len(afterDigits) == len(rest) {
			return 0, false, false
		}
		unit := ""
		for _, u := range []string{"ns", "µs", "us", "ms", "s", "m", "h"} {
			if strings.HasPrefix(afterDigits, u) {
				unit = u
				break
			}
		}
		if unit == "" {
			return 0, false, false
		}
		rest = afterDigits[len(unit):]
	}
	return 0, false, true
}

// isWord reports whether s is a lower-case word, the noun a count is
// followed by.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}
