package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/ctxhole/ctxhole/capture"
	"github.com/spf13/cobra"
)

// watchFlags are the flags of `ctxhole watch`.
type watchFlags struct {
	// captureFlags are the bundle flags every capture of the watch uses
	// (its dir is the directory the bundles go under).
	captureFlags
	interval      time.Duration
	threshold     int
	rate          float64
	rateWindow    time.Duration
	groupGrowth   int
	pollMaxBytes  int64
	health        []string
	healthTimeout time.Duration
	healthLatency time.Duration
	cooldown      time.Duration
	maxBundles    int
	maxDisk       int64
	count         int
}

// watchCmd is `ctxhole watch URL...`: poll live services cheaply and
// capture a bundle at the onset of a hang.
func (inv *invocation) watchCmd() *cobra.Command {
	var wf watchFlags
	cmd := &cobra.Command{
		Use:   "watch [flags] URL [URL...]",
		Short: "Watch live services and capture a bundle when a hang begins",
		Long: `Polls each service's net/http/pprof goroutine count (the first line of
goroutine?debug=1) every --interval, and optionally a health URL per service. When the
count exceeds --threshold, grows faster than --rate goroutines per minute, one goroutine
group (goroutines with the same stack) grows by --group-growth within --rate-window, or the
health probe fails or is slower than --health-latency, it captures a bundle (as ctxhole
capture does, with the service's flight-recorder window where it serves one) into a
timestamped directory under --dir, analyzes it and prints the verdict. --group-growth
catches a pile-up behind one stuck call in a service whose total barely moves; it reads
the whole debug=1 profile at each poll (at most --poll-max-bytes).

Each service is watched independently; a service captures at most once per --cooldown.
--max-bundles and --max-disk bound the bundles kept under --dir: the oldest bundle that
ctxhole watch created is removed first, never anything else. Ctrl-C stops cleanly with
exit status 130 (a capture it cuts short keeps what it received); with --count N it exits
0 after N captures.`,
		Example: `  ctxhole watch --threshold 2000 http://127.0.0.1:6060
  ctxhole watch --group-growth 50 --rate-window 30s --interval 2s http://127.0.0.1:6060
  ctxhole watch --rate 300 --health http://127.0.0.1:8080/healthz --health-latency 2s http://127.0.0.1:6060
  ctxhole watch --dir /incidents --max-bundles 5 --threshold 5000 http://10.0.0.7:6060 http://10.0.0.8:6060`,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv.code = inv.runWatch(cmd, wf, args)
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	fs := cmd.Flags()
	fs.StringVar(&wf.dir, "dir", "ctxhole-watch", "`directory` the bundles are written under (created if absent)")
	fs.DurationVar(&wf.interval, "interval", capture.DefaultWatchInterval, "time between two polls of a service")
	fs.IntVar(&wf.threshold, "threshold", 0, "capture when the goroutine count exceeds this (0: off)")
	fs.Float64Var(&wf.rate, "rate", 0, "capture when goroutines grow faster than this many per minute (0: off)")
	fs.DurationVar(&wf.rateWindow, "rate-window", capture.DefaultRateWindow, "window over which --rate and --group-growth are measured")
	fs.IntVar(&wf.groupGrowth, "group-growth", 0, "capture when one goroutine group (same stack) grows by this many within --rate-window (0: off)")
	fs.Int64Var(&wf.pollMaxBytes, "poll-max-bytes", capture.DefaultMaxPollBytes, "size cap of the debug=1 profile each --group-growth poll reads")
	fs.StringArrayVar(&wf.health, "health", nil, "health `URL` of the service at the same position (repeat once per URL); a failure triggers a capture")
	fs.DurationVar(&wf.healthTimeout, "health-timeout", capture.DefaultHealthTimeout, "timeout of each health probe (no answer in time is a failure)")
	fs.DurationVar(&wf.healthLatency, "health-latency", 0, "slowest health answer still healthy (0: any answer in --health-timeout)")
	fs.DurationVar(&wf.cooldown, "cooldown", capture.DefaultCooldown, "least time between two captures of one service")
	fs.IntVar(&wf.maxBundles, "max-bundles", 10, "most bundles kept under --dir (0: no bound)")
	fs.Int64Var(&wf.maxDisk, "max-disk", 2<<30, "most bytes the bundles under --dir may hold (0: no bound)")
	fs.IntVar(&wf.count, "count", 0, "stop after this many captures (0: watch until interrupted)")
	fs.DurationVar(&wf.trace, "trace", 5*time.Second, "execution trace length of each capture; 0 skips the trace")
	fs.IntVar(&wf.snapshots, "snapshots", 3, "goroutine dumps per capture")
	fs.DurationVar(&wf.every, "every", 5*time.Second, "time between a capture's goroutine dumps")
	fs.DurationVar(&wf.timeout, "timeout", capture.DefaultRequestTimeout, "timeout of each capture request (the trace's length is added for the trace)")
	fs.Int64Var(&wf.maxBytes, "max-bytes", capture.DefaultMaxBytes, "size cap of each response")
	fs.BoolVar(&wf.noAnalyze, "no-analyze", false, "only capture; do not analyze the bundles")
	fs.StringVarP(&wf.output, "output", "o", "table", "output `format` of each analysis: table, json or markdown")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats(outputFormats))
	return cmd
}

