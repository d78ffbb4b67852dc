package detectors

import "github.com/ctxhole/ctxhole/parser"

// Options tune Analyze. The zero value is the default analysis.
type Options struct {
	// Signatures are user signatures (LoadSignatures), tried before the
	// built-in tables so in-house clients are named precisely.
	Signatures []Signature
	// MaxIDs caps the goroutine IDs listed per finding and per link; 0
	// means 20.
	MaxIDs int
	// LeakMinCount is the smallest group a single snapshot calls a leak by
	// count alone; 0 means 1000.
	LeakMinCount int
	// Progress, when set, is called before each analysis pass with the
	// pass's name as Phase and the analyzed snapshot's goroutine count, on
	// the goroutine running Analyze. It observes; the diagnosis is the
	// same with or without it.
	Progress func(parser.Progress)
}

func (o Options) maxIDs() int {
	if o.MaxIDs > 0 {
		return o.MaxIDs
	}
	return 20
}

func (o Options) leakMinCount() int {
	if o.LeakMinCount > 0 {
		return o.LeakMinCount
	}
	return 1000
}
