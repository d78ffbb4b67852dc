package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
	"github.com/spf13/cobra"
)

// diffFormats are the values of diff's -o.
var diffFormats = []string{"table", "json", "markdown", "html"}

// diffCmd is `ctxhole diff A [B]`: what appeared, vanished and grew
// between two captures of one process. With one input holding several
// snapshots (a bundle, a log with several dumps) it compares the first
// with the last.
func (inv *invocation) diffCmd() *cobra.Command {
	var format string
	var all bool
	cmd := &cobra.Command{
		Use:   "diff [flags] A [B]",
		Short: "Show goroutine groups that appeared, vanished or grew between two captures",
		Long: `Compares the goroutine groups of two captures of one process (files or bundle
directories): what appeared, vanished and grew, with growth per minute when the
capture times are known, and the findings of the two moments matched by their
stable id: what appeared, persists or was resolved. One input holding several
snapshots (a bundle, a log with several dumps) compares its first moment with its
last. -o html writes one self-contained page to share.`,
		Example: `  ctxhole diff before.txt after.txt
  ctxhole diff -o markdown bundle/
  ctxhole diff -o html before.txt after.txt > diff.html`,
		RunE: func(_ *cobra.Command, args []string) error {
			inv.code = inv.runDiff(format, all, args)
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output `format`: table, json, markdown or html")
	cmd.Flags().BoolVar(&all, "all", false, "also list groups that did not change")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats(diffFormats))
	return cmd
}

// runDiff loads the two snapshots and writes their difference.
func (inv *invocation) runDiff(format string, all bool, pos []string) int {
	stdin, stdout, stderr := inv.stdin, inv.stdout, inv.stderr
	if format == "md" {
		format = "markdown"
	}
	if !slices.Contains(diffFormats, format) {
		fmt.Fprintf(stderr, "ctxhole diff: unknown output format %q (want table, json, markdown or html)\n", format)
		return exitUsage
	}
	from, to, err := diffSnapshots(pos, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole diff: %v\n", err)
		return exitUsage
	}
	d := parser.Diff(from, to)
	opts := report.DiffOptions{All: all, Before: diagnose(from), After: diagnose(to)}
	// The table writer does not report every write error (tablewriter
	// drops them): the first one is kept here, so a full disk or a closed
	// pipe is an error and a non-zero exit, not a silent truncated diff.
	out := &stickyWriter{w: stdout}
	switch format {
	case "json":
		err = report.WriteDiffJSON(out, d, opts)
	case "markdown":
		err = report.WriteDiffMarkdown(out, d, opts)
	case "html":
		err = report.WriteDiffHTML(out, d, opts)
	default:
		_, opts.Width = terminalWidth(stdout)
		err = report.WriteDiffTable(out, d, opts)
	}
	if err == nil && out.err != nil {
		err = fmt.Errorf("write diff: %w", out.err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole diff: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// diffSnapshots picks the two snapshots to compare: the last moment of A
// and the last of B, or the first and last moments of a single input, each
// in the richest format both moments were captured in (like with like: a
// debug=2 dump against a debug=2 dump, never against a proto profile).
func diffSnapshots(paths []string, stdin io.Reader) (from, to *parser.Snapshot, err error) {
	load := func(p string) ([][]*parser.Snapshot, error) {
		c, err := parser.Load([]string{p}, parser.Options{Stdin: stdin})
		if err != nil {
			return nil, err
		}
		// A bundle holds several captures of each moment (debug=2,
		// debug=1, proto): compare moments, not files.
		ms := c.MomentCaptures()
		if len(ms) == 0 {
			return nil, fmt.Errorf("%s holds no goroutine snapshot", p)
		}
		return ms, nil
	}
	switch len(paths) {
	case 1:
		ss, err := load(paths[0])
		if err != nil {
			return nil, nil, err
		}
		if len(ss) < 2 {
			return nil, nil, fmt.Errorf("%s holds one snapshot: give two captures to compare", paths[0])
		}
		from, to = parser.SameFormat(ss[0], ss[len(ss)-1])
		return from, to, nil
	case 2:
		a, err := load(paths[0])
		if err != nil {
			return nil, nil, err
		}
		b, err := load(paths[1])
		if err != nil {
			return nil, nil, err
		}
		from, to = parser.SameFormat(a[len(a)-1], b[len(b)-1])
		return from, to, nil
	default:
		return nil, nil, fmt.Errorf("want one or two inputs, got %d", len(paths))
	}
}

// stickyWriter passes writes through until one fails, then fails every
// later write with the first error and keeps it for the caller.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	s.err = err
	return n, err
}

// diagnose runs the detectors on one moment, so the diff can match
// findings by their stable id; nil when they fail (the group diff still
// stands).
func diagnose(s *parser.Snapshot) *report.Document {
	c := &parser.Capture{Snapshots: []*parser.Snapshot{s}}
	r, err := detectors.Analyze(c, detectors.Options{})
	if err != nil {
		return nil
	}
	return report.Build(c, r, report.Tool{Name: "ctxhole", Version: toolVersion()})
}
