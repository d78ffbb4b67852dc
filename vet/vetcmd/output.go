package vetcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/ctxhole/ctxhole/vet"
)

// WriteText prints diagnostics as go vet does: file:line:col: message.
func WriteText(w io.Writer, diags []Diagnostic, base string) error {
	for _, d := range diags {
		if _, err := fmt.Fprintf(w, "%s:%d:%d: %s\n", rel(base, d.Posn.Filename), d.Posn.Line, d.Posn.Column, d.Message); err != nil {
			return fmt.Errorf("writing diagnostics: %w", err)
		}
	}
	return nil
}

// jsonDiagnostic is go vet -json's diagnostic, plus the ranking fields
// --from adds.
type jsonDiagnostic struct {
	Category       string    `json:"category,omitempty"`
	Posn           string    `json:"posn"`
	End            string    `json:"end"`
	Message        string    `json:"message"`
	SuggestedFixes []jsonFix `json:"suggested_fixes,omitempty"`
	// Finding and Score are set by --from: the rank of the runtime
	// finding the diagnostic is at or like, and how closely.
	Finding int `json:"finding,omitempty"`
	Score   int `json:"score,omitempty"`
}

type jsonFix struct {
	Message string     `json:"message"`
	Edits   []jsonEdit `json:"edits"`
}

type jsonEdit struct {
	Filename string `json:"filename"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	New      string `json:"new"`
}

// WriteJSON prints diagnostics as go vet -json does: package → analyzer →
// diagnostics.
func WriteJSON(w io.Writer, diags []Diagnostic) error {
	tree := map[string]map[string][]jsonDiagnostic{}
	for _, d := range diags {
		jd := jsonDiagnostic{Category: d.Category, Posn: d.Posn.String(), End: d.End.String(), Message: d.Message,
			Finding: d.Rank, Score: d.Score}
		for _, f := range d.Fixes {
			jf := jsonFix{Message: f.Message}
			for _, e := range f.Edits {
				jf.Edits = append(jf.Edits, jsonEdit{Filename: e.File, Start: e.Start.Offset, End: e.End.Offset, New: e.New})
			}
			jd.SuggestedFixes = append(jd.SuggestedFixes, jf)
		}
		if tree[d.Package] == nil {
			tree[d.Package] = map[string][]jsonDiagnostic{}
		}
		tree[d.Package][d.Analyzer] = append(tree[d.Package][d.Analyzer], jd)
	}
	data, err := json.MarshalIndent(tree, "", "\t")
	if err != nil {
		return fmt.Errorf("encoding diagnostics: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s\n", data); err != nil {
		return fmt.Errorf("writing diagnostics: %w", err)
	}
	return nil
}

// SARIF 2.1.0, the subset code-scanning UIs read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	ShortDescription sarifText      `json:"shortDescription"`
	HelpURI          string         `json:"helpUri,omitempty"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Fixes      []sarifFix      `json:"fixes,omitempty"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifFix struct {
	Description     sarifText             `json:"description"`
	ArtifactChanges []sarifArtifactChange `json:"artifactChanges"`
}

type sarifArtifactChange struct {
	ArtifactLocation sarifArtifact      `json:"artifactLocation"`
	Replacements     []sarifReplacement `json:"replacements"`
}

type sarifReplacement struct {
	DeletedRegion   sarifRegion `json:"deletedRegion"`
	InsertedContent sarifText   `json:"insertedContent"`
}

// WriteSARIF prints diagnostics as a SARIF 2.1.0 log with one rule per
// analyzer; file URIs are relative to base when inside it.
func WriteSARIF(w io.Writer, diags []Diagnostic, base string) error {
	uri := func(f string) string { return filepath.ToSlash(rel(base, f)) }
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "ctxhole vet", InformationURI: "https://github.com/ctxhole/ctxhole"}}}
	for _, a := range vet.Analyzers() {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: a.Name, ShortDescription: sarifText{a.Doc}, HelpURI: a.URL,
			Properties: map[string]any{"defaultOn": vet.DefaultOn(a)},
		})
	}
	sort.Slice(run.Tool.Driver.Rules, func(i, j int) bool { return run.Tool.Driver.Rules[i].ID < run.Tool.Driver.Rules[j].ID })
	run.Results = []sarifResult{}
	for _, d := range diags {
		r := sarifResult{
			RuleID: d.Analyzer, Level: "warning", Message: sarifText{d.Message},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: uri(d.Posn.Filename)},
				Region:           sarifRegion{StartLine: d.Posn.Line, StartColumn: d.Posn.Column, EndLine: d.End.Line, EndColumn: d.End.Column},
			}}},
			Properties: map[string]any{"category": d.Category},
		}
		if d.Rank > 0 {
			r.Properties["finding"] = d.Rank
			r.Properties["score"] = d.Score
		}
		for _, f := range d.Fixes {
			sf := sarifFix{Description: sarifText{f.Message}}
			for _, e := range f.Edits {
				sf.ArtifactChanges = append(sf.ArtifactChanges, sarifArtifactChange{
					ArtifactLocation: sarifArtifact{URI: uri(e.File)},
					Replacements: []sarifReplacement{{
						DeletedRegion:   sarifRegion{StartLine: e.Start.Line, StartColumn: e.Start.Column, EndLine: e.End.Line, EndColumn: e.End.Column},
						InsertedContent: sarifText{e.New},
					}},
				})
			}
			r.Fixes = append(r.Fixes, sf)
		}
		run.Results = append(run.Results, r)
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	data, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding SARIF: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s\n", data); err != nil {
		return fmt.Errorf("writing SARIF: %w", err)
	}
	return nil
}
