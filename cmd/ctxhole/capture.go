package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/capture"
)

// runCapture implements `ctxhole capture URL`: fetch a bundle from a live
// service's net/http/pprof endpoints, then analyze it.
func runCapture(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("capture", "[flags] URL   (the service's pprof base, e.g. http://127.0.0.1:6060)", stderr)
	dir := fs.String("o", "", "bundle directory to create (default ctxhole-<host>-<time>)")
	trace := fs.Duration("trace", 5*time.Second, "execution trace length; 0 skips the trace")
	snapshots := fs.Int("snapshots", 3, "goroutine dumps to take")
	every := fs.Duration("every", 5*time.Second, "time between goroutine dumps")
	timeout := fs.Duration("timeout", capture.DefaultRequestTimeout, "timeout of each request (the trace's length is added for the trace)")
	maxBytes := fs.Int64("max-bytes", capture.DefaultMaxBytes, "size cap of each response")
	noAnalyze := fs.Bool("no-analyze", false, "only capture; do not analyze the bundle")
	format := fs.String("format", "table", "output format of the analysis: table, json or markdown")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if isHelp(err) {
			return exitOK
		}
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "ctxhole capture: want exactly one URL")
		fs.Usage()
		return exitUsage
	}
	if *snapshots < 1 || *every < 0 || *trace < 0 || *timeout <= 0 || *maxBytes <= 0 {
		fmt.Fprintln(stderr, "ctxhole capture: --snapshots must be >= 1 and --every, --trace, --timeout, --max-bytes positive")
		return exitUsage
	}
	if *dir == "" {
		*dir = defaultBundleDir(pos[0], time.Now())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(stderr, "ctxhole capture: %s -> %s (%d snapshot(s) %s apart, trace %s)\n", pos[0], *dir, *snapshots, *every, *trace)
	man, err := capture.WriteBundle(ctx, capture.Options{
		Base:           pos[0],
		Dir:            *dir,
		Trace:          *trace,
		Snapshots:      *snapshots,
		Every:          *every,
		MaxBytes:       *maxBytes,
		RequestTimeout: *timeout,
		Progress:       stderr,
	})
	if man != nil {
		for _, f := range man.Files {
			switch {
			case f.Error != "":
				fmt.Fprintf(stderr, "  %-24s failed: %s\n", f.Name, f.Error)
			case f.Note != "":
				fmt.Fprintf(stderr, "  %-24s %d bytes (%s)\n", f.Name, f.Bytes, f.Note)
			default:
				fmt.Fprintf(stderr, "  %-24s %d bytes\n", f.Name, f.Bytes)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole capture: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "ctxhole capture: bundle written to %s (analyze it later with: ctxhole analyze %s)\n", *dir, *dir)
	if *noAnalyze {
		return exitOK
	}
	return runAnalyze([]string{"-o", *format, *dir}, stdin, stdout, stderr)
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
