package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

var updateScreenshot = flag.Bool("screenshot", false, "write docs/html-report.png from the headless-browser test")

// chromium finds a Chromium or Chrome binary; CI installs Debian's
// chromium (.ci/run), so the browser tests skip only on machines without
// one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CTXHOLE_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium binary on PATH, and CTXHOLE_REQUIRE_BROWSER is set (.ci/run installs Debian's chromium)")
	}
	t.Skip("no Chromium binary on PATH (CI installs Debian's chromium)")
	return ""
}

// browser is a headless Chromium tab with a page loaded.
type browser struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	// problems are what a page must not do: throw, log an error or a
	// warning, load anything but itself, open a dialog.
	problems []string
}

// openInBrowser starts headless Chromium, opens the page file and waits
// until sel is visible. The browser is stopped when the test ends.
func openInBrowser(t *testing.T, file, sel string) *browser {
	t.Helper()
	bin := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx}
	// Listen starts the browser; a failure to start it is the test's.
	listenErr := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.problems = append(b.problems, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				b.problems = append(b.problems, "console "+string(ev.Type))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				b.problems = append(b.problems, "log: "+ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				b.problems = append(b.problems, "network request: "+u)
			}
		case *page.EventJavascriptDialogOpening:
			b.problems = append(b.problems, "dialog: "+ev.Message)
			// Dismiss it, or the page stays blocked until the timeout.
			go func() { _, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{}) }()
		}
	})
	if listenErr != nil {
		t.Fatalf("starting %s: %v", bin, listenErr)
	}
	// chromedp enables the runtime, log, network and page domains on the
	// tab.
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(sel)); err != nil {
		t.Fatalf("browser: %v", err)
	}
	return b
}

// text returns the visible text of the first element sel selects.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// count evaluates a JavaScript expression whose value is a number.
func (b *browser) count(expr string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return n
}

// search types query into the page's search box as a user's input event
// delivers it.
func (b *browser) search(query string) {
	b.t.Helper()
	q, _ := json.Marshal(query)
	b.count(`(() => { const s = document.getElementById("search"); s.focus(); s.value = ` + string(q) + `; s.dispatchEvent(new Event("input", {bubbles: true})); return 1 })()`)
}

// checkProblems fails the test for every problem the page had.
func (b *browser) checkProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.problems) > 0 {
		b.t.Errorf("page problems: %q", b.problems)
	}
}

// screenshot captures the viewport, scrolled to the top, and fails the
// test when it is blank (fewer than 20 colours).
func (b *browser) screenshot() []byte {
	b.t.Helper()
	b.count(`(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return 1 })()`)
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	colors := map[uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 4 {
		for x := r.Min.X; x < r.Max.X; x += 4 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colors[cr>>8<<16|cg>>8<<8|cb>>8] = true
		}
	}
	if len(colors) < 20 {
		b.t.Errorf("screenshot has %d distinct colours: blank page", len(colors))
	}
	return shot
}

// writePage writes a page into the test's temporary directory.
func writePage(t *testing.T, name string, page []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestHTMLInBrowser opens the HTML report of a real incident in headless
// Chromium: the page loads from a file without a console error or any
// network request, shows the verdict and the principal finding with its
// chain drawn, the search box filters the goroutine groups, and a
// screenshot is not blank.
func TestHTMLInBrowser(t *testing.T) {
	chromium(t)
	const dir = "../fixtures/captures/db-driver-no-ctx"
	c, err := parser.Load([]string{dir}, parser.Options{})
	if err != nil {
		t.Skipf("fixture: %v", err)
	}
	r, err := detectors.Analyze(c, detectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := Build(c, r, testTool)
	if len(d.Findings) == 0 {
		t.Fatal("no finding on the flagship fixture")
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, d, Options{}); err != nil {
		t.Fatal(err)
	}
	b := openInBrowser(t, writePage(t, "report.html", page.Bytes()), "#verdict")

	principalSel := "#" + d.Findings[0].ID
	verdict, principal, shownAll := b.text("#verdict"), b.text(principalSel+" h3"), b.text("#shown")
	total := b.count(`document.querySelectorAll("#groups .group").length`)
	chainBoxes := b.count(`document.querySelectorAll(` + "`" + principalSel + ` svg.chain rect` + "`" + `).length`)
	b.search("pq.(*conn)")
	visible := b.count(`document.querySelectorAll("#groups .group:not(.hidden)").length`)
	shownFiltered := b.text("#shown")
	b.search("")
	shot := b.screenshot()

	if !strings.Contains(verdict, "principal: "+d.Findings[0].Category) {
		t.Errorf("verdict %q does not name the principal %s", verdict, d.Findings[0].Category)
	}
	if !strings.Contains(principal, d.Findings[0].Title) {
		t.Errorf("principal finding heading %q lacks its title %q", principal, d.Findings[0].Title)
	}
	if chainBoxes != len(d.Findings[0].Chain) {
		t.Errorf("chain graph draws %d boxes for %d links", chainBoxes, len(d.Findings[0].Chain))
	}
	if total != len(d.Groups) || visible == 0 || visible >= total {
		t.Errorf("search: %d of %d groups visible after filtering (want some, not all); %q -> %q", visible, total, shownAll, shownFiltered)
	}
	b.checkProblems()
	if *updateScreenshot {
		if err := os.WriteFile("../docs/html-report.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
