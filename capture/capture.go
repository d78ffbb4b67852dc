// Package capture fetches the evidence of a stuck Go service from its
// net/http/pprof endpoints into an incident bundle: a directory of goroutine
// dumps taken a few seconds apart, the protobuf goroutine profile (labels),
// the mutex and block profiles, Go 1.26's goroutineleak profile where the
// service offers it, and a short execution trace, described by a manifest
// (parser.Manifest) so the bundle can be analyzed later, anywhere.
//
// Capturing is best-effort by design: during an incident a missing endpoint
// or a profile whose sampling rate was never enabled must not cost the
// engineer the rest of the evidence. Each failure is recorded in the
// manifest and the capture goes on.
package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// Options control one capture.
type Options struct {
	// Base is the service's pprof base URL, e.g. http://127.0.0.1:6060
	// (the /debug/pprof/ path is added when absent).
	Base string
	// Dir is the bundle directory to create; it must not exist or be
	// empty.
	Dir string
	// Trace is the execution trace length; 0 skips the trace.
	Trace time.Duration
	// Snapshots is how many goroutine dumps to take, Every apart.
	Snapshots int
	Every     time.Duration
	// MaxBytes caps each response body.
	MaxBytes int64
	// RequestTimeout bounds each request (the trace request gets Trace on
	// top of it).
	RequestTimeout time.Duration
	// Progress receives one-line progress messages; nil discards them.
	Progress io.Writer
	// Client is the HTTP client; nil uses a private client with the
	// request timeouts above. Tests set it.
	Client *http.Client
	// Now returns the current time; nil uses time.Now.
	Now func() time.Time
}

// Defaults for Options fields left zero.
const (
	DefaultMaxBytes       = 512 << 20
	DefaultRequestTimeout = 30 * time.Second
)

// endpoint is one thing a capture fetches.
type endpoint struct {
	kind  string // manifest kind
	path  string // under /debug/pprof/
	query string
	name  string // file name in the bundle
	// emptyNote explains an empty profile: the sampling rate is off.
	emptyNote string
	// notOffered, when set, makes a 404 a profile the service does not
	// offer (recorded with this note), not a failure.
	notOffered string
}

// FlightRecorderPath is where a service serves its flight-recorder window
// (the flight package's Recorder.TraceHandler): an execution trace of the
// seconds before the request. A capture takes it first, so a bundle holds
// the onset of a hang as well as its aftermath; a 404 there means the
// service offers none.
const FlightRecorderPath = "/debug/pprof/flightrecorder"

var (
	goroutineText = endpoint{kind: "goroutine-debug2", path: "goroutine", query: "debug=2", name: "goroutine-debug2.txt"}
	goroutineProt = endpoint{kind: "goroutine-proto", path: "goroutine", name: "goroutine.pb.gz"}
	mutexProfile  = endpoint{kind: "mutex", path: "mutex", name: "mutex.pb.gz",
		emptyNote: "empty mutex profile: mutex profiling is not enabled (runtime.SetMutexProfileFraction)"}
	blockProfile = endpoint{kind: "block", path: "block", name: "block.pb.gz",
		emptyNote: "empty block profile: block profiling is not enabled (runtime.SetBlockProfileRate)"}
	// goroutineLeak is Go 1.26's goroutine leak profile: serving it runs a
	// garbage collection that proves which goroutines nothing can ever
	// wake, and lists those (proto: by stack). Only binaries built with
	// GOEXPERIMENT=goroutineleakprofile register it; the others answer 404.
	goroutineLeak = endpoint{kind: KindGoroutineLeak, path: "goroutineleak", name: "goroutineleak.pb.gz",
		notOffered: "not offered: the service's runtime has no goroutineleak profile (it needs Go 1.26+ built with GOEXPERIMENT=goroutineleakprofile)"}
	// flightWindow is the service's flight-recorder window, where it
	// serves one (FlightRecorderPath).
	flightWindow = endpoint{kind: "trace", path: strings.TrimPrefix(FlightRecorderPath, "/debug/pprof/"), name: "trace-flight.out",
		notOffered: "not offered: the service serves no flight-recorder window (the flight package's TraceHandler at " + FlightRecorderPath + ")"}
)

// KindGoroutineLeak is the manifest kind of Go 1.26's goroutineleak
// profile, as capture, watch and the flight recorder write it.
const KindGoroutineLeak = "goroutineleak"

// errNotOffered reports a 404 from an endpoint a service may well not
// offer (endpoint.notOffered).
var errNotOffered = errors.New("not offered")