// runWatch watches until interrupted or --count captures are taken.
func (inv *invocation) runWatch(cmd *cobra.Command, wf watchFlags, pos []string) int {
	stderr := inv.stderr
	const name = "ctxhole watch"
	if len(pos) == 0 {
		fmt.Fprintf(stderr, "%s: want at least one URL\n", name)
		fmt.Fprint(stderr, cmd.UsageString())
		return exitUsage
	}
	if len(wf.health) > 0 && len(wf.health) != len(pos) {
		fmt.Fprintf(stderr, "%s: %d --health URLs for %d services: give one per service, in the same order (\"\" for none)\n", name, len(wf.health), len(pos))
		return exitUsage
	}
	if wf.interval <= 0 || wf.threshold < 0 || wf.rate < 0 || wf.rateWindow <= 0 || wf.groupGrowth < 0 || wf.pollMaxBytes <= 0 || wf.healthTimeout <= 0 || wf.healthLatency < 0 ||
		wf.cooldown < 0 || wf.maxBundles < 0 || wf.maxDisk < 0 || wf.count < 0 ||
		wf.badLimits() {
		fmt.Fprintf(stderr, "%s: --interval, --rate-window, --health-timeout, --timeout, --max-bytes and --poll-max-bytes must be positive, --snapshots >= 1, the other limits >= 0\n", name)
		return exitUsage
	}
	af := analyzeFlags{output: wf.output}
	if code := af.check(stderr, name); code != exitOK {
		return code
	}
	targets := make([]capture.WatchTarget, len(pos))
	for i, u := range pos {
		targets[i].URL = u
		if len(wf.health) > 0 {
			targets[i].Health = wf.health[i]
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, done := context.WithCancel(ctx)
	defer done()

	var mu sync.Mutex // one analysis printed at a time
	taken := 0
	opts := capture.WatchOptions{
		Targets:       targets,
		Dir:           wf.dir,
		Interval:      wf.interval,
		Threshold:     wf.threshold,
		Rate:          wf.rate,
		RateWindow:    wf.rateWindow,
		GroupGrowth:   wf.groupGrowth,
		MaxPollBytes:  wf.pollMaxBytes,
		HealthTimeout: wf.healthTimeout,
		HealthLatency: wf.healthLatency,
		Cooldown:      wf.cooldown,
		MaxBundles:    wf.maxBundles,
		MaxDiskBytes:  wf.maxDisk,
		Capture:       wf.options(""),
		Log:           stderr,
		OnBundle: func(_ context.Context, b capture.WatchBundle) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(stderr, "%s: %s: bundle written to %s (trigger: %s)\n", name, b.Target, b.Dir, b.Trigger)
			if !wf.noAnalyze {
				analyzePaths(af, []string{b.Dir}, nil, inv.stdin, inv.stdout, stderr)
			}
			taken++
			if wf.count > 0 && taken >= wf.count {
				done()
			}
		},
	}
	fmt.Fprintf(stderr, "%s: watching %d service(s) every %s; bundles under %s\n", name, len(targets), wf.interval, wf.dir)
	err := capture.Watch(ctx, opts)
	switch {
	case errors.Is(err, capture.ErrInterrupted):
		fmt.Fprintf(stderr, "%s: interrupted during a capture: %v\n", name, err)
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	mu.Lock()
	defer mu.Unlock()
	if wf.count > 0 && taken >= wf.count {
		return exitOK
	}
	fmt.Fprintf(stderr, "%s: stopped; %d bundle(s) taken\n", name, taken)
	return exitInterrupted
}
