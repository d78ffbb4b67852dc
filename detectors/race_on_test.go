//go:build race

package detectors

// raceEnabled: the race detector slows everything several times; timing
// bounds are not checked under it.
const raceEnabled = true
