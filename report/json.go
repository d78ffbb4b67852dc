package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the document as indented JSON. Maps are written with
// sorted keys and slices in document order, so the output is deterministic
// for a given input.
func WriteJSON(w io.Writer, d *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}
