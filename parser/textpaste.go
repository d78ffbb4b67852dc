package parser

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// Dumps pasted into an issue thread, a chat or a wiki pick up the markup of
// where they were pasted: Markdown quote markers ("> ", nested "> > "),
// code fences, the HTML a rendered page carries (<details>, <pre>), and
// HTML entities when the text was copied from a page's source ("&gt;",
// "&quot;"). The functions here remove that markup so the readers see the
// text the runtime printed. Each is a constant-time check on a line's first
// or last byte unless the line actually carries markup, so clean dumps
// stream at full speed.

// unquoteLine removes Markdown quote markers from the start of a line: up
// to three spaces, then ">" or its escaped form "&gt;", an optional space,
// repeated for nested quotes. A line that is not quoted is returned as is.
func unquoteLine(b []byte) []byte {
	for {
		i := 0
		for i < len(b) && i < 3 && b[i] == ' ' {
			i++
		}
		switch {
		case i < len(b) && b[i] == '>':
			i++
		case bytes.HasPrefix(b[i:], []byte("&gt;")):
			i += len("&gt;")
		default:
			return b
		}
		if i < len(b) && b[i] == ' ' {
			i++
		}
		b = b[i:]
	}
}

// quoted reports whether a line starts with a quote marker (cheaply: its
// first non-space byte).
func quoted(b []byte) bool {
	for i := 0; i < len(b) && i < 4; i++ {
		switch b[i] {
		case ' ':
			continue
		case '>', '&':
			return true
		}
		return false
	}
	return false
}

// markupOnly reports whether a trimmed line is paste markup and nothing
// else: a Markdown code fence ("```", "```go", "~~~") or a line of HTML
// block tags (`<details><summary>dump</summary>`, `</pre></details>`).
// Readers treat such a line as blank: like a blank line, it ends a block.
func markupOnly(t []byte) bool {
	if len(t) < 3 {
		return false
	}
	switch t[0] {
	case '`', '~':
		return bytes.HasPrefix(t, []byte("```")) || bytes.HasPrefix(t, []byte("~~~"))
	case '<':
		return len(stripTags(t)) == 0
	}
	return false
}

// htmlTags are the tags of the HTML around pasted dumps. A <summary>
// element is dropped with its text (a label, not dump content).
var htmlTags = [...]string{"details", "summary", "pre", "code", "br", "p", "div", "tt", "samp", "blockquote"}

// stripTags removes the HTML tags of htmlTags at the start and the end of
// a trimmed line ("<pre>goroutine 1 [running]:", "\t/src/m.go:5</pre>").
func stripTags(t []byte) []byte {
	for len(t) > 0 && t[0] == '<' {
		n := tagLen(t)
		if n == 0 {
			break
		}
		if bytes.HasPrefix(t, []byte("<summary")) {
			if end := bytes.Index(t, []byte("</summary>")); end >= 0 {
				n = end + len("</summary>")
			}
		}
		t = trimBlank(t[n:])
	}
	for len(t) > 0 && t[len(t)-1] == '>' {
		open := bytes.LastIndexByte(t, '<')
		if open < 0 || tagLen(t[open:]) != len(t)-open {
			break
		}
		t = trimBlank(t[:open])
	}
	return t
}

// tagLen returns the length of the tag of htmlTags at the start of t
// ("<pre>", "</details>", `<pre class="x">`, "<br/>"), or 0.
func tagLen(t []byte) int {
	end := bytes.IndexByte(t, '>')
	if end < 2 {
		return 0
	}
	name := t[1:end]
	if name[0] == '/' {
		name = name[1:]
	}
	name = bytes.TrimSuffix(name, []byte("/"))
	if sp := bytes.IndexAny(name, " \t"); sp >= 0 {
		name = name[:sp]
	}
	for _, tag := range htmlTags {
		if string(bytes.ToLower(name)) == tag {
			return end + 1
		}
	}
	return 0
}

// htmlEntities are the named entities a page escapes a dump with.
var htmlEntities = map[string]string{
	"lt": "<", "gt": ">", "amp": "&", "quot": `"`, "apos": "'", "nbsp": " ", "#39": "'",
}

// unescapeEntities decodes the HTML character references of s ("&lt;",
// "&#39;", "&#x27;"); anything else, a bare "&" included, is kept. It
// returns s itself when there is nothing to decode.
func unescapeEntities(s string) string {
	if !hasEntity(s) {
		return s
	}
	var b []byte
	for i := 0; i < len(s); {
		if s[i] != '&' {
			b = append(b, s[i])
			i++
			continue
		}
		end := -1
		for j := i + 1; j < len(s) && j < i+12; j++ {
			if s[j] == ';' {
				end = j
				break
			}
		}
		if end < 0 {
			b = append(b, '&')
			i++
			continue
		}
		name := s[i+1 : end]
		if v, ok := htmlEntities[name]; ok {
			b = append(b, v...)
		} else if r, ok := numericEntity(name); ok {
			b = utf8.AppendRune(b, r)
		} else {
			b = append(b, '&')
			i++
			continue
		}
		i = end + 1
	}
	return string(b)
}

// hasEntity reports whether s holds something unescapeEntities decodes.
func hasEntity(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '&' {
			for j := i + 1; j < len(s) && j < i+12; j++ {
				if s[j] == ';' {
					return true
				}
			}
		}
	}
	return false
}

// numericEntity decodes the name of "&#NN;" or "&#xHH;".
func numericEntity(name string) (rune, bool) {
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	var v uint64
	var err error
	if name[1] == 'x' || name[1] == 'X' {
		v, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil || v == 0 || v > utf8.MaxRune {
		return 0, false
	}
	return rune(v), true
}
