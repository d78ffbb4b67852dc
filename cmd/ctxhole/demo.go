package main

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/spf13/cobra"
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

// demoCmd is `ctxhole demo`.
func (inv *invocation) demoCmd() *cobra.Command {
	var af analyzeFlags
	cmd := &cobra.Command{
		Use:   "demo [flags]",
		Short: "Analyze the sample incident embedded in the binary",
		Long: `Analyzes a real incident embedded in the binary: a goroutine dump of a service whose
PostgreSQL driver hangs in connection start-up, ignoring the request context.`,
		Example: `  ctxhole demo
  ctxhole demo -o html > demo.html
  ctxhole demo --tui`,
		RunE: func(_ *cobra.Command, args []string) error {
			inv.code = inv.runDemo(af, args)
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	af.register(cmd, false)
	return cmd
}

// runDemo analyzes the embedded sample.
func (inv *invocation) runDemo(af analyzeFlags, rest []string) int {
	stderr := inv.stderr
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
		return explore(c, r, af, inv.stdin, inv.stdout, stderr)
	}
	return render(c, r, af, nil, inv.stdout, stderr)
}
