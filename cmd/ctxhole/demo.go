package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// sampleName is the name the embedded sample is reported under.
const sampleName = "sample/db-driver-no-ctx.txt"

// sampleDump is a real incident, copied byte for byte from
// fixtures/captures/db-driver-no-ctx/goroutine-debug2.txt (a test keeps
// them identical): a service whose lib/pq connections hang in start-up
// against a database that accepts and never answers, with handlers queued
// for the pool behind them.
//
//go:embed sample/db-driver-no-ctx.txt
var sampleDump string

func runDemo(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ctxhole demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var af analyzeFlags
	af.register(fs, false)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ctxhole demo [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Analyzes a real incident embedded in the binary: a goroutine dump of a service whose")
		fmt.Fprintln(stderr, "PostgreSQL driver hangs in connection start-up, ignoring the request context.")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "flags:")
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "ctxhole demo: takes no inputs (got %q); use ctxhole analyze for your own captures\n", rest[0])
		return exitUsage
	}
	if code := af.check(stderr, "ctxhole demo"); code != exitOK {
		return code
	}
	c, err := parser.Read(strings.NewReader(sampleDump), sampleName, parser.Options{})
	if err != nil {
		// The sample is part of the binary: failing to read it is a bug.
		fmt.Fprintf(stderr, "ctxhole demo: reading the embedded sample: %v\n", err)
		return exitUsage
	}
	r, err := detectors.Analyze(c, detectors.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole demo: %v\n", err)
		return exitUsage
	}
	if af.tui {
		return explore(c, r, af, stdin, stdout, stderr)
	}
	return render(c, r, af, nil, stdout, stderr)
}
