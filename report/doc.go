// Package report renders a diagnosis for people and programs: a terminal
// table, a versioned JSON document (schema in docs/schema/report.v2.json)
// and a Markdown incident write-up.
//
// Every renderer works from one [Document], built once by [Build] from the
// parsed capture and the detectors' report. Build passes every string taken
// from a capture through parser.CleanText, so nothing a renderer prints can
// move a terminal's cursor or retitle its window.
package report
