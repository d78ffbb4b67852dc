package detectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

func writeSignatures(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sigs.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadSignaturesErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // substrings of the error
	}{
		{"syntax", "{\n  \"signatures\": [\n    {\"id\": \"x\",,}\n  ]\n}", []string{"sigs.json", "line 3"}},
		{"unknown field", `{"signatures": [{"id": "x", "frame": ["a.b"]}]}`, []string{"sigs.json", `unknown field "frame"`}},
		{"no id", `{"signatures": [{"frames": ["a.b"], "category": "io-no-deadline"}]}`, []string{"signatures[0]", "id: required"}},
		{"no frames", `{"signatures": [{"id": "x", "category": "io-no-deadline"}]}`, []string{"signatures[0]", "frames:"}},
		{"bare wildcard", `{"signatures": [{"id": "x", "frames": ["*"], "category": "io-no-deadline"}]}`, []string{"frames[0]"}},
		{"category", `{"signatures": [{"id": "ok", "frames": ["a.b"], "category": "io-no-deadline"}, {"id": "x", "frames": ["a.b"], "category": "slow"}]}`,
			[]string{"signatures[1]", `"x"`, `category: unknown category "slow"`}},
		{"severity", `{"signatures": [{"id": "x", "frames": ["a.b"], "category": "io-no-deadline", "severity": "urgent"}]}`,
			[]string{"signatures[0].severity", "urgent"}},
		{"confidence", `{"signatures": [{"id": "x", "frames": ["a.b"], "category": "io-no-deadline", "confidence": 2}]}`,
			[]string{"signatures[0]", "confidence"}},
		{"type", `{"signatures": [{"id": 3}]}`, []string{"sigs.json", "line 1", "signatures.id"}},
		{"trailing", `{"signatures": []} {}`, []string{"sigs.json:1", "unexpected data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSignatures(writeSignatures(t, tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := LoadSignatures(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// liveInHouseClient stands for an in-house client library the built-in
// tables do not know: it waits for a reply that never comes.
func liveInHouseClient(reply chan []byte) []byte { return <-reply }

// TestUserSignatureNamesInHouseClient loads a user file and checks that its
// row names a real goroutine the built-in tables would call a generic
// channel wait.
func TestUserSignatureNamesInHouseClient(t *testing.T) {
	path := writeSignatures(t, `{
  "signatures": [
    {
      "id": "acme.call",
      "library": "github.com/acme/rpc",
      "frames": ["github.com/ctxhole/ctxhole/detectors.liveInHouseClient"],
      "reasons": ["chan receive"],
      "category": "io-no-deadline",
      "why": "the in-house client waits for its reply with no deadline",
      "fix": {"summary": "set CallTimeout", "detail": "Every call needs a deadline.", "code": "c := rpc.New(rpc.CallTimeout(2*time.Second))"},
      "severity": "high",
      "confidence": 0.9
    }
  ]
}`)
	sigs, err := LoadSignatures(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || sigs[0].Severity != SevHigh || sigs[0].Fix.Summary != "set CallTimeout" {
		t.Fatalf("loaded %+v", sigs)
	}
	reply := make(chan []byte)
	defer close(reply)
	go liveInHouseClient(reply)
	waitParked(t, "liveInHouseClient", 1)

	r, err := Analyze(captureLive(t), Options{Signatures: sigs})
	if err != nil {
		t.Fatal(err)
	}
	f := findingWith(r, CatIONoDeadline, "liveInHouseClient")
	if f == nil {
		t.Fatalf("user signature did not name the in-house client\n%s", describe(r, 10))
	}
	if f.Fix.Summary != "set CallTimeout" {
		t.Errorf("fix %q, want the user's", f.Fix.Summary)
	}
	if !strings.Contains(strings.Join(f.Reasons, "; "), "acme.call") {
		t.Errorf("reasons do not cite the user signature: %v", f.Reasons)
	}

	// Without the file, the same goroutine is a generic wait, not this.
	r, err = Analyze(captureLive(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if findingWith(r, CatIONoDeadline, "liveInHouseClient") != nil {
		t.Errorf("without the user file the goroutine should not be io-no-deadline")
	}
}

func TestAnalyzeRejectsInvalidUserSignature(t *testing.T) {
	_, err := Analyze(&parser.Capture{}, Options{Signatures: []Signature{{ID: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "user signature 0") {
		t.Errorf("err = %v", err)
	}
}

// TestExampleSignatureFile keeps the documented example loadable.
func TestExampleSignatureFile(t *testing.T) {
	sigs, err := LoadSignatures(filepath.Join("testdata", "signatures.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 2 || sigs[0].Category != CatIONoDeadline || !sigs[1].Background || sigs[0].Severity != SevHigh {
		t.Errorf("loaded %+v", sigs)
	}
}

// TestLoadSignaturesStripsControls keeps a hostile signature file from
// moving the cursor or retitling the terminal of whoever reads the report.
func TestLoadSignaturesStripsControls(t *testing.T) {
	path := writeSignatures(t, `{"signatures": [{"id": "x\u001b[2J", "frames": ["a.b"], "category": "io-no-deadline",
		"why": "bad\u001b]0;title\u0007 why", "fix": {"summary": "s\u001b[31m", "code": "a := 1\n\u001b[Hb := 2"}}]}`)
	sigs, err := LoadSignatures(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sigs[0]
	for _, text := range []string{s.ID, s.Why, s.Fix.Summary, s.Fix.Code} {
		if strings.ContainsRune(text, 0x1b) || strings.ContainsRune(text, 0x07) {
			t.Errorf("control characters kept in %q", text)
		}
	}
	if s.Fix.Code != "a := 1\nb := 2" {
		t.Errorf("code %q: newlines must survive, escapes must not", s.Fix.Code)
	}
}
