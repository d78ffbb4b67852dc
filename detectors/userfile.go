package detectors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/ctxhole/ctxhole/parser"
)

// Limits of a --signatures file. The file is the user's, but it may come
// from elsewhere; with these, matching it costs at most a constant per row
// and goroutine group (sigIndex), and a file over them is refused naming
// the limit.
const (
	maxSignatureFile    = 2 << 20 // bytes
	maxUserSignatures   = 1000    // rows
	maxRowPatterns      = 16      // frames, not and reasons, each
	maxPatternBytes     = 512
	maxPatternWildcards = 8
	// maxWildcardPatterns bounds the distinct patterns with a wildcard:
	// each costs a scan of every stack (exact names cost a lookup).
	maxWildcardPatterns = 256
)

// signatureFile is the JSON shape of a --signatures file:
//
//	{
//	  "signatures": [
//	    {
//	      "id": "acme-rpc.call",
//	      "library": "github.com/acme/rpc",
//	      "frames": ["github.com/acme/rpc.(*Client).readResponse", "github.com/acme/rpc.(*Client).Call"],
//	      "reasons": ["IO wait"],
//	      "category": "io-no-deadline",
//	      "context_aware": false,
//	      "why": "acme-rpc waits for the response with no deadline",
//	      "fix": {"summary": "set rpc.Options.CallTimeout", "detail": "...", "code": "..."},
//	      "severity": "high",
//	      "confidence": 0.8
//	    }
//	  ]
//	}
//
// Fields are those of Signature: frames are function patterns innermost
// first (a "*" matches any run of characters), "not" patterns that must
// not appear in the stack, reasons are wait reasons as
// a dump prints them, "background": true marks a loop that waits for work
// and is never a hole (category is then not needed), "watcher" names the
// helper goroutine a library starts only for a cancellable context
// ("watcher_until": "module@version" the first version that no longer does),
// "dominant": true lets the row name the principal cause of the chain it
// roots, "held_by" lists the frames of the goroutines that hold what the
// row's goroutines wait for (a pool's connections, a queue's consumer),
// "lock": true marks a lock-like primitive whose holders are in the
// acquiring function past the call, and "innermost": true restricts the
// row to stacks whose first frame pattern is the innermost frame outside
// the runtime (a loop idle in its own select), and "waiting" says what the
// row's goroutines do when they wait behind a holder, as a title puts it
// ("queued on a gate").
type signatureFile struct {
	Signatures []signatureJSON `json:"signatures"`
}

type signatureJSON struct {
	ID           string   `json:"id"`
	Library      string   `json:"library"`
	Frames       []string `json:"frames"`
	Not          []string `json:"not"`
	Reasons      []string `json:"reasons"`
	Category     string   `json:"category"`
	Background   bool     `json:"background"`
	ContextAware bool     `json:"context_aware"`
	Watcher      string   `json:"watcher"`
	WatcherUntil string   `json:"watcher_until"`
	Why          string   `json:"why"`
	Fix          struct {
		Summary string `json:"summary"`
		Detail  string `json:"detail"`
		Code    string `json:"code"`
	} `json:"fix"`
	Severity   string   `json:"severity"`
	Confidence float64  `json:"confidence"`
	Dominant   bool     `json:"dominant"`
	HeldBy     []string `json:"held_by"`
	Lock       bool     `json:"lock"`
	Innermost  bool     `json:"innermost"`
	Waiting    string   `json:"waiting"`
}

// LoadSignatures reads user signatures from a JSON file (see signatureFile
// for the shape). Errors name the file and the field, or the line of a
// syntax error.
func LoadSignatures(path string) ([]Signature, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSignatureFile+1))
	if err != nil {
		return nil, fmt.Errorf("signatures: %s: %w", path, err)
	}
	if len(data) > maxSignatureFile {
		return nil, fmt.Errorf("signatures: %s: larger than %d bytes", path, maxSignatureFile)
	}
	return parseSignatures(path, data)
}

