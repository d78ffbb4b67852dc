package report

import (
	"bytes"
	"context"
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

// TestHTMLInBrowser opens the HTML report of a real incident in headless
// Chromium: the page loads from a file without a console error or any
// network request, shows the verdict and the principal finding with its
// chain drawn, the search box filters the goroutine groups, and a
// screenshot is not blank.
func TestHTMLInBrowser(t *testing.T) {
	bin := chromium(t)
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
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

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
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	// Listen starts the browser; a failure to start it is the test's.
	listenErr := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, "console "+string(ev.Type))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log: "+ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				problems = append(problems, "network request: "+u)
			}
		}
	})
	if listenErr != nil {
		t.Fatalf("starting %s: %v", bin, listenErr)
	}

	principalSel := "#" + d.Findings[0].ID
	// chromedp enables the runtime, log and network domains on the tab.
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible("#verdict")); err != nil {
		t.Fatalf("browser: %v", err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	count := func(expr string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return n
	}
	verdict, principal, shownAll := text("#verdict"), text(principalSel+" h3"), text("#shown")
	total := count(`document.querySelectorAll("#groups .group").length`)
	chainBoxes := count(`document.querySelectorAll(` + "`" + principalSel + ` svg.chain rect` + "`" + `).length`)
	// Type the query as a user's input event delivers it.
	count(`(() => { const s = document.getElementById("search"); s.focus(); s.value = "pq.(*conn)"; s.dispatchEvent(new Event("input", {bubbles: true})); return 1 })()`)
	visible := count(`document.querySelectorAll("#groups .group:not(.hidden)").length`)
	shownFiltered := text("#shown")
	count(`(() => { const s = document.getElementById("search"); s.value = ""; s.dispatchEvent(new Event("input", {bubbles: true})); s.blur(); window.scrollTo(0, 0); return 1 })()`)
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}

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
	mu.Lock()
	if len(problems) > 0 {
		t.Errorf("page problems: %q", problems)
	}
	mu.Unlock()

	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colors := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	if len(colors) < 20 {
		t.Errorf("screenshot has %d distinct colours: blank page", len(colors))
	}
	if *updateScreenshot {
		if err := os.WriteFile("../docs/html-report.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
