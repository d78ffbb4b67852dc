package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/ctxhole/ctxhole/internal/safefile"
	"github.com/ctxhole/ctxhole/report"
)

// exportDoc is the JSON written by "y": one finding in the report's JSON
// schema (the same object as an element of "findings" in `analyze -o
// json`), tagged with the schema version.
type exportDoc struct {
	SchemaVersion string         `json:"schema_version"`
	Finding       report.Finding `json:"finding"`
}

// maxExportNames bounds the names "y" tries before giving up.
const maxExportNames = 100

// exportPath is where "y" writes a finding:
// ctxhole-finding-RANK-CATEGORY.json in the export directory (the working
// directory by default), or with ".2", ".3"... before ".json" for a second
// export of the same finding: a file is never overwritten.
func exportPath(dir string, rank int, cat string, attempt int) (string, error) {
	if dir == "" {
		dir = "."
	}
	name := fmt.Sprintf("ctxhole-finding-%d-%s.json", rank, cat)
	if attempt > 1 {
		name = fmt.Sprintf("ctxhole-finding-%d-%s.%d.json", rank, cat, attempt)
	}
	abs, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", fmt.Errorf("export path: %w", err)
	}
	return abs, nil
}

// encodeFinding encodes one finding of the document the TUI shows, so the
// export is the very object `analyze -o json` lists.
func encodeFinding(rank int, f *report.Finding) ([]byte, error) {
	out := exportDoc{SchemaVersion: report.SchemaVersion, Finding: *f}
	out.Finding.Rank = rank
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encode finding %d: %w", rank, err)
	}
	return buf.Bytes(), nil
}

// writeFinding writes one finding as indented JSON to a new file and
// returns its path. The file is created exclusively (safefile): a symlink
// or file already at the name, planted or from an earlier export, is left
// alone and the next name is tried.
func writeFinding(dir string, rank int, f *report.Finding) (string, error) {
	data, err := encodeFinding(rank, f)
	if err != nil {
		return "", err
	}
	for attempt := 1; attempt <= maxExportNames; attempt++ {
		path, err := exportPath(dir, rank, f.Category, attempt)
		if err != nil {
			return "", err
		}
		err = safefile.WriteFile(path, data, safefile.Options{})
		if errors.Is(err, safefile.ErrExists) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("write finding %d: %w", rank, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("write finding %d: %d files named ctxhole-finding-%d-%s*.json already exist", rank, maxExportNames, rank, f.Category)
}

// export is the "y" key: the selected finding to a JSON file, and a status
// line saying where.
func (m *model) export() {
	fd := m.currentFinding()
	if fd == nil {
		m.setError("no finding selected to save")
		return
	}
	path, err := writeFinding(m.opts.ExportDir, fd.rank, fd.f)
	if err != nil {
		m.setError(err.Error())
		return
	}
	m.status = fmt.Sprintf("saved finding %d as JSON to %s", fd.rank, path)
}
