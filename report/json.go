package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the document as indented JSON. Maps are written with
// sorted keys and slices in document order, so the output is deterministic
// for a given input.
func WriteJSON(w io.Writer, d *Document) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	if _, err := w.Write(indentJSON(make([]byte, 0, compact.Len()*3/2), compact.Bytes())); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// indentJSON appends to dst the compact JSON src (encoding/json's own
// output: no space outside strings) indented by two spaces, as
// json.Indent(dst, src, "", "  ") writes it: a newline and the depth's
// indentation after an opening bracket and a comma and before a closing
// bracket, a space after a colon, empty objects and arrays kept as {} and
// []. json.Indent runs the full JSON scanner over every byte and was most
// of the report's cost; output the encoder wrote needs only to know where
// its strings are.
func indentJSON(dst, src []byte) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		for range depth {
			dst = append(dst, "  "...)
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			// Copy the string whole: it ends at the first quote not
			// escaped by a backslash.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(src))
			dst = append(dst, src[i:j]...)
			i = j - 1
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
