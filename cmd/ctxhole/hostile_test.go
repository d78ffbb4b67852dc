package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// TestExportPprofNeverClobbers: --export-pprof never replaces the input it
// is analysing (even with --force, even through a symlink), never replaces
// an existing file without --force, and a failed export removes nothing
// that was there before.
func TestExportPprofNeverClobbers(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/captures/mutex-convoy/goroutine-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "dump.txt")
	existing := filepath.Join(dir, "existing.pb.gz")
	link := filepath.Join(dir, "link.pb.gz")
	for p, data := range map[string][]byte{in: src, existing: []byte("keep me")} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"the input", []string{in, "--export-pprof", in, "--force"}, "is one of the inputs"},
		{"a symlink to the input", []string{in, "--export-pprof", link, "--force"}, "is one of the inputs"},
		{"an existing file", []string{in, "--export-pprof", existing}, "already exists"},
		{"a failed forced export", []string{in, "--export-pprof", existing, "--force", "--export-finding", "99"}, "no finding #99"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"analyze", "-o", "json"}, tt.args...), strings.NewReader(""), &stdout, &stderr)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
			if got, _ := os.ReadFile(in); !bytes.Equal(got, src) {
				t.Errorf("the input was changed")
			}
			if got, _ := os.ReadFile(existing); string(got) != "keep me" {
				t.Errorf("the existing file now holds %d bytes", len(got))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 3 {
				t.Errorf("%d entries in the directory, want the 3 it had", len(entries))
			}
		})
	}
}

// fullDisk fails every write as a full disk does.
type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestDiffToAFullDisk: a diff that cannot be written is an error and a
// non-zero exit, in both formats, to a writer that fails and (where the
// system has one) to /dev/full.
func TestDiffToAFullDisk(t *testing.T) {
	const bundle = "../../fixtures/captures/db-driver-no-ctx"
	outs := map[string]func() io.Writer{"failing writer": func() io.Writer { return fullDisk{} }}
	if f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0); err == nil {
		defer f.Close()
		outs["/dev/full"] = func() io.Writer { return f }
	}
	for name, out := range outs {
		for _, format := range []string{"table", "json"} {
			var stderr bytes.Buffer
			code := run([]string{"diff", "-o", format, bundle}, strings.NewReader(""), out(), &stderr)
			if code == exitOK || !strings.Contains(stderr.String(), "no space left") {
				t.Errorf("%s, %s: exit %d, stderr %q; want non-zero and the error", name, format, code, stderr.String())
			}
		}
	}
}

// hostileDump is a debug=2 dump whose wait reason, function name and file
// name carry HTML, Markdown links, table pipes, backticks, an autolink and
// a right-to-left override: everything a capture could use to inject into
// a report.
func hostileDump() string {
	const (
		state = `<img src=x onerror=alert(1)> | [x](javascript:alert(1)) https://evil.example/ &lt;b&gt;`
		fn    = "main.handler\u202eexe.txt"
		file  = "/src/a|b`c<img src=x onerror=alert(2)>[y](javascript:z)\u202e.go"
	)
	var b strings.Builder
	b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n")
	for id := 2; id < 12; id++ {
		fmt.Fprintf(&b, "\ngoroutine %d [%s, 12 minutes]:\n", id, state)
		b.WriteString("sync.runtime_SemacquireMutex(0x1, 0x0, 0x1)\n\t/usr/local/go/src/runtime/sema.go:77 +0x25\n")
		b.WriteString("sync.(*Mutex).lockSlow(0xc000010000)\n\t/usr/local/go/src/sync/mutex.go:171 +0x165\n")
		b.WriteString("sync.(*Mutex).Lock(...)\n\t/usr/local/go/src/sync/mutex.go:90\n")
		fmt.Fprintf(&b, "%s(0xc000010000)\n\t%s:12 +0x1d\n", fn, file)
		b.WriteString("created by main.main in goroutine 1\n\t/src/main.go:9 +0x2a\n")
	}
	return b.String()
}

