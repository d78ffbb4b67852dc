package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// findingID fingerprints a finding for machines that compare reports
// (diff, incident bots de-duplicating fifty pods' reports). A hole is
// where a deadline cannot reach: the finding's category, the function its
// root is blocked in, and the application function that called into it
// (where the fix goes; absent when the root has no application frame).
// All three come from the root goroutine's own stack, which debug=2,
// debug=1 and proto dumps all carry, and which a trace repeats.
//
// The rest of the chain is left out on purpose: which waiters a detector
// can link depends on facts only some captures carry (argument addresses
// and "created by ... in goroutine N" only in debug=2, wake edges only in
// a trace), and on which callers happened to queue at that moment, so the
// same hole would change identity with the capture format or the load.
// Counts, waits, goroutine IDs, addresses, times and file lines are left
// out too, so the same hole has the same ID in every run, every pod and
// every capture format of one moment. The form is "f-" and 12 hex digits.
func findingID(category string, root Root) string {
	h := sha256.New()
	for _, p := range []string{"ctxhole-finding/2", category, root.Function, appFunction(root)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "f-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// appFunction is the function of the root's first application frame, ""
// when it has none.
func appFunction(r Root) string {
	if r.AppFrame < 0 || r.AppFrame >= len(r.Stack) {
		return ""
	}
	return r.Stack[r.AppFrame].Function
}

// uniqueIDs makes the findings' IDs unique within one report. Two findings
// share a fingerprint when one function holds two holes of one category
// (two channel receives in one handler): the one whose root is first in
// file and line order keeps the ID, the next gets "-2", then "-3". The
// order is the code's, not the findings' rank, so it does not change with
// the counts from one moment to the next.
func uniqueIDs(fs []Finding) {
	byID := make(map[string][]int, len(fs))
	for i := range fs {
		byID[fs[i].ID] = append(byID[fs[i].ID], i)
	}
	for _, idx := range byID {
		if len(idx) < 2 {
			continue
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			return cmp.Or(
				cmp.Compare(fs[a].Root.File, fs[b].Root.File),
				cmp.Compare(fs[a].Root.Line, fs[b].Root.Line),
				cmp.Compare(appLine(fs[a].Root), appLine(fs[b].Root)),
				cmp.Compare(a, b),
			)
		})
		for n, i := range idx[1:] {
			fs[i].ID += "-" + strconv.Itoa(n+2)
		}
	}
}

// appLine is the line of the root's first application frame, 0 when it
// has none.
func appLine(r Root) int {
	if r.AppFrame < 0 || r.AppFrame >= len(r.Stack) {
		return 0
	}
	return r.Stack[r.AppFrame].Line
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
