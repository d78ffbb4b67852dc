package parser

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// A dump a program logged as one string: logrus and other key=value
// loggers quote it with \n and \t escapes (moby/moby#34293 shows dockerd's
// "=== BEGIN goroutine stack dump ===" that way), JSON loggers the same
// inside a JSON string, and a JSON log shipped inside another JSON log
// escapes it twice. Each is read as the clean dump it came from, with one
// warning saying it was unescaped.
func TestReadTextEscapedInOneLine(t *testing.T) {
	logfmt := func(raw []byte) []byte {
		q, _ := json.Marshal("=== BEGIN goroutine stack dump ===\n" + string(raw) + "\n=== END goroutine stack dump ===")
		return append([]byte(`time="2017-07-11T10:00:00.000000000Z" level=info msg=`), append(q, '\n')...)
	}
	jsonLog := func(raw []byte) []byte {
		b, _ := json.Marshal(map[string]string{"level": "error", "msg": "stack dump", "stack": string(raw)})
		return append(b, '\n')
	}
	twice := func(raw []byte) []byte {
		inner := jsonLog(raw)
		b, _ := json.Marshal(map[string]string{"source": "app", "line": string(bytes.TrimSuffix(inner, []byte("\n")))})
		return append(b, '\n')
	}
	for name, raw := range pasteBases(t) {
		clean := readPaste(t, name, raw)
		for _, tr := range []struct {
			name  string
			apply func([]byte) []byte
		}{{"logfmt", logfmt}, {"json", jsonLog}, {"json-in-json", twice}} {
			t.Run(name+"/"+tr.name, func(t *testing.T) {
				s := readPaste(t, name, tr.apply(raw))
				sameGoroutines(t, s.Goroutines, clean.Goroutines)
				escaped := 0
				for _, w := range s.Warnings {
					if strings.Contains(w.Msg, "escaped string") {
						escaped++
					}
				}
				if escaped != 1 {
					t.Errorf("warnings %v: want one saying the dump was unescaped", s.Warnings)
				}
			})
		}
	}
}

// A line that merely mentions "\ngoroutine" without a header after it is
// left as it is.
func TestEscapedDumpNeedsAHeader(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`msg="x\ngoroutine 12 [running]:\nmain.main()"`, true},
		{`msg="x\ngoroutine leak suspected\n"`, false},
		{`msg="x\ngoroutine 12 gone"`, false},
		{"goroutine 12 [running]:", false},
	} {
		if got := escapedDump([]byte(tc.line)); got != tc.want {
			t.Errorf("escapedDump(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

// The quotes that open and close the logged string end lines too: the
// record's closing "} does not stick to the dump's last location line.
func TestUnescapeDumpStringEnds(t *testing.T) {
	line := []byte(`{"msg":"dump","stack":"goroutine 1 [running]:\nmain.main()\n\t/a.go:3 +0x1\n\ngoroutine 2 [select]:\nmain.f()\n\t/a.go:9 +0x2\ncreated by main.main\n\t/a.go:4 +0x3"}`)
	got := unescapeDump(line)
	want := []string{"{", "msg", ":", "dump", ",", "stack", ":", "goroutine 1 [running]:", "main.main()", "\t/a.go:3 +0x1", "", "goroutine 2 [select]:", "main.f()", "\t/a.go:9 +0x2", "created by main.main", "\t/a.go:4 +0x3", "}"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines %q, want %q", len(got), got, want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestLineReaderMayHold: over a slice, the reader says of each line
// whether it may hold an escape character or a backslash without
// searching every line, and never says "no" of a line that holds one:
// lines next to each other, first and last lines, a line that is only
// the character, and the character right after a newline.
func TestLineReaderMayHold(t *testing.T) {
	inputs := []string{
		"plain\nlines\nonly\n",
		"\x1b[31mred\x1b[0m\nplain\nback\\slash\n\\\n\x1b\nlast \\ no newline",
		"a\n\x1bb\n\\c\nd\n\n\n\x1b\\\n",
		"\\\n\\\n\x1b\n\x1b\n",
		"",
		"no newline at all \x1b",
	}
	for _, in := range inputs {
		lr := newSliceLineReader([]byte(in), 0, 0)
		for n := 0; ; n++ {
			line, _, _, err := lr.next()
			if err != nil {
				break
			}
			hasESC, hasBS := strings.IndexByte(string(line), 0x1b) >= 0, strings.IndexByte(string(line), '\\') >= 0
			if hasESC && !lr.mayESC || hasBS && !lr.mayBS {
				t.Errorf("%q line %d %q: mayESC %v mayBS %v", in, n, line, lr.mayESC, lr.mayBS)
			}
			if !hasESC && lr.mayESC || !hasBS && lr.mayBS {
				t.Errorf("%q line %d %q: mayESC %v mayBS %v, but it holds neither", in, n, line, lr.mayESC, lr.mayBS)
			}
		}
	}
}
