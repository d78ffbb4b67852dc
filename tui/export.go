package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/report"
)

// exportDoc is the JSON written by "y": one finding in the report's JSON
// schema (the same object as an element of "findings" in `analyze -o
// json`), tagged with the schema version.
type exportDoc struct {
	SchemaVersion string         `json:"schema_version"`
	Finding       report.Finding `json:"finding"`
}

// exportPath is where "y" writes a finding: ctxhole-finding-RANK-CATEGORY.json
// in the export directory (the working directory by default).
func exportPath(dir string, rank int, cat detectors.Category) (string, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("ctxhole-finding-%d-%s.json", rank, cat)))
	if err != nil {
		return "", fmt.Errorf("export path: %w", err)
	}
	return abs, nil
}

// encodeFinding encodes one finding with its rank through the report
// package's document builder, so the export cannot drift from the schema.
func encodeFinding(rank int, f *detectors.Finding) ([]byte, error) {
	d := report.Build(nil, &detectors.Report{Findings: []*detectors.Finding{f}}, report.Tool{Name: "ctxhole"})
	out := exportDoc{SchemaVersion: d.SchemaVersion, Finding: d.Findings[0]}
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

// writeFinding writes one finding as indented JSON and returns the path.
func writeFinding(dir string, rank int, f *detectors.Finding) (string, error) {
	path, err := exportPath(dir, rank, f.Category)
	if err != nil {
		return "", err
	}
	data, err := encodeFinding(rank, f)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("write finding %d: %w", rank, err)
	}
	return path, nil
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
