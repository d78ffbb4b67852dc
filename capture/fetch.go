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
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/pprof/profile"

	"github.com/ctxhole/ctxhole/internal/safefile"
	"github.com/ctxhole/ctxhole/parser"
)

// capturer holds one capture's state. The fetches run concurrently, so
// the manifest is guarded.
type capturer struct {
	opts Options
	base *url.URL
	// abort stops the whole capture (a refused connection).
	abort context.CancelCauseFunc

	mu       sync.Mutex
	man      *parser.Manifest
	ok       int
	firstErr string
}

// errTooLarge reports a response over Options.MaxBytes.
var errTooLarge = errors.New("response larger than the size cap")

// endpointURL is e's address on the target.
func (c *capturer) endpointURL(e endpoint) *url.URL {
	u := *c.base
	u.Path += e.path
	u.RawQuery = e.query
	return &u
}

// fetch gets one endpoint into the bundle and records it in the manifest.
// extra lengthens the request's deadline (the trace endpoint holds the
// response for its duration). What was received is kept even when the
// fetch fails part way (an interrupt, a deadline, the size cap); nothing
// is saved when the response is not what the endpoint serves.
func (c *capturer) fetch(ctx context.Context, e endpoint, extra time.Duration) {
	if ctx.Err() != nil {
		c.notTaken(ctx, e)
		return
	}
	u := c.endpointURL(e)
	entry := parser.ManifestFile{Name: e.name, Kind: e.kind, URLPath: u.RequestURI()}
	path := filepath.Join(c.opts.Dir, e.name)
	requested := c.opts.Now().UTC()
	n, err := c.get(ctx, e, u.String(), path, c.opts.RequestTimeout+extra)
	entry.CapturedAt = c.opts.Now().UTC()
	if e.kind == goroutineText.kind || e.kind == goroutineProt.kind {
		// A goroutine dump is the moment the runtime stopped the world
		// for it, as the request arrived; sending it can take seconds
		// (or, on a loaded machine, finish after a later dump's), so
		// its time is the request's.
		entry.CapturedAt = requested
	}
	entry.Bytes = n
	switch {
	case errors.Is(err, errNotOffered):
		entry.NotOffered, entry.Note = true, e.notOffered
	case errors.Is(err, syscall.ECONNREFUSED):
		// The service went away: the other fetches would fail the same
		// way, one line each.
		c.abort(fmt.Errorf("%w by %s during the capture", errRefused, c.base.Host))
		entry.Error = err.Error()
	case err != nil && n > 0:
		entry.Error = fmt.Sprintf("%v (the %d bytes received are kept)", err, n)
	case err != nil:
		entry.Error = err.Error()
	case e.emptyNote != "":
		if empty, perr := emptyProfile(path); perr == nil && empty {
			entry.Empty, entry.Note = true, e.emptyNote
		}
	}
	if entry.Error != "" && context.Cause(ctx) == nil {
		fmt.Fprintf(c.opts.Progress, "ctxhole capture: %s: %s\n", e.name, entry.Error)
	}
	c.record(entry)
}

// notTaken records an endpoint the capture did not fetch, and why.
func (c *capturer) notTaken(ctx context.Context, e endpoint) {
	why := "the capture was stopped"
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, context.Canceled):
		why = "interrupted"
	case cause != nil:
		why = cause.Error()
	}
	c.record(parser.ManifestFile{Name: e.name, Kind: e.kind, URLPath: c.endpointURL(e).RequestURI(), Error: "not taken: " + why})
}

func (c *capturer) record(entry parser.ManifestFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.man.Files = append(c.man.Files, entry)
	switch {
	case entry.NotOffered:
		// Neither evidence nor a failure.
	case entry.Error == "":
		c.ok++
	case c.firstErr == "":
		c.firstErr = entry.Name + ": " + entry.Error
	}
}

// fetchTrace takes the execution trace, printing progress while the
// server holds the response for the trace's duration.
func (c *capturer) fetchTrace(ctx context.Context) {
	secs := int((c.opts.Trace + time.Second - 1) / time.Second)
	e := endpoint{kind: "trace", path: "trace", query: fmt.Sprintf("seconds=%d", secs), name: "trace.out"}
	done := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Add(1)
	go func() {
		defer ticker.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		start := time.Now()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fmt.Fprintf(c.opts.Progress, "ctxhole capture: tracing %s/%ds\n", time.Since(start).Round(time.Second), secs)
			}
		}
	}()
	c.fetch(ctx, e, time.Duration(secs)*time.Second)
	close(done)
	// Joined so no progress line is written after WriteBundle returns.
	ticker.Wait()
}

