package capture

import (
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
	"time"

	"github.com/google/pprof/profile"

	"github.com/ctxhole/ctxhole/parser"
)

// capturer holds one capture's state. The trace fetch runs concurrently
// with the dumps, so the manifest is guarded.
type capturer struct {
	opts Options
	base *url.URL

	mu       sync.Mutex
	man      *parser.Manifest
	ok       int
	firstErr string
}

// errTooLarge reports a response over Options.MaxBytes.
var errTooLarge = errors.New("response larger than the size cap")

// fetch gets one endpoint into the bundle and records it in the manifest.
// extra lengthens the request's deadline (the trace endpoint holds the
// response for its duration).
func (c *capturer) fetch(ctx context.Context, e endpoint, extra time.Duration) {
	u := *c.base
	u.Path += e.path
	u.RawQuery = e.query
	entry := parser.ManifestFile{Name: e.name, Kind: e.kind, URLPath: u.RequestURI()}
	n, err := c.get(ctx, u.String(), filepath.Join(c.opts.Dir, e.name), c.opts.RequestTimeout+extra)
	entry.CapturedAt = c.opts.Now().UTC()
	entry.Bytes = n
	if err != nil {
		entry.Error = err.Error()
		os.Remove(filepath.Join(c.opts.Dir, e.name))
		fmt.Fprintf(c.opts.Progress, "ctxhole capture: %s: %v\n", e.name, err)
	} else if e.emptyNote != "" {
		if empty, perr := emptyProfile(filepath.Join(c.opts.Dir, e.name)); perr == nil && empty {
			entry.Empty, entry.Note = true, e.emptyNote
		}
	}
	c.record(entry)
}

func (c *capturer) record(entry parser.ManifestFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.man.Files = append(c.man.Files, entry)
	if entry.Error == "" {
		c.ok++
	} else if c.firstErr == "" {
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
// written.
func (c *capturer) get(ctx context.Context, rawURL, path string, timeout time.Duration) (int64, error) {
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
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("HTTP %s: %s", resp.Status, parser.CleanText(strings.TrimSpace(string(msg))))
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	if cerr := f.Close(); err == nil {
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
