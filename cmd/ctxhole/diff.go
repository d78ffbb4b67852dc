package main

import (
	"fmt"
	"io"

	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
)

// runDiff implements `ctxhole diff A [B]`: what appeared, vanished and
// grew between two captures of one process. With one input holding
// several snapshots (a bundle, a log with several dumps) it compares the
// first with the last.
func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("diff", "[flags] A [B]   (files or bundle directories)", stderr)
	format := fs.String("o", "table", "output format: table or json")
	all := fs.Bool("all", false, "also list groups that did not change")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if isHelp(err) {
			return exitOK
		}
		return exitUsage
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "ctxhole diff: unknown output format %q (want table or json)\n", *format)
		return exitUsage
	}
	from, to, err := diffSnapshots(pos, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole diff: %v\n", err)
		return exitUsage
	}
	d := parser.Diff(from, to)
	opts := report.DiffOptions{All: *all}
	// The table writer does not report every write error (tablewriter
	// drops them): the first one is kept here, so a full disk or a closed
	// pipe is an error and a non-zero exit, not a silent truncated diff.
	out := &stickyWriter{w: stdout}
	if *format == "json" {
		err = report.WriteDiffJSON(out, d, opts)
	} else {
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
// and the last of B, or the first and last moments of a single input.
func diffSnapshots(paths []string, stdin io.Reader) (from, to *parser.Snapshot, err error) {
	load := func(p string) ([]*parser.Snapshot, error) {
		c, err := parser.Load([]string{p}, parser.Options{Stdin: stdin})
		if err != nil {
			return nil, err
		}
		// A bundle holds several captures of each moment (debug=2,
		// debug=1, proto): compare moments, not files.
		ms := c.Moments()
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
		return ss[0], ss[len(ss)-1], nil
	case 2:
		a, err := load(paths[0])
		if err != nil {
			return nil, nil, err
		}
		b, err := load(paths[1])
		if err != nil {
			return nil, nil, err
		}
		return a[len(a)-1], b[len(b)-1], nil
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
