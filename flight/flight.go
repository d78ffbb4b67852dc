// Package flight keeps an execution-trace flight recorder
// (runtime/trace.FlightRecorder, Go 1.25+) running inside a service and,
// when the service starts to hang, writes the recent past to disk: the
// flight-recorder trace of the last seconds, goroutine dumps (debug=2 and
// proto) and the goroutineleak profile where the runtime offers it, as an
// incident bundle `ctxhole analyze` reads.
//
// A trigger is the service's own goroutine count over a threshold, a
// caller-supplied signal (a latency percentile, a deadline-exceeded
// counter), or a call to Trigger (Handler serves it over HTTP). At most one
// bundle is written per cool-down and at most MaxBundles are kept. A bundle
// goes to a directory under Config.Dir, or, with Config.Sink, as a tar
// stream to any io.Writer the service provides (an object-store upload, a
// log shipper); WriteBundle and WriteTo write one on demand.
//
// TraceHandler serves the flight-recorder window over HTTP: mounted at
// capture.FlightRecorderPath (/debug/pprof/flightrecorder) beside
// net/http/pprof, it lets `ctxhole capture` and `ctxhole watch` take the
// seconds before their trigger, the onset, along with their own captures.
package flight

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
	"time"

	"github.com/ctxhole/ctxhole/capture"
	"github.com/ctxhole/ctxhole/parser"
)

// Signal is a caller-supplied trigger, polled every Config.Interval: it
// returns a non-empty reason when a bundle should be written.
type Signal func() (why string)

// Config configures a Recorder. Zero fields take the defaults below.
type Config struct {
	// Dir is where bundles are written, one subdirectory per trigger. It
	// may be empty when Sink is set.
	Dir string
	// Sink, when set, receives each triggered bundle instead of Dir: it is
	// called with the bundle's name (ctxhole-flight-TIME.tar) and the
	// bundle is written to the returned writer as an uncompressed tar
	// archive (`tar -xf` gives the directory ctxhole analyze reads), then
	// the writer is closed. MaxBundles does not apply to a sink.
	Sink func(name string) (io.WriteCloser, error)
	// Window is the flight recorder's minimum age of events kept and
	// MaxWindowBytes its size bound (a hint to the runtime).
	Window         time.Duration
	MaxWindowBytes uint64
	// Interval is how often the goroutine count and Signals are checked.
	Interval time.Duration
	// GoroutineThreshold triggers when runtime.NumGoroutine exceeds it; 0
	// disables the check.
	GoroutineThreshold int
	// Signals are checked every Interval, in order.
	Signals []Signal
	// Cooldown is the least time between two bundles: 0 means
	// DefaultCooldown, a negative value none.
	Cooldown time.Duration
	// MaxBundles is how many bundles Dir keeps; older ones written by
	// this package are removed, nothing else.
	MaxBundles int
	// Log receives one line per bundle written or trigger ignored; nil
	// discards them.
	Log io.Writer
}

// Defaults for Config fields left zero.
const (
	DefaultWindow         = 10 * time.Second
	DefaultMaxWindowBytes = 16 << 20
	DefaultInterval       = time.Second
	DefaultCooldown       = 10 * time.Minute
	DefaultMaxBundles     = 5
)

// bundlePrefix starts the name of every bundle directory a Recorder writes.
const bundlePrefix = "ctxhole-flight-"

// tool is the manifest's Tool for bundles written here.
const tool = "ctxhole flight"

// ErrCooldown is returned by Trigger while the cool-down after the last
// bundle runs.
var ErrCooldown = errors.New("flight: cool-down after the last bundle")

// Recorder is a running flight recorder with its trigger loop.
type Recorder struct {
	cfg  Config
	fr   *trace.FlightRecorder
	stop context.CancelFunc
	done chan struct{}

	mu         sync.Mutex // one bundle at a time; guards last
	last       time.Time
	suppressed bool
}

