package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestHTMLEscapesCapturedStrings renders a document whose captured
// strings carry markup and script: none reaches the page as markup, in
// the text or in the SVG graphs.
func TestHTMLEscapesCapturedStrings(t *testing.T) {
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	start, end := int64(0), int64(2e9)
	d := &Document{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: "ctxhole", Version: evil},
		Inputs:        []Input{{Kind: KindGoroutines, File: evil, Format: "goroutine-text", Primary: true}},
		Summary:       Summary{Warnings: []Warning{{File: evil, Line: 3, Message: evil}}},
		Groups: []Group{{Count: 2, State: evil, Stack: []Frame{{Function: evil, File: evil, Line: 1}},
			Labels: []Label{{Key: evil, Value: evil}}}},
		Findings: []Finding{{
			Rank: 1, ID: "f-000000000000", Category: "chan-recv-blocked", Severity: "high", Title: evil,
			Explanation: evil, Fix: Fix{Summary: evil, Detail: evil, Code: evil},
			Root:     Root{Function: evil, File: evil, AppFrame: 0, Stack: []Frame{{Function: evil}}},
			Evidence: []Evidence{{Kind: "frame", Text: evil}},
			Chain: []Link{
				{Depth: 0, Relation: "root", Function: evil, State: evil, Category: evil, Timed: true, StartNS: &start, NeverWoken: true},
				{Depth: 1, Relation: evil, Function: evil, Object: evil, Timed: true, StartNS: &start, EndNS: &end},
			},
			TraceEndNS: &end,
		}},
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, d, Options{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script>alert", "<img", "onerror=alert(2)>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page carries captured markup %q", bad)
		}
	}
	if n := strings.Count(page, "<script>"); n != 1 {
		t.Errorf("%d script elements, want the page's own one", n)
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(page, `<svg class="chain"`) || !strings.Contains(page, `<svg class="gantt"`) {
		t.Error("escaped text or the chain and timeline graphs missing")
	}
	for _, remote := range []string{"http://", "https://", "src=\"//"} {
		if i := strings.Index(page, remote); i >= 0 && !strings.HasPrefix(page[i:], "http://www.w3.org/2000/svg") {
			t.Errorf("page refers to a remote resource: %.80s", page[i:])
		}
	}
}
