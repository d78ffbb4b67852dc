package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof" // the stuck service under test exposes the real endpoints
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// stuckServiceEnv makes the test binary, re-executed, run a stuck service
// instead of tests.
const stuckServiceEnv = "CTXHOLE_TEST_STUCK_SERVICE"

// TestHelperStuckService is not a test: re-executed with stuckServiceEnv
// set, it is a small real service with a timeout hole. Its handler takes a
// cache lock and, holding it, reads from a dependency that never answers
// (no read deadline); every later request convoys on the lock. It prints
// its pprof address and serves until killed.
func TestHelperStuckService(t *testing.T) {
	if os.Getenv(stuckServiceEnv) == "" {
		t.Skip("helper process for TestCaptureEndToEnd")
	}
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)

	dep, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { // the dependency: accepts, reads, and never answers
		for {
			c, err := dep.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()

	var mu sync.Mutex
	app := http.NewServeMux()
	app.HandleFunc("/lookup", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		c, err := net.Dial("tcp", dep.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer c.Close()
		fmt.Fprintf(c, "GET %s\n", r.URL.Query().Get("k"))
		buf := make([]byte, 64)
		n, _ := c.Read(buf) // no deadline: the hole
		w.Write(buf[:n])
	})
	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(appLn, app)

	pprofLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(pprofLn, http.DefaultServeMux)

	// The service's callers.
	for i := 0; i < 40; i++ {
		go http.Get(fmt.Sprintf("http://%s/lookup?k=%d", appLn.Addr(), i))
	}
	// Say where to look only once the convoy has formed: each caller adds
	// its connection's read and write loops, the server a conn.serve and
	// its background read per request (about 200 goroutines in all). On
	// a loaded machine a capture taken earlier sees the callers without
	// the handlers queued behind them, and ranks another finding first.
	for deadline := time.Now().Add(20 * time.Second); runtime.NumGoroutine() < 160 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("pprof=%s\n", pprofLn.Addr())
	select {}
}

// TestCaptureEndToEnd starts a real stuck service in a child process,
// captures it with the real command over loopback, and checks the bundle
// and the diagnosis.
func TestCaptureEndToEnd(t *testing.T) {
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
	time.Sleep(500 * time.Millisecond) // let the callers pile up

	dir := filepath.Join(t.TempDir(), "bundle")
	var stdout, stderr bytes.Buffer
	code := run([]string{"capture", "http://" + addr, "--dir", dir, "--trace", "1s", "--snapshots", "2", "--every", "300ms", "-o", "json"},
		strings.NewReader(""), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("capture exit %d; stderr:\n%s", code, stderr.String())
	}
	for _, name := range []string{"manifest.json", "goroutine-debug2.1.txt", "goroutine-debug2.2.txt", "goroutine.1.pb.gz", "mutex.pb.gz", "block.pb.gz", "trace.out"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("bundle file %s: %v", name, err)
		}
	}
	if !strings.Contains(stderr.String(), "tracing") {
		t.Errorf("no progress on stderr during the trace:\n%s", stderr.String())
	}

	var doc struct {
		Findings []struct {
			Category   string `json:"category"`
			Goroutines int    `json:"goroutines"`
			Root       struct {
				Stack []struct {
					Function string `json:"function"`
				} `json:"stack"`
			} `json:"root"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("analysis output is not JSON: %v\n%s", err, stdout.String())
	}
	if len(doc.Findings) == 0 {
		t.Fatalf("no findings on a stuck service:\n%s", stdout.String())
	}
	first := doc.Findings[0]
	if first.Category != "mutex-convoy" {
		t.Errorf("first finding = %s, want mutex-convoy\n%s", first.Category, stdout.String())
	}
	if first.Goroutines < 30 {
		t.Errorf("first finding covers %d goroutines, want the ~40 convoyed handlers", first.Goroutines)
	}
}

func readPprofAddr(t *testing.T, r io.Reader) string {
	t.Helper()
	lines := make(chan string, 1)
	go func() {
		buf := make([]byte, 256)
		var acc []byte
		for {
			n, err := r.Read(buf)
			acc = append(acc, buf[:n]...)
			if i := bytes.Index(acc, []byte("pprof=")); i >= 0 {
				if j := bytes.IndexByte(acc[i:], '\n'); j >= 0 {
					lines <- string(acc[i+len("pprof=") : i+j])
					io.Copy(io.Discard, r)
					return
				}
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	select {
	case a, ok := <-lines:
		if !ok {
			t.Fatal("stuck service exited before printing its address")
		}
		return a
	case <-time.After(30 * time.Second):
		t.Fatal("stuck service did not start")
	}
	return ""
}