// Start starts the flight recorder and the trigger loop. Only one flight
// recorder may run in a process (a runtime restriction); Start fails if
// another one does.
func Start(cfg Config) (*Recorder, error) {
	if cfg.Dir == "" && cfg.Sink == nil {
		return nil, errors.New("flight: no directory or sink given")
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxWindowBytes == 0 {
		cfg.MaxWindowBytes = DefaultMaxWindowBytes
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Cooldown < 0 {
		cfg.Cooldown = 0
	} else if cfg.Cooldown == 0 {
		cfg.Cooldown = DefaultCooldown
	}
	if cfg.MaxBundles <= 0 {
		cfg.MaxBundles = DefaultMaxBundles
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Sink == nil {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("flight: create %s: %w", cfg.Dir, err)
		}
	}
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: cfg.Window, MaxBytes: cfg.MaxWindowBytes})
	if err := fr.Start(); err != nil {
		return nil, fmt.Errorf("flight: start the flight recorder: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r := &Recorder{cfg: cfg, fr: fr, stop: stop, done: make(chan struct{})}
	go r.loop(ctx)
	return r, nil
}

// Stop ends the trigger loop and the flight recorder.
func (r *Recorder) Stop() {
	r.stop()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fr.Stop()
}

func (r *Recorder) loop(ctx context.Context) {
	defer close(r.done)
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if why := r.check(); why != "" {
			_, err := r.Trigger(why)
			switch {
			case errors.Is(err, ErrCooldown):
				r.mu.Lock()
				if !r.suppressed {
					fmt.Fprintf(r.cfg.Log, "ctxhole flight: trigger (%s) ignored: cool-down\n", why)
					r.suppressed = true
				}
				r.mu.Unlock()
			case err != nil:
				fmt.Fprintf(r.cfg.Log, "ctxhole flight: %v\n", err)
			}
		}
	}
}

// check returns why a bundle is due, or "".
func (r *Recorder) check() string {
	var reasons []string
	if t := r.cfg.GoroutineThreshold; t > 0 {
		if n := runtime.NumGoroutine(); n > t {
			reasons = append(reasons, fmt.Sprintf("goroutines %d > threshold %d", n, t))
		}
	}
	for _, s := range r.cfg.Signals {
		if why := s(); why != "" {
			reasons = append(reasons, why)
		}
	}
	return strings.Join(reasons, "; ")
}

// Trigger writes a bundle now, unless the cool-down after the last one
// runs (ErrCooldown), and returns where it went: its directory, or with
// Config.Sink the name the sink was given.
func (r *Recorder) Trigger(why string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < r.cfg.Cooldown {
		return "", fmt.Errorf("%w (until %s)", ErrCooldown, r.last.Add(r.cfg.Cooldown).UTC().Format(time.RFC3339))
	}
	r.last, r.suppressed = now, false
	name := bundlePrefix + now.UTC().Format("20060102T150405.000000Z")
	if r.cfg.Sink != nil {
		name += ".tar"
		if err := r.sink(name, why, now); err != nil {
			return name, err
		}
		fmt.Fprintf(r.cfg.Log, "ctxhole flight: %s: bundle written to the sink as %s\n", why, name)
		return name, nil
	}
	dir := filepath.Join(r.cfg.Dir, name)
	if err := r.writeDir(dir, why, now); err != nil {
		return dir, err
	}
	fmt.Fprintf(r.cfg.Log, "ctxhole flight: %s: bundle written to %s\n", why, dir)
	capture.PruneBundles(capture.PruneOptions{Dir: r.cfg.Dir, Prefix: bundlePrefix, Tool: tool, MaxBundles: r.cfg.MaxBundles, Keep: dir, Log: r.cfg.Log})
	return dir, nil
}

// sink writes one triggered bundle to the configured Sink.
func (r *Recorder) sink(name, why string, now time.Time) error {
	w, err := r.cfg.Sink(name)
	if err != nil {
		return fmt.Errorf("flight: sink %s: %w", name, err)
	}
	err = r.writeTar(w, why, now)
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("flight: sink %s: %w", name, cerr)
	}
	return err
}

// WriteBundle writes a bundle now, as an uncompressed tar archive of the
// files a bundle directory holds (manifest.json included), to w. It is
// what Trigger writes to a Sink, on demand: the cool-down does not apply.
func (r *Recorder) WriteBundle(w io.Writer, why string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writeTar(w, why, time.Now())
}

// WriteTo writes the flight-recorder window, an execution trace of the
// last Window or so, to w: what runtime/trace.FlightRecorder.WriteTo
// writes, serialised with the bundles (the runtime lets one write run at a
// time). It implements io.WriterTo.
func (r *Recorder) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.fr.WriteTo(w)
	if err != nil {
		return n, fmt.Errorf("flight: write the trace window: %w", err)
	}
	return n, nil
}