func parseSignatures(path string, data []byte) ([]Signature, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var file signatureFile
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("signatures: %s: %w", path, jsonPosition(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("signatures: %s:%d: unexpected data after the top-level object", path, lineAt(data, dec.InputOffset()))
	}
	if len(file.Signatures) > maxUserSignatures {
		return nil, fmt.Errorf("signatures: %s: %d rows, over the limit of %d", path, len(file.Signatures), maxUserSignatures)
	}
	wild := make(map[string]bool)
	for _, js := range file.Signatures {
		for _, p := range append(slices.Clone(js.Frames), js.Not...) {
			if strings.Contains(strings.ReplaceAll(p, "(*", ""), "*") {
				wild[p] = true
			}
		}
	}
	if len(wild) > maxWildcardPatterns {
		return nil, fmt.Errorf("signatures: %s: %d distinct patterns with a wildcard, over the limit of %d", path, len(wild), maxWildcardPatterns)
	}
	out := make([]Signature, 0, len(file.Signatures))
	for i, js := range file.Signatures {
		if err := checkRowSize(js); err != nil {
			return nil, fmt.Errorf("signatures: %s: signatures[%d]: %w", path, i, err)
		}
		// Everything a user file says may reach a terminal: strip control
		// characters as the parser does for captures.
		clean := parser.CleanText
		s := Signature{
			ID: clean(js.ID), Library: clean(js.Library), Frames: js.Frames, Not: js.Not, Reasons: js.Reasons,
			Category: Category(js.Category), Background: js.Background, ContextAware: js.ContextAware,
			Watcher: clean(js.Watcher), WatcherUntil: clean(js.WatcherUntil), Why: clean(js.Why), Confidence: js.Confidence, Dominant: js.Dominant,
			HeldBy: js.HeldBy, Lock: js.Lock, Innermost: js.Innermost, Waiting: clean(js.Waiting),
			Fix:      Fix{Summary: clean(js.Fix.Summary), Detail: clean(js.Fix.Detail), Code: cleanCode(js.Fix.Code)},
			Severity: SevMedium,
		}
		if js.Severity != "" {
			sev, err := ParseSeverity(js.Severity)
			if err != nil {
				return nil, fmt.Errorf("signatures: %s: signatures[%d].severity: %w", path, i, err)
			}
			s.Severity = sev
		}
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("signatures: %s: signatures[%d] (%q): %w", path, i, js.ID, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// checkRowSize refuses a row over the pattern limits.
func checkRowSize(js signatureJSON) error {
	for _, list := range []struct {
		name     string
		patterns []string
	}{{"frames", js.Frames}, {"not", js.Not}, {"reasons", js.Reasons}} {
		if len(list.patterns) > maxRowPatterns {
			return fmt.Errorf("%s: %d entries, over the limit of %d", list.name, len(list.patterns), maxRowPatterns)
		}
		for i, p := range list.patterns {
			if len(p) > maxPatternBytes {
				return fmt.Errorf("%s[%d]: %d bytes, over the limit of %d", list.name, i, len(p), maxPatternBytes)
			}
			if n := len(splitWildcards(p)) - 1; list.name != "reasons" && n > maxPatternWildcards {
				return fmt.Errorf("%s[%d]: %d wildcards, over the limit of %d", list.name, i, n, maxPatternWildcards)
			}
		}
	}
	if len(js.Watcher) > maxPatternBytes {
		return fmt.Errorf("watcher: %d bytes, over the limit of %d", len(js.Watcher), maxPatternBytes)
	}
	return nil
}

// validate checks a signature row; errors name the field.
func (s *Signature) validate() error {
	if strings.TrimSpace(s.ID) == "" {
		return errors.New("id: required")
	}
	if len(s.Frames) == 0 && len(s.Reasons) == 0 {
		return errors.New("frames: at least one frame pattern or one reason is required")
	}
	for i, p := range s.Frames {
		if strings.TrimSpace(p) == "" || strings.Trim(p, "*") == "" {
			return fmt.Errorf("frames[%d]: pattern %q matches nothing specific", i, p)
		}
	}
	if !s.Background {
		known := false
		for _, c := range Categories() {
			if c == s.Category {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("category: unknown category %q", string(s.Category))
		}
	}
	for i, p := range s.HeldBy {
		if strings.TrimSpace(p) == "" || strings.Trim(p, "*") == "" {
			return fmt.Errorf("held_by[%d]: pattern %q matches nothing specific", i, p)
		}
	}
	if s.WatcherUntil != "" {
		module, v := watcherLimit(s.WatcherUntil)
		if module == "" || !semver.IsValid(v) {
			return fmt.Errorf("watcher_until: %q is not module@version (github.com/jackc/pgx/v5@v5.9.0)", s.WatcherUntil)
		}
	}
	if (s.Lock || s.Innermost || len(s.HeldBy) > 0) && len(s.Frames) == 0 {
		return errors.New("frames: lock, innermost and held_by need a frame pattern to anchor on")
	}
	if s.Lock && s.Background {
		return errors.New("lock: a background row waits for work, it is not a lock")
	}
	if s.Confidence < 0 || s.Confidence > 1 {
		return fmt.Errorf("confidence: %v is outside 0–1", s.Confidence)
	}
	if s.Severity < SevInfo || s.Severity > SevCritical {
		return fmt.Errorf("severity: %d is not a severity", int(s.Severity))
	}
	return nil
}

// jsonPosition rewrites a JSON decoding error with the line it occurred on.
func jsonPosition(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("line %d: %w", lineAt(data, syn.Offset), err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("line %d: field %s: %w", lineAt(data, typ.Offset), typ.Field, err)
	}
	return err
}

func lineAt(data []byte, off int64) int {
	off = max(0, min(off, int64(len(data))))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// cleanCode strips control characters from a code example line by line,
// keeping its newlines.
func cleanCode(code string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		lines[i] = parser.CleanText(l)
	}
	return strings.Join(lines, "\n")
}
