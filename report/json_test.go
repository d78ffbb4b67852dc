package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestIndentJSONMatchesIndent: the report's indenter writes what
// json.Indent writes for what encoding/json encodes: strings holding
// brackets, commas, colons, escaped quotes and backslashes, empty and
// nested empty objects and arrays, numbers, null and unicode.
func TestIndentJSONMatchesIndent(t *testing.T) {
	values := []any{
		map[string]any{},
		[]any{},
		map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{[]any{}, map[string]any{"d": []any{map[string]any{}}}}},
		map[string]any{"s": `he said "{[,:]}" \ and \"`, "t": "\\", "u": "\\\"", "v": "tab\there\nline", "w": "\x1b[31m", "x": "<&>", "y": "π 世界 \u2028"},
		[]any{1, -2.5, 1e21, 0, nil, true, false, "", `"`, `\`},
		map[string]any{"nested": map[string]any{"deeper": map[string]any{"deepest": []any{1, []any{2, []any{3}}}}}},
		"just a string with a } in it",
		42,
		nil,
	}
	for _, v := range values {
		var compact bytes.Buffer
		enc := json.NewEncoder(&compact)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(nil, compact.Bytes()); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("for %s\ngot  %q\nwant %q", compact.Bytes(), got, want.Bytes())
		}
	}
}
