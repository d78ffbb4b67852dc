package capture

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// WatchTarget is one service Watch polls.
type WatchTarget struct {
	// URL is the service's pprof base, as Options.Base takes it.
	URL string
	// Health is an optional health or latency probe URL: a probe that
	// fails (no answer, a status of 400 or more) or is slower than
	// WatchOptions.HealthLatency triggers a capture. Empty: no probe.
	Health string
}

// WatchOptions control Watch.
type WatchOptions struct {
	// Targets are the services to watch, each independently.
	Targets []WatchTarget
	// Dir is the directory the bundles are written under, one
	// timestamped subdirectory per capture. It is created if absent.
	Dir string
	// Interval is the time between two polls of a target.
	Interval time.Duration
	// Threshold triggers a capture when the goroutine count exceeds it;
	// 0 disables the check.
	Threshold int
	// Rate triggers a capture when the goroutine count grows faster than
	// this many goroutines per minute, measured over RateWindow; 0
	// disables the check.
	Rate       float64
	RateWindow time.Duration
	// GroupGrowth triggers a capture when one goroutine group (goroutines
	// with the same stack, as debug=1 aggregates them) grew by at least
	// this many goroutines within RateWindow: a pile-up behind one stuck
	// call shows there long before the total moves much in a large
	// service. 0 disables the check; with it on, each poll reads the
	// whole debug=1 profile (at most MaxPollBytes) instead of its first
	// line.
	GroupGrowth int
	// MaxPollBytes bounds the debug=1 profile a group poll reads (0:
	// DefaultMaxPollBytes); a larger one fails the poll.
	MaxPollBytes int64
	// HealthTimeout bounds each health probe; HealthLatency, when not 0,
	// is the slowest answer that still counts as healthy.
	HealthTimeout time.Duration
	HealthLatency time.Duration
	// Cooldown is the least time between two captures of one target.
	Cooldown time.Duration
	// MaxBundles and MaxDiskBytes bound what the bundles under Dir may
	// hold (0: no bound). Before and after each capture the oldest
	// bundles created by ctxhole watch are removed until the bounds hold;
	// the bundle just written is always kept, and nothing that is not a
	// ctxhole watch bundle is ever removed.
	MaxBundles   int
	MaxDiskBytes int64
	// Capture is the template of each capture (Trace, Snapshots, Every,
	// MaxBytes, RequestTimeout, Client, Now); Base, Dir and Progress are
	// set by Watch.
	Capture Options
	// Log receives one line per trigger, capture and state change; nil
	// discards them. Watch serialises its writes.
	Log io.Writer
	// OnBundle is called after each capture that produced a bundle (also
	// when the capture reported a partial failure), with the trigger that
	// caused it. Calls for different targets may run concurrently.
	OnBundle func(ctx context.Context, b WatchBundle)
}

// WatchBundle is one capture Watch took.
type WatchBundle struct {
	Target  string
	Dir     string
	Trigger string // why: "goroutines 812 > threshold 500"
	// Err is the capture's error when it was partial (the bundle is still
	// on disk).
	Err error
}

// Defaults for WatchOptions fields left zero.
const (
	DefaultWatchInterval = 10 * time.Second
	DefaultCooldown      = 10 * time.Minute
	DefaultRateWindow    = time.Minute
	DefaultHealthTimeout = 5 * time.Second
	DefaultMaxPollBytes  = 16 << 20
)

// watchPrefix starts the name of every bundle directory Watch creates; it
// is one of the marks by which Watch recognises what it may remove.
const watchPrefix = "ctxhole-watch-"

// pollBytes bounds how much of a debug=1 answer a poll reads: the count is
// on its first line.
const pollBytes = 4096