// TestMarkdownEscapesCapturedStrings renders the Markdown report of a
// hostile capture (in a file whose own name is hostile) with a GitHub-
// flavoured renderer that lets raw HTML through, and checks what a reader
// of the rendered page would get: no element or link the capture wrote,
// every table row with its own number of cells, and no bidi control in the
// Markdown or in the table output.
func TestMarkdownEscapesCapturedStrings(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "dump|<img src=x onerror=alert(3)>`.txt")
	if err := os.WriteFile(in, []byte(hostileDump()), 0o644); err != nil {
		t.Fatal(err)
	}
	var md, stderr bytes.Buffer
	if code := run([]string{"analyze", "-v", "-o", "markdown", in}, strings.NewReader(""), &md, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(md.String(), "main.handler<U+202E>exe.txt") {
		t.Fatalf("the hostile function is not in the report (is the dump still parsed?):\n%s", md.String())
	}
	var html bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert(md.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, bad := range []string{"<img", "<a ", "javascript:", "\u202e", "<b>"} {
		if i := strings.Index(out, bad); i >= 0 && (bad != "javascript:" || strings.Contains(out[max(0, i-10):i], "href")) {
			t.Errorf("rendered Markdown holds %q: ...%q...", bad, out[max(0, i-80):min(len(out), i+80)])
		}
	}
	if strings.Contains(md.String(), "\u202e") {
		t.Errorf("the Markdown holds U+202E")
	}
	// Every row of every table has as many cells as its header.
	for _, table := range strings.Split(out, "<table>")[1:] {
		table, _, _ = strings.Cut(table, "</table>")
		rows := strings.Split(table, "<tr>")[1:]
		want := strings.Count(rows[0], "<th")
		for _, r := range rows[1:] {
			if got := strings.Count(r, "<td"); got != want {
				t.Errorf("a row has %d cells, the header %d: %s", got, want, r)
			}
		}
	}

	var table bytes.Buffer
	if code := run([]string{"analyze", "-v", in}, strings.NewReader(""), &table, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.Contains(table.String(), "\u202e") || !strings.Contains(table.String(), "<U+202E>") {
		t.Errorf("the table does not show the override as a code point")
	}
}

// TestDiffMarkdownEscapesCapturedStrings diffs two moments of a hostile
// capture (the second with a new group whose function and file are
// hostile too) and renders the Markdown with a renderer that lets raw HTML
// through: no element or link the capture wrote, no bidi control, and every
// table row with its header's number of cells.
func TestDiffMarkdownEscapesCapturedStrings(t *testing.T) {
	dir := t.TempDir()
	before := filepath.Join(dir, "before|<img src=x onerror=alert(3)>`.txt")
	after := filepath.Join(dir, "after.txt")
	extra := "\ngoroutine 99 [chan receive | <b>x</b>, 3 minutes]:\nmain.(*s).</script><img src=x onerror=alert(4)>|x()\n\t/src/`a`|b.go:40 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:11 +0x2a\n"
	for name, text := range map[string]string{before: hostileDump(), after: hostileDump() + extra} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var md, stderr bytes.Buffer
	if code := run([]string{"diff", "-o", "markdown", before, after}, strings.NewReader(""), &md, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(md.String(), "appeared") {
		t.Fatalf("the new hostile group is not in the diff:\n%s", md.String())
	}
	var html bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert(md.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, bad := range []string{"<img", "<a ", "<b>", "</script>", "\u202e"} {
		if i := strings.Index(out, bad); i >= 0 {
			t.Errorf("rendered Markdown holds %q: ...%q...", bad, out[max(0, i-80):min(len(out), i+80)])
		}
	}
	for _, table := range strings.Split(out, "<table>")[1:] {
		table, _, _ = strings.Cut(table, "</table>")
		rows := strings.Split(table, "<tr>")[1:]
		want := strings.Count(rows[0], "<th")
		for _, r := range rows[1:] {
			if got := strings.Count(r, "<td"); got != want {
				t.Errorf("a row has %d cells, the header %d: %s", got, want, r)
			}
		}
	}
}

// captureArgsEnv makes the test binary, re-executed, run `ctxhole capture`
// with these arguments (separated by newlines) and exit with its code.
const captureArgsEnv = "CTXHOLE_TEST_CAPTURE_ARGS"

// TestHelperCapture is not a test: re-executed with captureArgsEnv set, it
// is the ctxhole command, so a test can interrupt it with a real SIGINT.
func TestHelperCapture(t *testing.T) {
	args := os.Getenv(captureArgsEnv)
	if args == "" {
		t.Skip("helper process for TestCaptureInterrupted")
	}
	os.Exit(run(append([]string{"capture"}, strings.Split(args, "\n")...), strings.NewReader(""), os.Stdout, os.Stderr))
}

// TestCaptureInterrupted sends SIGINT to a capture while the trace
// streams: the command keeps the bytes received, records what it did not
// take, skips the analysis and exits 130.
func TestCaptureInterrupted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	streaming := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/trace", func(w http.ResponseWriter, r *http.Request) {
		w.Write(append([]byte("go 1.26 trace\x00\x00\x00"), bytes.Repeat([]byte{0x42}, 8000)...))
		w.(http.Flusher).Flush()
		streaming <- struct{}{}
		<-r.Context().Done()
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	dir := filepath.Join(t.TempDir(), "bundle")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCapture$", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), captureArgsEnv+"="+strings.Join([]string{srv.URL, "--dir", dir, "--trace", "1m", "--snapshots", "3", "--every", "1h"}, "\n"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-streaming:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the trace never started; stderr:\n%s", stderr.String())
	}
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "not analyzed") {
		t.Errorf("stdout %q; stderr:\n%s", stdout.String(), stderr.String())
	}
	if st, err := os.Stat(filepath.Join(dir, "trace.out")); err != nil || st.Size() != 8016 {
		t.Errorf("trace.out: %v", err)
	}
	man, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil || !bytes.Contains(man, []byte("not taken: interrupted")) {
		t.Errorf("manifest: %v\n%s", err, man)
	}
}

