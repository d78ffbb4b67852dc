package parser

import "testing"

// TestCleanTextBidi: every bidirectional control is made visible as its
// code point, so no capture can reorder what a table, the TUI or a
// Markdown report shows; the result is stable under a second cleaning.
func TestCleanTextBidi(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main.(*srv).handle\u202egnp.exe", "main.(*srv).handle<U+202E>gnp.exe"},
		{"a\u2066b\u2069c\u200fd\u061ce", "a<U+2066>b<U+2069>c<U+200F>d<U+061C>e"},
		{"\x1b[31mred\x1b[0m\u202a", "red<U+202A>"},
		{"plain ünïcode", "plain ünïcode"},
	}
	for _, tt := range tests {
		got := CleanText(tt.in)
		if got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := CleanText(got); again != got {
			t.Errorf("CleanText not idempotent on %q: %q", got, again)
		}
	}
}
