package tui

import (
	"context"
	"flag"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var screenshot = flag.Bool("screenshot", false, "write docs/tui.png: the findings screen, rendered by headless Chromium")

// TestScreenshot renders the findings screen of the flagship incident
// (the frame TestGoldenFrames checks) as a terminal would show it and
// saves a PNG for the README. It runs only with -screenshot and a
// Chromium binary: it is the README's tooling, not a check.
func TestScreenshot(t *testing.T) {
	if !*screenshot {
		t.Skip("run with -screenshot to write docs/tui.png")
	}
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("no Chromium binary on PATH")
	}
	c := loadFixture(t, "db-driver-no-ctx", "goroutine-debug2.txt")
	m := newTestModel(t, c, pqFinding(t, c), 100, 30)
	press(m, "enter")
	frame := screen(m)
	page := `<!DOCTYPE html><html><body style="margin:0;background:#1e1e1e">` +
		`<pre style="margin:0;padding:12px;color:#e0e0e0;font:14px/1.25 'DejaVu Sans Mono',monospace">` +
		html.EscapeString(frame) + `</pre></body></html>`
	file := filepath.Join(t.TempDir(), "tui.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(880, 560))
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", "tui.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