// get streams url into path, capped at MaxBytes, and returns the bytes
// written. The first bytes are checked against what the endpoint serves
// before the file is created (new, never over anything: safefile).
func (c *capturer) get(ctx context.Context, e endpoint, rawURL, path string, timeout time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	resp, err := c.opts.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound && e.notOffered != "" {
		return 0, errNotOffered
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("HTTP %s: %s", resp.Status, parser.CleanText(strings.TrimSpace(string(msg))))
	}
	body := bufio.NewReaderSize(io.LimitReader(resp.Body, c.opts.MaxBytes+1), 4096)
	head, perr := body.Peek(sniffBytes)
	if len(head) == 0 && perr != nil && perr != io.EOF {
		return 0, fmt.Errorf("read body: %w", perr)
	}
	if err := checkContent(e, resp.Header.Get("Content-Type"), head); err != nil {
		return 0, err
	}
	f, err := safefile.Create(path, safefile.Options{})
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}
	n, err := io.Copy(f, body)
	// Whatever arrived is kept: an interrupted trace is still evidence.
	if cerr := f.Commit(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("read body after %d bytes: %w", n, err)
	}
	if n > c.opts.MaxBytes {
		return n, fmt.Errorf("%w (%d bytes)", errTooLarge, c.opts.MaxBytes)
	}
	return n, nil
}

// sniffBytes is how much of a response is looked at before it is saved.
const sniffBytes = 512

// checkContent checks the first bytes of a response against what the
// endpoint serves: a text dump starting "goroutine ", a gzipped (or plain)
// protobuf profile, an execution trace starting "go 1.". An HTML page (a
// login form or a proxy's error answering 200) or anything else is a
// failure to record, not a file to save.
func checkContent(e endpoint, contentType string, head []byte) error {
	if len(head) == 0 {
		return errors.New("empty response")
	}
	text := bytes.TrimLeft(head, " \t\r\n")
	if strings.HasPrefix(strings.ToLower(contentType), "text/html") || bytes.HasPrefix(text, []byte("<")) {
		return fmt.Errorf("the server answered with an HTML page (a login or proxy page?), not a %s; not saved", e.kind)
	}
	ok := false
	switch e.kind {
	case goroutineText.kind:
		ok = hasPrefixSoFar(head, "goroutine ")
	case "trace":
		ok = hasPrefixSoFar(head, "go 1.")
	default: // gzipped protobuf, as net/http/pprof serves it, or plain
		ok = hasPrefixSoFar(head, "\x1f\x8b") || isProfileTag(head[0])
	}
	if !ok {
		return fmt.Errorf("the response is not a %s (it starts %q); not saved", e.kind, parser.CleanText(string(head[:min(len(head), 24)])))
	}
	return nil
}

// hasPrefixSoFar reports whether head starts with prefix, or is a start of
// it (a response shorter than the prefix is judged on what there is).
func hasPrefixSoFar(head []byte, prefix string) bool {
	n := min(len(head), len(prefix))
	return string(head[:n]) == prefix[:n]
}

// isProfileTag reports whether b can open a pprof Profile message: a
// field 1-15 with a varint or length-delimited wire type.
func isProfileTag(b byte) bool {
	field, wire := b>>3, b&7
	return field >= 1 && field <= 15 && (wire == 0 || wire == 2)
}

// emptyProfile reports whether a pprof profile file has no samples: what a
// mutex or block profile looks like when its sampling rate was never set.
func emptyProfile(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return true, nil
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return false, err
	}
	return len(p.Sample) == 0, nil
}

// sortFiles orders manifest entries by capture time, then name, so a
// manifest reads as the capture happened.
func sortFiles(fs []parser.ManifestFile) {
	slices.SortStableFunc(fs, func(a, b parser.ManifestFile) int {
		if c := a.CapturedAt.Compare(b.CapturedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}
