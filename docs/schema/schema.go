// Package schema embeds the JSON Schemas of ctxhole's machine-readable
// outputs, so that the binary, its tests and its users validate against
// the very file published in the repository.
package schema

import _ "embed"

//go:embed report.v1.json
var reportV1 string

// ReportV1 returns the JSON Schema (draft 2020-12) of `ctxhole analyze -o
// json`, schema_version "1".
func ReportV1() string { return reportV1 }

// ReportV1URL is the $id of ReportV1.
const ReportV1URL = "https://github.com/ctxhole/ctxhole/docs/schema/report.v1.json"
