// Package capture fetches the evidence of a stuck Go service from its
// net/http/pprof endpoints into an incident bundle: a directory of goroutine
// dumps taken a few seconds apart, the protobuf goroutine profile (labels),
// the mutex and block profiles and a short execution trace, described by a
// manifest (parser.Manifest) so the bundle can be analyzed later, anywhere.
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
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
}

var (
	goroutineText = endpoint{kind: "goroutine-debug2", path: "goroutine", query: "debug=2", name: "goroutine-debug2.txt"}
	goroutineProt = endpoint{kind: "goroutine-proto", path: "goroutine", name: "goroutine.pb.gz"}
	mutexProfile  = endpoint{kind: "mutex", path: "mutex", name: "mutex.pb.gz",
		emptyNote: "empty mutex profile: mutex profiling is not enabled (runtime.SetMutexProfileFraction)"}
	blockProfile = endpoint{kind: "block", path: "block", name: "block.pb.gz",
		emptyNote: "empty block profile: block profiling is not enabled (runtime.SetBlockProfileRate)"}
)

// WriteBundle captures an incident bundle into opts.Dir and returns the
// manifest it wrote there. The bundle is files on disk, not yet a
// parser.Capture: parser.Load reads the directory (manifest included) into
// one. It fails only when nothing at all could be captured or the bundle
// directory cannot be written; individual fetch failures are recorded in
// the manifest.
func WriteBundle(ctx context.Context, opts Options) (*parser.Manifest, error) {
	base, err := pprofBase(opts.Base)
	if err != nil {
		return nil, err
	}
	opts = withDefaults(opts)
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

	// The trace runs alongside the dumps: both watch the same seconds of
	// the process, which is what time alignment wants.
	var wg sync.WaitGroup
	if opts.Trace > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.fetchTrace(ctx)
		}()
	}
	for i := 0; i < opts.Snapshots; i++ {
		if i > 0 {
			if err := sleep(ctx, opts.Every); err != nil {
				break
			}
		}
		suffix := ""
		if opts.Snapshots > 1 {
			suffix = fmt.Sprintf(".%d", i+1)
		}
		c.fetch(ctx, goroutineText.withSuffix(suffix), 0)
		c.fetch(ctx, goroutineProt.withSuffix(suffix), 0)
	}
	c.fetch(ctx, mutexProfile, 0)
	c.fetch(ctx, blockProfile, 0)
	wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	sortFiles(c.man.Files)
	if err := parser.WriteManifest(opts.Dir, c.man); err != nil {
		return c.man, err
	}
	if c.ok == 0 {
		return c.man, fmt.Errorf("capture %s: nothing could be fetched (first error: %s)", opts.Base, c.firstErr)
	}
	return c.man, nil
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
		o.Client = &http.Client{
			// Per-request deadlines come from contexts; this is the
			// backstop for a server that trickles bytes forever.
			Timeout: o.RequestTimeout + o.Trace + 10*time.Second,
			Transport: &http.Transport{
				Proxy:                 nil, // loopback and cluster-internal targets: never via a proxy
				ResponseHeaderTimeout: o.RequestTimeout + o.Trace,
				MaxIdleConns:          4,
				IdleConnTimeout:       30 * time.Second,
				DisableCompression:    true, // keep .pb.gz as served
			},
		}
	}
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