// ErrInterrupted is returned (wrapped) by WriteBundle when its context is
// cancelled (SIGINT): the bundle keeps every byte received, the manifest
// records what was not taken, and the caller should not analyze it as if
// it were whole.
var ErrInterrupted = errors.New("capture interrupted")

// errRefused marks a capture stopped because the target refused a
// connection: nothing listens there, and nothing later will fare better.
var errRefused = errors.New("connection refused")

// WriteBundle captures an incident bundle into opts.Dir and returns the
// manifest it wrote there. The bundle is files on disk, not yet a
// parser.Capture: parser.Load reads the directory (manifest included) into
// one.
//
// The endpoints are fetched concurrently under one overall deadline
// (RequestTimeout past the last scheduled fetch): the goroutine dumps
// Every apart, the mutex, block and goroutineleak profiles and the trace
// from the start. A service without the goroutineleak profile (404) is
// recorded as not offering it (ManifestFile.NotOffered), not as a failure.
// The target is untrusted: a redirect to another host is refused, a
// response that is not the expected format (an HTML login page answering
// 200) is not saved, each body is capped at MaxBytes, and every file is
// created new. A target that refuses the connection fails at once. Each
// failure is recorded in the manifest; WriteBundle fails only when nothing
// at all could be captured, the bundle directory cannot be written, or it
// was interrupted (ErrInterrupted).
func WriteBundle(ctx context.Context, opts Options) (*parser.Manifest, error) {
	base, err := pprofBase(opts.Base)
	if err != nil {
		return nil, err
	}
	opts = withDefaults(opts)
	if err := reachable(ctx, base, opts.RequestTimeout); err != nil {
		return nil, fmt.Errorf("capture %s: %w", opts.Base, err)
	}
	if err := prepareDir(opts.Dir); err != nil {
		return nil, err
	}
	c := &capturer{opts: opts, base: base}
	c.man = &parser.Manifest{
		Version:   parser.ManifestVersion,
		Tool:      "ctxhole capture",
		Target:    opts.Base,
		StartedAt: opts.Now().UTC(),
	}

	overall := opts.RequestTimeout + max(opts.Trace, time.Duration(opts.Snapshots-1)*opts.Every)
	runCtx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	runCtx, stop := context.WithTimeoutCause(runCtx, overall, fmt.Errorf("the capture's overall deadline of %s passed", overall))
	defer stop()
	c.abort = abort

	var wg sync.WaitGroup
	launch := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	// The flight-recorder window, where offered, is the past: it is taken
	// at once, before it ages. The trace runs alongside the dumps: both
	// watch the same seconds of the process, which is what time alignment
	// wants.
	launch(func() { c.fetch(runCtx, flightWindow, 0) })
	if opts.Trace > 0 {
		launch(func() { c.fetchTrace(runCtx) })
	}
	launch(func() { c.fetch(runCtx, mutexProfile, 0) })
	launch(func() { c.fetch(runCtx, blockProfile, 0) })
	// The leak profile is taken with the first dumps: its proof is
	// permanent, so it covers them and every later one (the loader marks
	// the goroutines it proves leaked).
	launch(func() { c.fetch(runCtx, goroutineLeak, 0) })
	for i := 0; i < opts.Snapshots; i++ {
		suffix := ""
		if opts.Snapshots > 1 {
			suffix = fmt.Sprintf(".%d", i+1)
		}
		text, prot := goroutineText.withSuffix(suffix), goroutineProt.withSuffix(suffix)
		if i > 0 && sleep(runCtx, opts.Every) != nil {
			c.notTaken(runCtx, text)
			c.notTaken(runCtx, prot)
			continue
		}
		launch(func() { c.fetch(runCtx, text, 0) })
		launch(func() { c.fetch(runCtx, prot, 0) })
	}
	wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	sortFiles(c.man.Files)
	cause := context.Cause(runCtx)
	if errors.Is(cause, errRefused) && c.ok == 0 {
		// Nothing listens there: no bundle to keep. The directory was
		// empty or made by prepareDir, and nothing was written in it.
		os.Remove(opts.Dir)
		return nil, fmt.Errorf("capture %s: %w", opts.Base, cause)
	}
	if err := parser.WriteManifest(opts.Dir, c.man); err != nil {
		return c.man, err
	}
	switch {
	case ctx.Err() != nil:
		return c.man, fmt.Errorf("capture %s: %w: %d of %d files taken, kept as received", opts.Base, ErrInterrupted, c.ok, len(c.man.Files))
	case c.ok == 0:
		return c.man, fmt.Errorf("capture %s: nothing could be fetched (first error: %s)", opts.Base, c.firstErr)
	}
	return c.man, nil
}

