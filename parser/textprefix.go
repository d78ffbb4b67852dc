package parser

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// Dumps are rarely read from a clean file: they come out of `kubectl logs
// --timestamps [--prefix]`, containerd and Docker log files, journald,
// docker compose or a logging library, each of which wraps every line. The
// functions here find the dump's own text in such a line. Timestamps vary
// from line to line, so they are recognised by shape; any other prefix is
// learned from the first goroutine header that carries it and then matched
// by shape as well (digits match digits), which covers a logger's own
// clock. Lines a log driver split (containerd "P" records, Docker records
// without a newline) are joined again.

// linePrefix is what the reader knows about the per-line prefix of the
// current part of the input.
type linePrefix struct {
	learned []byte // the prefix seen before a goroutine header, or nil
	// record and recordTS hold the text and time of the current Docker
	// json-file record.
	record, recordTS []byte
}

// dockerRecord is one line of Docker's json-file log driver
// (/var/lib/docker/containers/<id>/<id>-json.log).
type dockerRecord struct {
	Log    *string `json:"log"`
	Stream string  `json:"stream"`
	Time   string  `json:"time"`
}

// dockerJSON decodes a Docker json-file record and returns the logged
// text. A record whose text does not end in a newline is part of a line
// Docker split (at 16 KiB); cl.partial says so.
func (lp *linePrefix) dockerJSON(raw []byte, cl *cleanLine) ([]byte, bool) {
	if !bytes.HasPrefix(raw, []byte(`{"log":`)) || !bytes.HasSuffix(raw, []byte("}")) {
		return nil, false
	}
	var rec dockerRecord
	if err := json.Unmarshal(raw, &rec); err != nil || rec.Log == nil {
		return nil, false
	}
	text := *rec.Log
	if strings.HasSuffix(text, "\n") {
		text = strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r")
	} else {
		cl.partial = true
	}
	lp.record = append(lp.record[:0], text...)
	if rfc3339Len([]byte(rec.Time+" ")) > 0 {
		lp.recordTS = append(lp.recordTS[:0], rec.Time...)
		cl.ts = lp.recordTS
	}
	return lp.record, true
}

// cleanLine is one input line reduced to the dump's text.
type cleanLine struct {
	text []byte // without prefix, leading blanks, CR or ANSI sequences
	// pre is the line after timestamp stripping but before the learned
	// prefix and indentation are removed; header detection uses it to learn
	// a prefix.
	pre []byte
	ts  []byte // the RFC 3339 timestamp prefix, nil if none
	// partial is set for a containerd (CRI) log record tagged "P": the
	// runtime split a long line and the next record continues it.
	partial bool
	// indent is how many blanks preceded the text (after any prefix), a
	// leading tab counting 8.
	indent int
}

// strip reduces raw (a line without its newline) to the dump's text in cl.
// ansi is scratch space for lines that carry escape sequences; mayESC is
// false when the reader knows raw holds none.
func (lp *linePrefix) strip(raw []byte, mayESC bool, ansi *[]byte, cl *cleanLine) {
	*cl = cleanLine{}
	if len(raw) > 0 && quoted(raw) {
		raw = unquoteLine(raw) // a Markdown quote, "> " or "&gt; "
		mayESC = true
	}
	if len(raw) > 0 && raw[0] == '{' {
		if text, ok := lp.dockerJSON(raw, cl); ok {
			raw = text // decoded: "\u001b" is an escape character now
			mayESC = true
		}
	}
	if mayESC && bytes.IndexByte(raw, 0x1b) >= 0 {
		*ansi = stripANSI((*ansi)[:0], raw)
		raw = *ansi
	}
	if n := kubectlPrefixLen(raw); n > 0 {
		raw = raw[n:] // "[pod/name/container] " of kubectl logs --prefix
	}
	if n := rfc3339Len(raw); n > 0 && cl.ts == nil {
		cl.ts = raw[:n]
		raw = raw[n:]
		if len(raw) > 0 && raw[0] == ' ' {
			raw = raw[1:]
		}
		raw, cl.partial = criTag(raw)
	} else if n := journaldLen(raw); n > 0 {
		raw = raw[n:]
	}
	lp.rest(raw, cl)
}

// rest fills in cl from raw, the line without its timestamp: the learned
// prefix and the indentation are removed.
func (lp *linePrefix) rest(raw []byte, cl *cleanLine) {
	cl.pre = raw
	if lp.learned != nil {
		if n := shapePrefixLen(raw, lp.learned); n > 0 {
			raw = raw[n:]
		}
	}
	cl.text = trimBlank(raw)
	if cl.indent = cap(raw) - cap(cl.text); cl.indent > 0 && raw[0] == '\t' {
		cl.indent = 8 // a tab: the runtime's own indentation
	}
	if t := cl.text; len(t) >= 3 && (t[0] == '`' || t[0] == '~' || t[0] == '<' || t[len(t)-1] == '>') {
		if markupOnly(t) {
			cl.text = t[:0] // a code fence or HTML block tags: a blank line
		} else {
			cl.text = stripTags(t)
		}
	}
}

// criTag strips the stream and tag of a containerd (CRI) log record,
// "stdout F " or "stderr P ", and reports a partial record.
func criTag(b []byte) ([]byte, bool) {
	if len(b) < 9 || b[6] != ' ' || b[8] != ' ' || (string(b[:6]) != "stdout" && string(b[:6]) != "stderr") {
		return b, false
	}
	switch b[7] {
	case 'F':
		return b[9:], false
	case 'P':
		return b[9:], true
	}
	return b, false
}