// part is one file of a bundle.
type part struct {
	name, kind string
	write      func(io.Writer) error
}

// parts are a bundle's files, the trace window first (it is what ages).
func (r *Recorder) parts() []part {
	ps := []part{
		{"trace.out", "trace", func(w io.Writer) error { _, err := r.fr.WriteTo(w); return err }},
		{"goroutine-debug2.txt", "goroutine-debug2", func(w io.Writer) error { return pprof.Lookup("goroutine").WriteTo(w, 2) }},
		{"goroutine.pb.gz", "goroutine-proto", func(w io.Writer) error { return pprof.Lookup("goroutine").WriteTo(w, 0) }},
	}
	if p := pprof.Lookup("goroutineleak"); p != nil {
		ps = append(ps, part{"goroutineleak.pb.gz", capture.KindGoroutineLeak, func(w io.Writer) error { return p.WriteTo(w, 0) }})
	}
	return ps
}

// manifest starts a bundle's manifest.
func manifest(why string, now time.Time) *parser.Manifest {
	return &parser.Manifest{Version: parser.ManifestVersion, Tool: tool, Target: "self: " + why, StartedAt: now.UTC()}
}

// writeDir writes one bundle as the directory dir, file by file.
func (r *Recorder) writeDir(dir, why string, now time.Time) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("flight: %w", err)
	}
	man := manifest(why, now)
	for _, p := range r.parts() {
		f, err := os.OpenFile(filepath.Join(dir, p.name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		entry := parser.ManifestFile{Name: p.name, Kind: p.kind}
		if err == nil {
			cw := &countWriter{w: f}
			err = p.write(cw)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			entry.Bytes = cw.n
		}
		entry.CapturedAt = time.Now().UTC()
		if err != nil {
			entry.Error = err.Error()
		}
		man.Files = append(man.Files, entry)
	}
	if err := parser.WriteManifest(dir, man); err != nil {
		return fmt.Errorf("flight: %w", err)
	}
	return nil
}

// writeTar writes one bundle to w as a tar archive: each file is rendered
// in memory first (a tar header carries its size), then the manifest.
func (r *Recorder) writeTar(w io.Writer, why string, now time.Time) error {
	tw := tar.NewWriter(w)
	man := manifest(why, now)
	var buf bytes.Buffer
	add := func(name string, data []byte, at time.Time) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: at, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("flight: tar %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("flight: tar %s: %w", name, err)
		}
		return nil
	}
	for _, p := range r.parts() {
		buf.Reset()
		err := p.write(&buf)
		entry := parser.ManifestFile{Name: p.name, Kind: p.kind, CapturedAt: time.Now().UTC(), Bytes: int64(buf.Len())}
		if err != nil {
			entry.Error = err.Error()
		}
		man.Files = append(man.Files, entry)
		if buf.Len() == 0 && err != nil {
			continue
		}
		if err := add(p.name, buf.Bytes(), entry.CapturedAt); err != nil {
			return err
		}
	}
	data, err := parser.MarshalManifest(man)
	if err != nil {
		return fmt.Errorf("flight: %w", err)
	}
	if err := add(parser.ManifestName, data, time.Now().UTC()); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("flight: tar: %w", err)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Handler triggers a bundle by hand: POST (so a crawler's GET cannot)
// answers 200 with the bundle's directory, 429 during the cool-down.
// Mount it behind the same protection as net/http/pprof.
func (r *Recorder) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST to write a flight-recorder bundle", http.StatusMethodNotAllowed)
			return
		}
		dir, err := r.Trigger("triggered by hand over HTTP")
		switch {
		case errors.Is(err, ErrCooldown):
			http.Error(w, err.Error(), http.StatusTooManyRequests)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			fmt.Fprintln(w, dir)
		}
	})
}

// TraceHandler serves the flight-recorder window on GET: an execution
// trace of the last Window or so, ending now. Mount it at
// capture.FlightRecorderPath beside net/http/pprof, behind the same
// protection, and `ctxhole capture` and `ctxhole watch` take it with every
// bundle (the seconds before their trigger); a 404 there means "not
// offered" to them.
func (r *Recorder) TraceHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "GET the flight-recorder window", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="flightrecorder.out"`)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if req.Method == http.MethodHead {
			return
		}
		if _, err := r.WriteTo(w); err != nil {
			// Nothing written yet is the only case a status can still
			// say; later, the truncated body is what the client sees.
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}
