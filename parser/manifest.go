package parser

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ctxhole/ctxhole/internal/safefile"
)

// ManifestName is the file that makes a directory an incident bundle.
const ManifestName = "manifest.json"

// ManifestVersion is the bundle manifest format version this package
// writes and reads.
const ManifestVersion = 1

// Manifest describes an incident bundle: what was captured, from where and
// when. `ctxhole capture` writes it; Load reads it so capture times become
// Source.Time and a bundle's snapshots are treated as one process. The
// fixture generators write the same shape.
type Manifest struct {
	Version   int            `json:"version"`
	Tool      string         `json:"tool,omitempty"`
	Target    string         `json:"target,omitempty"` // base URL captured from
	Scenario  string         `json:"scenario,omitempty"`
	GoVersion string         `json:"go_version,omitempty"`
	StartedAt time.Time      `json:"started_at,omitzero"`
	Files     []ManifestFile `json:"files"`
	// Expect is free-form: the fixture generators record what they built.
	Expect json.RawMessage `json:"expect,omitempty"`
}

// ManifestFile is one captured file of a bundle.
type ManifestFile struct {
	Name       string    `json:"name"`
	Kind       string    `json:"kind,omitempty"` // goroutine-debug2, goroutine-proto, mutex, block, trace, ...
	URLPath    string    `json:"url_path,omitempty"`
	CapturedAt time.Time `json:"captured_at,omitzero"`
	Bytes      int64     `json:"bytes,omitempty"`
	// Error is set when the fetch failed. Empty marks a capture that came
	// back with nothing in it (a mutex or block profile whose sampling rate
	// was never set), and Note says why or adds context.
	Error string `json:"error,omitempty"`
	Empty bool   `json:"empty,omitempty"`
	Note  string `json:"note,omitempty"`
	// NotOffered marks an optional profile the service does not serve
	// (Go 1.26's goroutineleak without GOEXPERIMENT=goroutineleakprofile
	// answers 404): nothing was captured and nothing failed.
	NotOffered bool `json:"not_offered,omitempty"`
}

// maxManifestBytes bounds what ReadManifest reads: a manifest is small.
const maxManifestBytes = 4 << 20

// ReadManifest reads dir/manifest.json. It returns (nil, nil) when the
// directory has no manifest.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	if root, err := filepath.EvalSymlinks(dir); err == nil {
		if _, err := statInside(root, path); errors.Is(err, errLeavesDir) {
			return nil, &Error{File: path, Offset: -1, Err: fmt.Errorf("bundle manifest not read: %w", err)}
		}
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read bundle manifest: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestBytes+1))
	if err != nil {
		return nil, &Error{File: path, Offset: -1, Err: fmt.Errorf("read bundle manifest: %w", err)}
	}
	if len(data) > maxManifestBytes {
		return nil, &Error{File: path, Offset: maxManifestBytes, Err: fmt.Errorf("bundle manifest larger than %d bytes", maxManifestBytes)}
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		off := int64(-1)
		if se, ok := err.(*json.SyntaxError); ok {
			off = se.Offset
		}
		return nil, &Error{File: path, Offset: off, Err: fmt.Errorf("bad bundle manifest: %w", err)}
	}
	return &m, nil
}

// CaptureTime returns the capture time the manifest records for the named
// file, if any.
func (m *Manifest) CaptureTime(name string) (time.Time, bool) {
	if m == nil {
		return time.Time{}, false
	}
	for _, f := range m.Files {
		if f.Name == name && !f.CapturedAt.IsZero() {
			return f.CapturedAt, true
		}
	}
	return time.Time{}, false
}

// MarshalManifest encodes m as WriteManifest writes it (indented JSON and a
// final newline), for a bundle written elsewhere than a directory (the
// flight package's tar stream).
func MarshalManifest(m *Manifest) ([]byte, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode bundle manifest: %w", err)
	}
	return append(data, '\n'), nil
}

// WriteManifest writes m as dir/manifest.json, indented for people. The
// file is created new (safefile): a manifest or a symlink already there is
// an error, never overwritten or followed.
func WriteManifest(dir string, m *Manifest) error {
	data, err := MarshalManifest(m)
	if err != nil {
		return err
	}
	if err := safefile.WriteFile(filepath.Join(dir, ManifestName), data, safefile.Options{}); err != nil {
		return fmt.Errorf("write bundle manifest: %w", err)
	}
	return nil
}