// TestCaptureRefusedOneLine: a port nothing listens on fails at once with
// one line on stderr.
func TestCaptureRefusedOneLine(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := run([]string{"capture", url, "--dir", filepath.Join(t.TempDir(), "b")}, strings.NewReader(""), &stdout, &stderr)
	if code != exitUsage || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "connection refused") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// budgetCaseEnv makes the test binary, re-executed, analyze one hostile
// input (TestHostileInputsBounded) and exit with the command's code.
const budgetCaseEnv = "CTXHOLE_TEST_BUDGET_CASE"

// junk is an endless stream of log lines with no goroutine dump in them.
type junk struct{ off int }

func (j *junk) Read(p []byte) (int, error) {
	const line = "level=info msg=\"nothing to see here\"\n"
	for i := range p {
		p[i] = line[j.off]
		j.off = (j.off + 1) % len(line)
	}
	return len(p), nil
}

// TestHelperBudget is not a test: re-executed with budgetCaseEnv set to
// "ARG\nARG...", it runs `ctxhole analyze -o json ARGS` (an endless junk
// stream as standard input) and exits with its code.
func TestHelperBudget(t *testing.T) {
	args := os.Getenv(budgetCaseEnv)
	if args == "" {
		t.Skip("helper process for TestHostileInputsBounded")
	}
	os.Exit(run(append([]string{"analyze", "-o", "json"}, strings.Split(args, "\n")...), &junk{}, os.Stdout, os.Stderr))
}

// gzipMembers is a gzip file of n members, each compressing block: n ×
// len(block) bytes decompressed from a small file.
func gzipMembers(t *testing.T, block []byte, n int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw := gzip.NewWriter(&member)
	zw.Write(block)
	zw.Close()
	return bytes.Repeat(member.Bytes(), n)
}

// pprof wire format, by hand: the pprof library would need gigabytes to
// build these profiles.
func pbKey(b []byte, field, wire int) []byte { return binary.AppendUvarint(b, uint64(field<<3|wire)) }
func pbBytes(b []byte, field int, payload []byte) []byte {
	return append(binary.AppendUvarint(pbKey(b, field, 2), uint64(len(payload))), payload...)
}
func pbInt(b []byte, field int, v uint64) []byte { return binary.AppendUvarint(pbKey(b, field, 0), v) }

