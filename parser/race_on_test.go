//go:build race

package parser

// raceEnabled: the race detector slows parsing tenfold; the tests that
// compare parses of every capture keep to the smaller ones under it.
const raceEnabled = true