// learn records the prefix found in front of a goroutine header. A prefix
// of blanks only is not learned: indentation is trimmed anyway.
func (lp *linePrefix) learn(prefix []byte) {
	if len(trimBlank(prefix)) == 0 {
		return
	}
	lp.learned = append(lp.learned[:0], prefix...)
}

// shapePrefixLen returns how much of line the learned prefix covers: all of
// it when line starts with something of the prefix's shape (bytes equal,
// or both digits), or the whole line when the line is the prefix with its
// trailing blanks cut (a logger printing an empty message). It returns 0
// when the line does not carry the prefix.
func shapePrefixLen(line, prefix []byte) int {
	n := min(len(line), len(prefix))
	for i := 0; i < n; i++ {
		a, b := line[i], prefix[i]
		if a != b && !(isDigit(a) && isDigit(b)) {
			return 0
		}
	}
	if len(line) >= len(prefix) {
		return len(prefix)
	}
	if len(trimBlank(prefix[len(line):])) == 0 {
		return len(line)
	}
	return 0
}

// rfc3339Len returns the length of an RFC 3339 timestamp at the start of
// b ("2026-11-23T11:04:05.123456789Z", "2026-11-23T11:04:05+01:00"), the
// shape `kubectl logs --timestamps` and most JSON-less loggers print, or 0.
func rfc3339Len(b []byte) int {
	// 2006-01-02T15:04:05 is 19 bytes.
	if len(b) < 20 || !isDigit(b[0]) || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return 0
	}
	for _, i := range [...]int{1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if !isDigit(b[i]) {
			return 0
		}
	}
	i := 19
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	switch {
	case i < len(b) && b[i] == 'Z':
		return i + 1
	case i+6 <= len(b) && (b[i] == '+' || b[i] == '-') && b[i+3] == ':' && isDigit(b[i+1]) && isDigit(b[i+2]) && isDigit(b[i+4]) && isDigit(b[i+5]):
		return i + 6
	case i < len(b) && b[i] == ' ' && b[10] == ' ':
		// "2026-11-23 11:04:05.123 " without a zone: a logger's local time.
		return i
	}
	return 0
}

// kubectlPrefixLen returns the length of the "[pod/name/container] "
// prefix `kubectl logs --prefix` puts before each line, or 0.
func kubectlPrefixLen(b []byte) int {
	if len(b) < 8 || string(b[:5]) != "[pod/" {
		return 0
	}
	end := bytes.Index(b[:min(len(b), 512)], []byte("] "))
	if end < 0 || bytes.IndexByte(b[:end], ' ') >= 0 {
		return 0
	}
	return end + 2
}

// parseTimestamp parses a prefix rfc3339Len accepted; the zero time if it
// does not parse (a local time without a zone).
func parseTimestamp(ts []byte) time.Time {
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return time.Time{}
	}
	return t
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// journaldLen returns the length of a syslog/journald prefix
// ("Nov 23 11:04:05 host app[123]: ") at the start of b, or 0.
func journaldLen(b []byte) int {
	if len(b) < 16 || b[0] < 'A' || b[0] > 'Z' || b[3] != ' ' {
		return 0
	}
	ok := false
	for _, m := range months {
		if string(b[:3]) == m {
			ok = true
			break
		}
	}
	// "Nov 23 11:04:05 " or "Nov  3 11:04:05 ".
	if !ok || b[3] != ' ' || (b[4] != ' ' && !isDigit(b[4])) || !isDigit(b[5]) || b[6] != ' ' ||
		!isDigit(b[7]) || !isDigit(b[8]) || b[9] != ':' || !isDigit(b[10]) || !isDigit(b[11]) || b[12] != ':' ||
		!isDigit(b[13]) || !isDigit(b[14]) {
		return 0
	}
	i := 15
	if i < len(b) && b[i] == '.' { // journalctl -o short-precise
		i++
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i >= len(b) || b[i] != ' ' {
		return 0
	}
	i++
	// host, then "ident[pid]: " or "ident: ".
	sp := bytes.IndexByte(b[i:], ' ')
	if sp <= 0 {
		return 0
	}
	i += sp + 1
	rest := b[i:]
	if colon := bytes.Index(rest, []byte(": ")); colon > 0 && bytes.IndexByte(rest[:colon], ' ') < 0 {
		return i + colon + 2
	}
	if len(rest) > 1 && rest[len(rest)-1] == ':' && bytes.IndexByte(rest, ' ') < 0 {
		return len(b) // "ident[pid]:" and nothing else: an empty message
	}
	return 0
}

// stripANSI appends src to dst without ANSI escape sequences (colored log
// output), so that the parser sees the text a terminal would show.
func stripANSI(dst, src []byte) []byte {
	s := string(src) // one copy; lines with escapes are rare
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			i = skipEscape(s, i)
			continue
		}
		dst = append(dst, s[i])
		i++
	}
	return dst
}

// trimBlank drops leading and trailing spaces, tabs and no-break spaces
// (U+00A0, what a rendered web page indents with).
func trimBlank(b []byte) []byte {
	i := 0
	for i < len(b) {
		if b[i] == ' ' || b[i] == '\t' {
			i++
		} else if b[i] == 0xc2 && i+1 < len(b) && b[i+1] == 0xa0 {
			i += 2
		} else {
			break
		}
	}
	j := len(b)
	for j > i {
		if b[j-1] == ' ' || b[j-1] == '\t' {
			j--
		} else if b[j-1] == 0xa0 && j-2 >= i && b[j-2] == 0xc2 {
			j -= 2
		} else {
			break
		}
	}
	return b[i:j]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