// pbProfile is a goroutine profile of one function at one location, with
// the samples given (encoded).
func pbProfile(samples func(emit func(sample []byte))) []byte {
	p := pbBytes(nil, 1, pbInt(pbInt(nil, 1, 1), 2, 2))
	samples(func(s []byte) { p = pbBytes(p, 2, s) })
	p = pbBytes(p, 4, pbBytes(pbInt(nil, 1, 1), 4, pbInt(pbInt(nil, 1, 1), 2, 10)))
	p = pbBytes(p, 5, pbInt(pbInt(pbInt(nil, 1, 1), 2, 4), 4, 5))
	for _, s := range []string{"", "goroutine", "count", "k", "main.f", "/a.go"} {
		p = pbBytes(p, 6, []byte(s))
	}
	return p
}

func pbSample(locs []byte, label uint64) []byte {
	s := pbBytes(pbBytes(nil, 1, locs), 2, []byte{1})
	return pbBytes(s, 3, pbInt(pbInt(nil, 1, 3), 3, label))
}

// TestHostileInputsBounded analyzes each hostile input of issue 13 in a
// child process and checks what it cost: under 20 s and 1 GB of peak RSS
// each, with a clear error or a partial result and a warning. The inputs
// are generated here, small on disk.
func TestHostileInputsBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS from rusage is read on Linux")
	}
	if raceEnabled || testing.Short() {
		t.Skip("resource bounds are measured without the race detector, in full runs")
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	many := filepath.Join(dir, "many")
	if err := os.Mkdir(many, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 10000 {
		write(fmt.Sprintf("many/d%05d.txt", i), fmt.Appendf(nil, "goroutine %d [chan receive, 5 minutes]:\nmain.w()\n\t/a.go:1 +0x1\n", i+1))
	}
	header := []byte("goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\n")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"1 GiB gzip of zeros", []string{write("zeros.pb.gz", gzipMembers(t, make([]byte, 1<<20), 1024))}, exitUsage, "binary data starting 00 00"},
		{"a million goroutine 1 headers", []string{write("headers.txt.gz", gzipMembers(t, bytes.Repeat(header, 10000), 100))}, exitOK, "more than 2000 goroutine dumps"},
		{"a 10M-frame stack", []string{write("deep.pb.gz", gzipMembers(t, pbProfile(func(emit func([]byte)) {
			emit(pbSample(bytes.Repeat([]byte{1}, 10_000_000), 1))
		}), 1))}, exitOK, "more than 1024 frames"},
		{"a million distinct labelled samples", []string{write("labels.pb.gz", gzipMembers(t, pbProfile(func(emit func([]byte)) {
			for i := range 1_000_000 {
				emit(pbSample([]byte{1}, uint64(i)))
			}
		}), 1))}, exitOK, "737856 samples not read"},
		{"10,000 one-goroutine files", []string{many}, exitOK, ""},
		{"endless standard input", []string{"-"}, exitUsage, "no goroutine header in the first"},
		{"a 3 MB signatures file", []string{"--signatures", write("sigs.json", bytes.Repeat([]byte(" "), 3<<20)), many}, exitUsage, "larger than"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBudget$", "-test.timeout=2m")
			cmd.Env = append(os.Environ(), budgetCaseEnv+"="+strings.Join(tt.args, "\n"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			rss := ru.Maxrss << 10 // KiB on Linux
			// CPU time, not wall time: the machine may be shared.
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			t.Logf("%v wall, %v CPU, peak RSS %d MB, exit %d", elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), rss>>20, code)
			// Warnings are in the JSON on stdout, errors on stderr.
			if out := stdout.String() + stderr.String(); code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d and %q in the output:\n%s", code, tt.code, tt.want, stderr.String())
			}
			if cpu > 20*time.Second || rss > 1<<30 {
				t.Errorf("took %v CPU and %d MB; the budget is 20 s and 1 GB", cpu, rss>>20)
			}
		})
	}
}
