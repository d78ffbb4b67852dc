// Package schema embeds the JSON Schemas of ctxhole's machine-readable
// outputs, so that the binary, its tests and its users validate against
// the very file published in the repository.
package schema

import _ "embed"

//go:embed report.v2.json
var reportV2 string

// ReportV2 returns the JSON Schema (draft 2020-12) of `ctxhole analyze -o
// json`, schema_version "2": version 1 plus the evidence grade of every
// chain link and finding root.
func ReportV2() string { return reportV2 }

// ReportV2URL is the $id of ReportV2.
const ReportV2URL = "https://github.com/ctxhole/ctxhole/docs/schema/report.v2.json"

//go:embed diff.v1.json
var diffV1 string

// DiffV1 returns the JSON Schema (draft 2020-12) of `ctxhole diff -o
// json`, schema_version "1".
func DiffV1() string { return diffV1 }

// DiffV1URL is the $id of DiffV1.
const DiffV1URL = "https://github.com/ctxhole/ctxhole/docs/schema/diff.v1.json"