// Watch polls each target's goroutine count (and health probe) every
// Interval until ctx is done, and on a trigger captures a bundle under Dir,
// at most once per Cooldown per target. It returns nil when ctx was
// cancelled between captures and an error wrapping ErrInterrupted when a
// capture was cut short; other failures (a poll that fails, a capture that
// fails) are logged and watching goes on.
func Watch(ctx context.Context, opts WatchOptions) error {
	if len(opts.Targets) == 0 {
		return errors.New("watch: no targets")
	}
	if opts.Threshold <= 0 && opts.Rate <= 0 && opts.GroupGrowth <= 0 && !slices.ContainsFunc(opts.Targets, func(t WatchTarget) bool { return t.Health != "" }) {
		return errors.New("watch: no trigger: set a goroutine threshold, a growth rate, a group growth or a health URL")
	}
	if opts.MaxPollBytes <= 0 {
		opts.MaxPollBytes = DefaultMaxPollBytes
	}
	if opts.Dir == "" {
		return errors.New("watch: no bundle directory given")
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultWatchInterval
	}
	if opts.Cooldown < 0 {
		opts.Cooldown = 0
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = DefaultRateWindow
	}
	if opts.HealthTimeout <= 0 {
		opts.HealthTimeout = DefaultHealthTimeout
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	opts.Log = &lockedWriter{w: opts.Log}
	if opts.Capture.Now == nil {
		opts.Capture.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("watch: create %s: %w", opts.Dir, err)
	}
	ws := make([]*watcher, len(opts.Targets))
	for i, t := range opts.Targets {
		base, err := pprofBase(t.URL)
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		if t.Health != "" {
			if u, err := url.Parse(t.Health); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("watch: health URL %q must be an absolute http or https URL", t.Health)
			}
		}
		ws[i] = &watcher{opts: &opts, target: t, base: base, client: pollClient(opts)}
	}
	disk := &diskBound{dir: opts.Dir, maxBundles: opts.MaxBundles, maxBytes: opts.MaxDiskBytes, log: opts.Log}
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		w.disk = disk
		wg.Go(func() { errs[i] = w.run(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pollClient is the client of the cheap polls: short timeouts, redirects
// kept on the target's host.
func pollClient(opts WatchOptions) *http.Client {
	var c http.Client
	if opts.Capture.Client != nil {
		c = *opts.Capture.Client
	} else {
		c.Transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 2 * opts.Interval}
	}
	c.CheckRedirect = sameHostRedirects
	return &c
}

// sample is one poll's goroutine count, and with group polls the count of
// each group, by stack key.
type sample struct {
	at     time.Time
	count  int
	groups map[string]int
}

// pollResult is what one poll read.
type pollResult struct {
	count  int
	groups map[string]int    // by stack key; nil unless groups were polled
	names  map[string]string // a group's name for the log, by stack key
}

// watcher watches one target.
type watcher struct {
	opts   *WatchOptions
	target WatchTarget
	base   *url.URL
	client *http.Client
	disk   *diskBound

	history    []sample // within RateWindow
	lastTake   time.Time
	pollErr    string // last poll failure logged, to log changes only
	suppressed bool   // a trigger during the current cool-down was logged
}

func (w *watcher) logf(format string, args ...any) {
	fmt.Fprintf(w.opts.Log, "ctxhole watch: %s: "+format+"\n", append([]any{w.target.URL}, args...)...)
}

// run polls until ctx is done.
func (w *watcher) run(ctx context.Context) error {
	tick := time.NewTicker(w.opts.Interval)
	defer tick.Stop()
	for {
		if why := w.check(ctx); why != "" {
			if err := w.take(ctx, why); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// check polls once and returns why a capture is due, or "".
func (w *watcher) check(ctx context.Context) string {
	now := w.opts.Capture.Now()
	var reasons []string
	res, err := w.poll(ctx)
	n := res.count
	switch {
	case ctx.Err() != nil:
		return ""
	case err != nil:
		if msg := err.Error(); msg != w.pollErr {
			w.logf("poll failed: %s", msg)
			w.pollErr = msg
		}
	default:
		if w.pollErr != "" {
			w.logf("poll answers again (%d goroutines)", n)
			w.pollErr = ""
		}
		reasons = append(reasons, w.countReasons(now, res)...)
	}
	if w.target.Health != "" {
		if why := w.probe(ctx); why != "" && ctx.Err() == nil {
			reasons = append(reasons, why)
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	why := strings.Join(reasons, "; ")
	if !w.lastTake.IsZero() && now.Sub(w.lastTake) < w.opts.Cooldown {
		if !w.suppressed {
			w.logf("trigger (%s) ignored: cool-down until %s", why, w.lastTake.Add(w.opts.Cooldown).UTC().Format(time.RFC3339))
			w.suppressed = true
		}
		return ""
	}
	return why
}

// countReasons records a poll and returns the count triggers it fires.
func (w *watcher) countReasons(now time.Time, res pollResult) []string {
	n := res.count
	var reasons []string
	if w.opts.Threshold > 0 && n > w.opts.Threshold {
		reasons = append(reasons, fmt.Sprintf("goroutines %d > threshold %d", n, w.opts.Threshold))
	}
	keep := w.history[:0]
	for _, s := range w.history {
		if now.Sub(s.at) <= w.opts.RateWindow {
			keep = append(keep, s)
		}
	}
	w.history = append(keep, sample{at: now, count: n, groups: res.groups})
	if why := w.groupReason(res); why != "" {
		reasons = append(reasons, why)
	}
	if w.opts.Rate > 0 && len(w.history) >= 2 {
		first := w.history[0]
		if el := now.Sub(first.at); el > 0 {
			perMin := float64(n-first.count) / el.Minutes()
			if perMin > w.opts.Rate {
				reasons = append(reasons, fmt.Sprintf("goroutines %d -> %d in %s (%+.1f per minute > %.1f)",
					first.count, n, el.Round(time.Millisecond), perMin, w.opts.Rate))
			}
		}
	}
	return reasons
}

// groupReason returns why a group's growth triggers a capture, or "": the
// group of the current poll that grew most since its smallest count within
// RateWindow (a poll without it counted it 0), when that growth reaches
// GroupGrowth. The first poll has nothing to compare with.
func (w *watcher) groupReason(res pollResult) string {
	if w.opts.GroupGrowth <= 0 || res.groups == nil || len(w.history) < 2 {
		return ""
	}
	past := w.history[:len(w.history)-1]
	var bestKey string
	bestGrowth, bestFrom := 0, 0
	var bestSince time.Time
	for key, n := range res.groups {
		from, since := -1, time.Time{}
		for _, s := range past {
			if s.groups == nil {
				continue // a poll that failed to read the groups
			}
			if c := s.groups[key]; from < 0 || c < from {
				from, since = c, s.at
			}
		}
		if from < 0 {
			continue
		}
		if g := n - from; g > bestGrowth || g == bestGrowth && g > 0 && key < bestKey {
			bestKey, bestGrowth, bestFrom, bestSince = key, g, from, since
		}
	}
	if bestGrowth < w.opts.GroupGrowth || bestSince.IsZero() {
		return ""
	}
	cur := w.history[len(w.history)-1].at
	return fmt.Sprintf("goroutine group %s grew %d -> %d in %s (+%d >= %d)",
		res.names[bestKey], bestFrom, res.groups[bestKey], cur.Sub(bestSince).Round(time.Millisecond), bestGrowth, w.opts.GroupGrowth)
}

// goroutineTotal matches debug=1's first line.
var goroutineTotal = regexp.MustCompile(`^goroutine profile: total (\d+)\s*$`)

// poll reads the goroutine count from the first line of ?debug=1 and,
// when GroupGrowth is set, the whole profile's groups.
func (w *watcher) poll(ctx context.Context) (pollResult, error) {
	u := *w.base
	u.Path += "goroutine"
	u.RawQuery = "debug=1"
	ctx, cancel := context.WithTimeout(ctx, max(w.opts.Interval, time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return pollResult{}, fmt.Errorf("build request: %w", err)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return pollResult{}, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return pollResult{}, fmt.Errorf("%s: HTTP %s", u.Redacted(), resp.Status)
	}
	limit := int64(pollBytes)
	if w.opts.GroupGrowth > 0 {
		limit = w.opts.MaxPollBytes
	}
	body := bufio.NewReaderSize(io.LimitReader(resp.Body, limit+1), pollBytes)
	line, err := body.ReadString('\n')
	if err != nil && err != io.EOF {
		return pollResult{}, fmt.Errorf("read %s: %w", u.Redacted(), err)
	}
	m := goroutineTotal.FindStringSubmatch(line)
	if m == nil {
		return pollResult{}, fmt.Errorf("%s: not a goroutine profile (it starts %q)", u.Redacted(), parser.CleanText(line[:min(len(line), 40)]))
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return pollResult{}, fmt.Errorf("%s: goroutine count %q: %w", u.Redacted(), m[1], err)
	}
	res := pollResult{count: n}
	if w.opts.GroupGrowth <= 0 {
		return res, nil
	}
	rest, err := io.ReadAll(body)
	if err != nil {
		return pollResult{}, fmt.Errorf("read %s: %w", u.Redacted(), err)
	}
	if int64(len(line)+len(rest)) > limit {
		return pollResult{}, fmt.Errorf("%s: goroutine profile larger than %d bytes (raise the poll size bound)", u.Redacted(), limit)
	}
	c, err := parser.Read(io.MultiReader(strings.NewReader(line), bytes.NewReader(rest)), u.Redacted(), parser.Options{})
	if err != nil {
		return pollResult{}, fmt.Errorf("read %s: %w", u.Redacted(), err)
	}
	res.groups, res.names = make(map[string]int), make(map[string]string)
	for _, s := range c.Snapshots {
		for _, g := range parser.GroupGoroutines(s.Goroutines) {
			key := parser.StackKey(g.Frames)
			res.groups[key] += g.Count
			if _, ok := res.names[key]; !ok {
				res.names[key] = groupName(g.Frames)
			}
		}
	}
	return res, nil
}

// groupName names a group in a log line: its first application frame, or
// the frame that tells where it waits, or its first frame.
func groupName(frames []parser.Frame) string {
	if len(frames) == 0 {
		return "(no frames)"
	}
	i := parser.AppFrame(frames, nil)
	if i < 0 {
		i = parser.TellingFrame(frames)
	}
	if i < 0 {
		i = 0
	}
	name := parser.CleanText(frames[i].Func)
	if j := parser.TellingFrame(frames); j >= 0 && j != i {
		name += " in " + parser.CleanText(parser.ShortFunc(frames[j].Func))
	}
	return name
}

// probe checks the health URL and returns why it is unhealthy, or "".
func (w *watcher) probe(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, w.opts.HealthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.target.Health, nil)
	if err != nil {
		return fmt.Sprintf("health probe: %v", err)
	}
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("health probe gave no answer within %s", w.opts.HealthTimeout)
		}
		return fmt.Sprintf("health probe failed: %v", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, pollBytes))
	resp.Body.Close()
	took := time.Since(start)
	switch {
	case resp.StatusCode >= 400:
		return fmt.Sprintf("health probe answered HTTP %s", resp.Status)
	case w.opts.HealthLatency > 0 && took > w.opts.HealthLatency:
		return fmt.Sprintf("health probe took %s > %s", took.Round(time.Millisecond), w.opts.HealthLatency)
	}
	return ""
}

// take captures one bundle. Only an interrupted capture is returned as an
// error: it ends the watch.
func (w *watcher) take(ctx context.Context, why string) error {
	now := w.opts.Capture.Now()
	w.lastTake, w.suppressed = now, false
	dir := filepath.Join(w.opts.Dir, bundleName(w.base.Host, now))
	w.logf("trigger: %s; capturing into %s", why, dir)
	w.disk.prune(1, "")
	o := w.opts.Capture
	o.Base, o.Dir, o.Progress = w.target.URL, dir, nil
	man, err := WriteBundle(ctx, o)
	if errors.Is(err, ErrInterrupted) {
		w.logf("%v; the partial bundle is in %s", err, dir)
		return err
	}
	if man == nil {
		w.logf("capture failed: %v", err)
		return nil
	}
	if err != nil {
		w.logf("capture partial: %v", err)
	}
	w.disk.prune(0, dir)
	if w.opts.OnBundle != nil {
		w.opts.OnBundle(ctx, WatchBundle{Target: w.target.URL, Dir: dir, Trigger: why, Err: err})
	}
	return nil
}

// bundleName is a bundle directory's name: the prefix, the host made safe
// for a file name, and the UTC time to the millisecond.
func bundleName(host string, at time.Time) string {
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, host)
	return watchPrefix + host + "-" + at.UTC().Format("20060102T150405.000Z")
}

// diskBound keeps the bundles Watch writes under one directory within
// their bounds. It is shared by the targets' watchers.
type diskBound struct {
	mu         sync.Mutex
	dir        string
	maxBundles int
	maxBytes   int64
	log        io.Writer
}

// prune removes the oldest watch bundles until at most maxBundles-reserve
// remain and they hold at most maxBytes; keep is never removed.
func (d *diskBound) prune(reserve int, keep string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	PruneBundles(PruneOptions{Dir: d.dir, Prefix: watchPrefix, Tool: "ctxhole capture",
		MaxBundles: d.maxBundles, MaxBytes: d.maxBytes, Reserve: reserve, Keep: keep, Log: d.log})
}

// own lists the watch bundles under d.dir, oldest first.
func (d *diskBound) own() []ownBundle {
	return ownBundles(d.dir, watchPrefix, "ctxhole capture")
}

// PruneOptions say which bundles PruneBundles may remove and the bounds
// it keeps them within.
type PruneOptions struct {
	// Dir holds the bundles. A bundle is a direct subdirectory whose name
	// starts with Prefix, holding a manifest whose Tool is Tool and
	// nothing but the regular files that manifest lists; nothing else is
	// counted or removed.
	Dir, Prefix, Tool string
	// MaxBundles and MaxBytes are the bounds (0: none); Reserve lowers
	// MaxBundles to make room for bundles about to be written.
	MaxBundles int
	MaxBytes   int64
	Reserve    int
	// Keep is a bundle never removed (the one just written).
	Keep string
	// Log receives one line per bundle removed; nil discards them.
	Log io.Writer
}

// PruneBundles removes the oldest bundles (by manifest start time) until
// the bounds hold. Both ctxhole watch and the in-process flight package
// use it, so the rule for what may be deleted has one home. It is not safe
// to call concurrently on one directory.
func PruneBundles(o PruneOptions) {
	if o.MaxBundles <= 0 && o.MaxBytes <= 0 {
		return
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	bundles := ownBundles(o.Dir, o.Prefix, o.Tool)
	var total int64
	for _, b := range bundles {
		total += b.bytes
	}
	for len(bundles) > 0 {
		over := o.MaxBundles > 0 && len(bundles) > o.MaxBundles-o.Reserve || o.MaxBytes > 0 && total > o.MaxBytes
		if !over {
			return
		}
		i := slices.IndexFunc(bundles, func(b ownBundle) bool { return b.path != o.Keep })
		if i < 0 {
			return
		}
		b := bundles[i]
		if err := removeBundle(b); err != nil {
			fmt.Fprintf(o.Log, "ctxhole: cannot remove old bundle %s: %v\n", b.path, err)
			return
		}
		fmt.Fprintf(o.Log, "ctxhole: removed old bundle %s (%d bytes) to stay within the disk bounds\n", b.path, b.bytes)
		total -= b.bytes
		bundles = slices.Delete(bundles, i, i+1)
	}
}

// ownBundle is a bundle PruneBundles may remove.
type ownBundle struct {
	path    string
	started time.Time
	bytes   int64
	files   []string // every file in it, manifest included
}

// ownBundles lists the bundles under dir (see PruneOptions), oldest first.
func ownBundles(dir, prefix, tool string) []ownBundle {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []ownBundle
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if b, ok := readOwn(filepath.Join(dir, e.Name()), tool); ok {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b ownBundle) int {
		if c := a.started.Compare(b.started); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	return out
}

func readOwn(path, tool string) (ownBundle, bool) {
	st, err := os.Lstat(path)
	if err != nil || !st.IsDir() {
		return ownBundle{}, false
	}
	man, err := parser.ReadManifest(path)
	if err != nil || man == nil || man.Tool != tool {
		return ownBundle{}, false
	}
	named := map[string]bool{parser.ManifestName: true}
	for _, f := range man.Files {
		named[f.Name] = true
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return ownBundle{}, false
	}
	b := ownBundle{path: path, started: man.StartedAt}
	for _, e := range entries {
		if !e.Type().IsRegular() || !named[e.Name()] {
			return ownBundle{}, false
		}
		info, err := e.Info()
		if err != nil {
			return ownBundle{}, false
		}
		b.bytes += info.Size()
		b.files = append(b.files, e.Name())
	}
	return b, true
}

// removeBundle removes the files of b and then its directory; a file that
// appeared since it was listed makes the final Remove fail, leaving it.
func removeBundle(b ownBundle) error {
	for _, f := range b.files {
		if err := os.Remove(filepath.Join(b.path, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove: %w", err)
		}
	}
	if err := os.Remove(b.path); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	return nil
}
