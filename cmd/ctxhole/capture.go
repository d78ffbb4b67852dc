package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/capture"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/spf13/cobra"
)

// captureFlags are the flags of `ctxhole capture`.
type captureFlags struct {
	dir       string
	trace     time.Duration
	snapshots int
	every     time.Duration
	timeout   time.Duration
	maxBytes  int64
	noAnalyze bool
	output    string
}

// options are the capture options the flags set for the service at base
// (Dir and Progress are the caller's: a watch writes each bundle under
// its own name).
func (cf captureFlags) options(base string) capture.Options {
	return capture.Options{
		Base:           base,
		Trace:          cf.trace,
		Snapshots:      cf.snapshots,
		Every:          cf.every,
		MaxBytes:       cf.maxBytes,
		RequestTimeout: cf.timeout,
	}
}

// badLimits reports a capture limit out of range.
func (cf captureFlags) badLimits() bool {
	return cf.snapshots < 1 || cf.every < 0 || cf.trace < 0 || cf.timeout <= 0 || cf.maxBytes <= 0
}

// captureCmd is `ctxhole capture URL`: fetch a bundle from a live
// service's net/http/pprof endpoints, then analyze it.
func (inv *invocation) captureCmd() *cobra.Command {
	var cf captureFlags
	cmd := &cobra.Command{
		Use:   "capture [flags] URL",
		Short: "Capture a live service's goroutines, profiles and trace into a bundle",
		Long: `Fetches goroutine dumps (debug=2, debug=1, proto), mutex and block profiles and an
execution trace from a service's net/http/pprof endpoints (the URL is the pprof base,
e.g. http://127.0.0.1:6060) into a new bundle directory, then analyzes the bundle.`,
		Example: `  ctxhole capture http://127.0.0.1:6060
  ctxhole capture --dir incident-42 --trace 10s -o json http://10.0.0.7:6060`,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv.code = inv.runCapture(cmd, cf, args)
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	fs := cmd.Flags()
	fs.StringVar(&cf.dir, "dir", "", "bundle `directory` to create (default ctxhole-<host>-<time>)")
	fs.DurationVar(&cf.trace, "trace", 5*time.Second, "execution trace length; 0 skips the trace")
	fs.IntVar(&cf.snapshots, "snapshots", 3, "goroutine dumps to take")
	fs.DurationVar(&cf.every, "every", 5*time.Second, "time between goroutine dumps")
	fs.DurationVar(&cf.timeout, "timeout", capture.DefaultRequestTimeout, "timeout of each request (the trace's length is added for the trace)")
	fs.Int64Var(&cf.maxBytes, "max-bytes", capture.DefaultMaxBytes, "size cap of each response")
	fs.BoolVar(&cf.noAnalyze, "no-analyze", false, "only capture; do not analyze the bundle")
	fs.StringVarP(&cf.output, "output", "o", "table", "output `format` of the analysis: table, json, markdown or html")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats(outputFormats))
	return cmd
}

// runCapture writes the bundle and analyzes it.
func (inv *invocation) runCapture(cmd *cobra.Command, cf captureFlags, pos []string) int {
	stderr := inv.stderr
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "ctxhole capture: want exactly one URL")
		fmt.Fprint(stderr, cmd.UsageString())
		return exitUsage
	}
	if cf.badLimits() {
		fmt.Fprintln(stderr, "ctxhole capture: --snapshots must be >= 1 and --every, --trace, --timeout, --max-bytes positive")
		return exitUsage
	}
	af := analyzeFlags{output: cf.output}
	if code := af.check(stderr, "ctxhole capture"); code != exitOK {
		return code
	}
	if cf.dir == "" {
		cf.dir = defaultBundleDir(pos[0], time.Now())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// One line, at once, for a port nothing listens on.
	if err := capture.Reachable(ctx, pos[0], cf.timeout); err != nil {
		fmt.Fprintf(stderr, "ctxhole capture: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "ctxhole capture: %s -> %s (%s, trace %s)\n", pos[0], cf.dir, snapshotPlan(cf.snapshots, cf.every), human.Duration(cf.trace))
	opts := cf.options(pos[0])
	opts.Dir, opts.Progress = cf.dir, stderr
	man, err := capture.WriteBundle(ctx, opts)
	if man != nil {
		for _, f := range man.Files {
			switch {
			case f.Error != "":
				fmt.Fprintf(stderr, "  %-24s failed: %s\n", f.Name, f.Error)
			case f.NotOffered:
				fmt.Fprintf(stderr, "  %-24s %s\n", f.Name, f.Note)
			case f.Note != "":
				fmt.Fprintf(stderr, "  %-24s %d bytes (%s)\n", f.Name, f.Bytes, f.Note)
			default:
				fmt.Fprintf(stderr, "  %-24s %d bytes\n", f.Name, f.Bytes)
			}
		}
	}
	if errors.Is(err, capture.ErrInterrupted) {
		// What was received is on disk; a bundle cut short is not
		// analyzed as if it were whole.
		fmt.Fprintf(stderr, "ctxhole capture: %v\nctxhole capture: not analyzed; the partial bundle is in %s\n", err, cf.dir)
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole capture: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "ctxhole capture: bundle written to %s (analyze it later with: ctxhole analyze %s)\n", cf.dir, cf.dir)
	if cf.noAnalyze {
		return exitOK
	}
	return analyzePaths(af, []string{cf.dir}, nil, inv.stdin, inv.stdout, stderr)
}

// defaultBundleDir names a bundle after the target host and the time.
func defaultBundleDir(target string, now time.Time) string {
	host := target
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		host = u.Host
	} else if i := strings.Index(target, "/"); i > 0 {
		host = target[:i]
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, host)
	return fmt.Sprintf("ctxhole-%s-%s", host, now.UTC().Format("20060102T150405Z"))
}

// snapshotPlan says how many goroutine dumps capture takes and how far
// apart: "1 snapshot" or "3 snapshots 5s apart".
func snapshotPlan(n int, every time.Duration) string {
	if n == 1 {
		return "1 snapshot"
	}
	return human.Plural(n, "snapshot") + " " + human.Duration(every) + " apart"
}
