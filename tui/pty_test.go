package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
)

// terminal is the ctxhole binary running on a pseudo-terminal, with
// everything it printed kept for searching.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func startTerminal(t *testing.T, dir, bin string, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "NO_COLOR=") && !strings.HasPrefix(e, "TERM=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "TERM=xterm-256color", "EDITOR=true")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("start %s on a pty: %v", bin, err)
	}
	term := &terminal{t: t, cmd: cmd, pty: f, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := f.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		f.Close()
	})
	return term
}

// text is everything printed so far with escape sequences removed.
func (term *terminal) text() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return ansi.Strip(term.out.String())
}

func (term *terminal) raw() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// waitFor waits until want has been printed since mark (an offset in
// text()), and returns the new mark.
func (term *terminal) waitFor(mark int, want string) int {
	term.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := term.text()
		if i := strings.Index(s[min(mark, len(s)):], want); i >= 0 {
			return mark + i + len(want)
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("%q did not appear; the terminal shows:\n%s", want, lastLines(s, 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// found reports whether want appears after mark within d.
func (term *terminal) found(mark int, want string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s := term.text()
		if strings.Contains(s[min(mark, len(s)):], want) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func (term *terminal) send(keys ...string) {
	term.t.Helper()
	for _, k := range keys {
		if _, err := term.pty.WriteString(k); err != nil {
			term.t.Fatalf("write %q: %v", k, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// prefix returns the first n runes of s.
func prefix(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// buildBinary builds ctxhole into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ctxhole")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ctxhole")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// firstFinding is what `ctxhole analyze -o json` says about an input: the
// first finding's title and fix, empty when there is none.
func firstFinding(t *testing.T, bin, input string) (title, fix string) {
	t.Helper()
	out, err := exec.Command(bin, "analyze", "-o", "json", input).Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("ctxhole analyze: %v", err)
	}
	var doc struct {
		Findings []struct {
			Title string
			Fix   struct{ Summary string }
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("ctxhole analyze -o json: %v\n%s", err, out)
	}
	if len(doc.Findings) == 0 {
		return "", ""
	}
	return doc.Findings[0].Title, doc.Findings[0].Fix.Summary
}

// TestBinaryInPty drives the real binary on a pseudo-terminal at 80×24 on
// a real incident dump: the root cause's fix on the opening screen (or a
// page down), the browser filtered, the timeline, the help, an export,
// and a clean quit that leaves the alternate screen.
func TestBinaryInPty(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	input := filepath.Join(repoRoot(t), "fixtures", "captures", "db-driver-no-ctx", "goroutine-debug2.txt")
	if _, err := os.Stat(input); err != nil {
		t.Skipf("fixture absent: %v", err)
	}
	bin := buildBinary(t)
	title, fix := firstFinding(t, bin, input)
	dir := t.TempDir()
	term := startTerminal(t, dir, bin, "tui", input)

	mark := 0
	if title == "" {
		mark = term.waitFor(mark, "No findings")
	} else {
		mark = term.waitFor(mark, prefix(clean(title), 40))
		first := wrap(clean(fix), 74)[0]
		if !term.found(mark, first, 2*time.Second) {
			// A long chain pushes the fix below the first screen: walk
			// into the chain and page down to it.
			term.send("\r")
			for i := 0; i < 4 && !term.found(mark, first, time.Second); i++ {
				term.send("\x1b[6~")
			}
		}
		mark = term.waitFor(mark, first)
	}

	// Grow the terminal: the redraw fits the new width (the header's
	// summary moves to the new right edge).
	if err := pty.Setsize(term.pty, &pty.Winsize{Rows: 30, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	mark = term.waitFor(mark, "Timeline"+strings.Repeat(" ", 40))
	if err := pty.Setsize(term.pty, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		t.Fatal(err)
	}

	term.send("2")
	mark = term.waitFor(mark, "filter: no filter")
	term.send("/", "p", "q", "\r")
	mark = term.waitFor(mark, `filter: text "pq"`)
	// The filter matches the whole stack (pq.(*conn).startup); the row
	// names the application frame that called into it.
	mark = term.waitFor(mark, "main.(*server).orderStatus")

	term.send("3")
	mark = term.waitFor(mark, "capture") // the dump timeline's axis

	term.send("?")
	mark = term.waitFor(mark, "toggle help")
	term.send("?", "1")

	if title != "" {
		term.send("y")
		mark = term.waitFor(mark, "ctxhole-finding-1-") // the status line keeps the end of the path
		matches, _ := filepath.Glob(filepath.Join(dir, "ctxhole-finding-1-*.json"))
		if len(matches) != 1 {
			t.Errorf("y wrote %v in %s", matches, dir)
		}
	}

	term.send("q")
	exited := make(chan error, 1)
	go func() { exited <- term.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("ctxhole tui exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ctxhole tui did not exit after q")
	}
	<-term.done
	raw := term.raw()
	if !strings.Contains(raw, "\x1b[?1049h") || !strings.Contains(raw, "\x1b[?1049l") {
		t.Error("the UI did not enter and leave the alternate screen")
	}
	if strings.LastIndex(raw, "\x1b[?1049l") < strings.LastIndex(raw, "\x1b[?1049h") {
		t.Error("the terminal was left in the alternate screen")
	}
	_ = mark
}
