package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestWatchEndToEnd watches a real stuck service (TestHelperStuckService)
// in a child process: its ~40 convoyed handlers exceed the threshold, watch
// captures one bundle, analyzes it and exits 0 (--count 1).
func TestWatchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child service")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStuckService$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), stuckServiceEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := readPprofAddr(t, out)

	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"watch", "http://" + addr, "--dir", dir, "--threshold", "30", "--interval", "100ms",
		"--count", "1", "--trace", "1s", "--snapshots", "2", "--every", "300ms", "-o", "json"},
		strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("watch exit %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "> threshold 30") {
		t.Errorf("stderr does not say why it captured:\n%s", stderr.String())
	}
	bundles, _ := filepath.Glob(filepath.Join(dir, "ctxhole-watch-*", "manifest.json"))
	if len(bundles) != 1 {
		t.Errorf("bundles under %s: %v, want 1", dir, bundles)
	}
	var doc struct {
		Findings []struct {
			Category string `json:"category"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("analysis output is not JSON: %v\n%s", err, stdout.String())
	}
	if len(doc.Findings) == 0 || doc.Findings[0].Category != "mutex-convoy" {
		t.Errorf("findings %+v, want mutex-convoy first", doc.Findings)
	}
}

// watchArgsEnv makes the test binary, re-executed, run `ctxhole watch`
// with these arguments (separated by newlines) and exit with its code.
const watchArgsEnv = "CTXHOLE_TEST_WATCH_ARGS"

// TestHelperWatch is not a test: re-executed with watchArgsEnv set, it is
// the ctxhole command, so a test can interrupt it with a real SIGINT.
func TestHelperWatch(t *testing.T) {
	args := os.Getenv(watchArgsEnv)
	if args == "" {
		t.Skip("helper process for TestWatchInterrupted")
	}
	os.Exit(run(append([]string{"watch"}, strings.Split(args, "\n")...), strings.NewReader(""), os.Stdout, os.Stderr))
}

// TestWatchInterrupted: SIGINT while watching a calm service stops the
// command at once with exit 130 and no bundle.
func TestWatchInterrupted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	polled := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		select {
		case polled <- struct{}{}:
		default:
		}
		pprof.Index(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := filepath.Join(t.TempDir(), "watch")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWatch$", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), watchArgsEnv+"="+strings.Join([]string{srv.URL, "--dir", dir, "--threshold", "1000000", "--interval", "50ms"}, "\n"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-polled:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("watch never polled; stderr:\n%s", stderr.String())
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped; 0 bundle(s) taken") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a calm service left %d entries under %s", len(entries), dir)
	}
}

func TestWatchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"watch"},
		{"watch", "http://127.0.0.1:1", "http://127.0.0.1:2", "--threshold", "1", "--health", "http://127.0.0.1:3/healthz"},
		{"watch", "http://127.0.0.1:1", "--threshold", "1", "--interval", "0s"},
		{"watch", "http://127.0.0.1:1", "--dir", t.TempDir()}, // no trigger
		{"watch", "http://127.0.0.1:1", "--threshold", "1", "-o", "yaml"},
		{"watch", "http://127.0.0.1:1", "--group-growth", "-1"},
		{"watch", "http://127.0.0.1:1", "--group-growth", "20", "--poll-max-bytes", "0"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit %d, want %d; stderr:\n%s", args, code, exitUsage, stderr.String())
		}
	}
}