// Reachable reports whether the service at target (a URL as Options.Base
// takes it) accepts connections: a refused connection, a name that does
// not resolve or no answer within timeout is an error naming the address.
// WriteBundle checks it first; a caller may check it before announcing a
// capture.
func Reachable(ctx context.Context, target string, timeout time.Duration) error {
	base, err := pprofBase(target)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	if err := reachable(ctx, base, timeout); err != nil {
		return fmt.Errorf("capture %s: %w", target, err)
	}
	return nil
}

// reachable dials the target once, so that a port nothing listens on fails
// at once with one clear line instead of one failure per endpoint.
func reachable(ctx context.Context, base *url.URL, timeout time.Duration) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w before it started", ErrInterrupted)
	}
	host := base.Host
	if base.Port() == "" {
		port := "80"
		if base.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(base.Hostname(), port)
	}
	d := net.Dialer{Timeout: min(timeout, 10*time.Second)}
	conn, err := d.DialContext(ctx, "tcp", host)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w: nothing listens on %s (is the service running and serving net/http/pprof on that port?)", errRefused, host)
	}
	if err != nil {
		return fmt.Errorf("cannot connect: %w", err)
	}
	conn.Close()
	return nil
}

func withDefaults(o Options) Options {
	if o.Snapshots <= 0 {
		o.Snapshots = 1
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	// The trace's ticker and the fetches report concurrently.
	o.Progress = &lockedWriter{w: o.Progress}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{}
		transport := &http.Transport{
			Proxy:                 nil, // loopback and cluster-internal targets: never via a proxy
			DialContext:           (&net.Dialer{Timeout: min(o.RequestTimeout, 10*time.Second)}).DialContext,
			ResponseHeaderTimeout: o.RequestTimeout + o.Trace,
			MaxIdleConns:          8,
			IdleConnTimeout:       30 * time.Second,
			DisableCompression:    true, // keep .pb.gz as served
		}
		// Per-request deadlines come from contexts; this is the backstop
		// for a server that trickles bytes forever.
		o.Client.Timeout = o.RequestTimeout + o.Trace + 10*time.Second
		o.Client.Transport = transport
	}
	// The data must come from the target the manifest names: redirects
	// stay on its host (an upgrade to https is fine).
	client := *o.Client
	client.CheckRedirect = sameHostRedirects
	o.Client = &client
	return o
}

// pprofBase turns the user's URL into the /debug/pprof/ base.
func pprofBase(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("capture: no service URL given")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("capture: bad URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("capture: URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("capture: URL %q has no host", raw)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(p, "/debug/pprof") {
		p += "/debug/pprof"
	}
	u.Path = p + "/"
	u.RawQuery = ""
	return u, nil
}

func prepareDir(dir string) error {
	if dir == "" {
		return errors.New("capture: no bundle directory given")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return fmt.Errorf("capture: bundle directory %s is not empty", dir)
	case err == nil:
		return nil
	case !os.IsNotExist(err):
		return fmt.Errorf("capture: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("capture: create bundle directory: %w", err)
	}
	return nil
}

func (e endpoint) withSuffix(s string) endpoint {
	if s == "" {
		return e
	}
	ext := filepath.Ext(e.name)
	stem := strings.TrimSuffix(e.name, ext)
	if ext == ".gz" { // goroutine.pb.gz -> goroutine.1.pb.gz
		inner := filepath.Ext(stem)
		stem = strings.TrimSuffix(stem, inner)
		ext = inner + ext
	}
	e.name = stem + s + ext
	return e
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// lockedWriter serialises writes from concurrent fetches, so progress
// lines never interleave and the caller's writer need not be safe for
// concurrent use.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// errRedirectHost is returned (wrapped) for a redirect off the target.
var errRedirectHost = errors.New("redirect to another host refused")

// sameHostRedirects is the captures' http.Client.CheckRedirect: a redirect
// may change the path (a service mounting pprof elsewhere) or upgrade to
// https, never the host.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme && !(first.Scheme == "http" && req.URL.Scheme == "https") {
		return fmt.Errorf("%w: %s redirects to %s", errRedirectHost, first.Host, req.URL.Redacted())
	}
	if len(via) >= 5 {
		return errors.New("more than 5 redirects")
	}
	return nil
}
