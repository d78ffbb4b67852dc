//go:build race

package main

// raceEnabled: resource bounds are not measured under the race detector.
const raceEnabled = true
