//go:build !race

package parser

// raceEnabled: see race_on_test.go.
const raceEnabled = false
