package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/docs/schema"
	"github.com/ctxhole/ctxhole/parser"
)

// diagnosedDiff compares two snapshots as `ctxhole diff` does: the group
// diff, and each moment diagnosed so the findings match by id.
func diagnosedDiff(t *testing.T, from, to *parser.Snapshot) (*parser.SnapshotDiff, DiffOptions) {
	t.Helper()
	diagnose := func(s *parser.Snapshot) *Document {
		c := &parser.Capture{Snapshots: []*parser.Snapshot{s}}
		r, err := detectors.Analyze(c, detectors.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return Build(c, r, testTool)
	}
	return parser.Diff(from, to), DiffOptions{Before: diagnose(from), After: diagnose(to)}
}

// leakDiff is the diff of the goroutine-leak bundle's first and last
// moments.
func leakDiff(t *testing.T) (*parser.SnapshotDiff, DiffOptions) {
	t.Helper()
	c, err := parser.Load([]string{"../fixtures/captures/goroutine-leak"}, parser.Options{})
	if err != nil {
		t.Skipf("fixture: %v", err)
	}
	ms := c.MomentCaptures()
	if len(ms) < 2 {
		t.Fatalf("the leak bundle holds %d moments", len(ms))
	}
	from, to := parser.SameFormat(ms[0], ms[len(ms)-1])
	return diagnosedDiff(t, from, to)
}

// hostileDumps are two moments of a capture whose wait reasons, function
// names and file names carry markup, script, a Markdown link and a
// right-to-left override: a group that grew and one that appeared.
func hostileDumps() (before, after string) {
	const (
		state = `<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3)) &lt;b&gt;`
		fn    = "main.handler\u202eexe.txt"
		file  = `/src/a"b'c<svg onload=alert(4)>.go`
		newFn = `main.(*srv).</script><script>alert(5)</script>`
	)
	dump := func(n int, extra bool) string {
		var b strings.Builder
		b.WriteString("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n")
		for id := 2; id < 2+n; id++ {
			fmt.Fprintf(&b, "\ngoroutine %d [%s, 12 minutes]:\n", id, state)
			b.WriteString("sync.runtime_SemacquireMutex(0x1, 0x0, 0x1)\n\t/usr/local/go/src/runtime/sema.go:77 +0x25\n")
			b.WriteString("sync.(*Mutex).lockSlow(0xc000010000)\n\t/usr/local/go/src/sync/mutex.go:171 +0x165\n")
			b.WriteString("sync.(*Mutex).Lock(...)\n\t/usr/local/go/src/sync/mutex.go:90\n")
			fmt.Fprintf(&b, "%s(0xc000010000)\n\t%s:12 +0x1d\n", fn, file)
			b.WriteString("created by main.main in goroutine 1\n\t/src/main.go:9 +0x2a\n")
		}
		if extra {
			for id := 100; id < 104; id++ {
				fmt.Fprintf(&b, "\ngoroutine %d [chan receive, 7 minutes]:\n%s(0xc000020000)\n\t%s:40 +0x1d\n", id, newFn, file)
				b.WriteString("created by main.main in goroutine 1\n\t/src/main.go:11 +0x2a\n")
			}
		}
		return b.String()
	}
	return dump(3, false), dump(10, true)
}

// hostileDiff parses hostileDumps from files whose names are hostile too.
func hostileDiff(t *testing.T) (*parser.SnapshotDiff, DiffOptions) {
	t.Helper()
	dir := t.TempDir()
	before, after := hostileDumps()
	var snaps []*parser.Snapshot
	for i, text := range []string{before, after} {
		name := filepath.Join(dir, fmt.Sprintf("dump%d|<img src=x onerror=alert(6)>`.txt", i))
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := parser.Load([]string{name}, parser.Options{})
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, c.Snapshots[0])
	}
	return diagnosedDiff(t, snaps[0], snaps[1])
}

// TestDiffHTMLEscapesCapturedStrings: in the diff page of a hostile
// capture, no captured string is markup or script, in any element or
// attribute, and the page loads nothing from elsewhere.
func TestDiffHTMLEscapesCapturedStrings(t *testing.T) {
	d, opts := hostileDiff(t)
	var b bytes.Buffer
	if err := WriteDiffHTML(&b, d, opts); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") || !strings.Contains(page, "alert(5)") {
		t.Fatalf("the hostile strings are not on the page (is the dump still parsed?):\n%s", page)
	}
	for _, bad := range []string{"<img", "<svg", "<script>alert", "onerror=alert(1)>", "\u202e"} {
		if strings.Contains(page, bad) {
			t.Errorf("page carries captured markup %q", bad)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d script elements, want the page's own one", n)
	}
	for _, remote := range []string{"http://", "https://", `src="`, `href="`, "url("} {
		if i := strings.Index(page, remote); i >= 0 {
			t.Errorf("page refers to another resource: %.80s", page[i:])
		}
	}
}

// TestDiffHTMLInBrowser opens the diff page of the goroutine-leak
// bundle's first and last moments in headless Chromium: it loads without
// an error or a network request, its verdict and the leak's finding say
// it persists and grew, the change boxes and the search filter the
// groups, and a screenshot is not blank.
func TestDiffHTMLInBrowser(t *testing.T) {
	chromium(t)
	d, opts := leakDiff(t)
	doc := newDiffDocument(d, opts)
	if len(doc.Findings) == 0 || doc.Findings[0].Change != "persists" || doc.Findings[0].After <= doc.Findings[0].Before {
		t.Fatalf("findings %+v: want the leak persisting and growing", doc.Findings)
	}
	leak := doc.Findings[0]
	var page bytes.Buffer
	if err := WriteDiffHTML(&page, d, opts); err != nil {
		t.Fatal(err)
	}
	b := openInBrowser(t, writePage(t, "diff.html", page.Bytes()), "#verdict")

	verdict := b.text("#verdict")
	card := b.text("#" + leak.ID)
	total := b.count(`document.querySelectorAll("#groups .group").length`)
	grew := 0
	for _, g := range doc.Groups {
		if g.Change == "grew" {
			grew++
		}
	}
	// Only the groups that grew: untick every other change.
	b.count(`(() => { document.querySelectorAll("input.change-filter").forEach(c => { if (c.value !== "grew") { c.click(); } }); return 1 })()`)
	onlyGrew := b.count(`document.querySelectorAll("#groups .group:not(.hidden)").length`)
	grewShown := b.count(`[...document.querySelectorAll("#groups .group:not(.hidden)")].every(g => g.dataset.change === "grew") ? 1 : 0`)
	b.count(`(() => { document.querySelectorAll("input.change-filter").forEach(c => { if (!c.checked) { c.click(); } }); return 1 })()`)
	b.search("notifyonship")
	found := b.count(`document.querySelectorAll("#groups .group:not(.hidden)").length`)
	b.search("")
	shot := b.screenshot()

	for _, want := range []string{"ctxhole diff: ", fmt.Sprintf("%+d goroutines", doc.After-doc.Before), "findings: 1 persists", "grew"} {
		if !strings.Contains(verdict, want) {
			t.Errorf("verdict %q lacks %q", verdict, want)
		}
	}
	for _, want := range []string{"persists", leak.Category, leak.ID, fmt.Sprintf("%d → %d", leak.Before, leak.After), "Fix:"} {
		if !strings.Contains(card, want) {
			t.Errorf("the leak's card lacks %q: %q", want, card)
		}
	}
	if total != len(doc.Groups) || total == 0 {
		t.Errorf("page lists %d groups, the diff %d", total, len(doc.Groups))
	}
	if onlyGrew != grew || grewShown != 1 {
		t.Errorf("with only 'grew' ticked, %d groups shown (all grew: %v), want the %d that grew", onlyGrew, grewShown == 1, grew)
	}
	if found < 1 || found >= total {
		t.Errorf("search notifyonship shows %d of %d groups, want the leak's", found, total)
	}
	b.checkProblems()
	if *updateScreenshot {
		if err := os.WriteFile("../docs/html-diff.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDiffHTMLHostileInBrowser opens the diff page of a hostile capture in
// headless Chromium: no dialog opens, no script or element the capture
// wrote exists in the document, and the hostile strings read as text.
func TestDiffHTMLHostileInBrowser(t *testing.T) {
	chromium(t)
	d, opts := hostileDiff(t)
	var page bytes.Buffer
	if err := WriteDiffHTML(&page, d, opts); err != nil {
		t.Fatal(err)
	}
	b := openInBrowser(t, writePage(t, "diff.html", page.Bytes()), "#verdict")
	// Open every stack, so hidden elements would be live too.
	b.count(`(() => { document.querySelectorAll("details").forEach(d => d.open = true); return 1 })()`)
	if n := b.count(`document.querySelectorAll("img, svg, iframe, object, embed, a").length`); n != 0 {
		t.Errorf("%d elements the capture wrote are in the document", n)
	}
	if n := b.count(`document.scripts.length`); n != 1 {
		t.Errorf("%d scripts in the document, want the page's own", n)
	}
	if n := b.count(`[...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on"))).length`); n != 0 {
		t.Errorf("%d elements carry event handler attributes", n)
	}
	body := b.text("body")
	for _, want := range []string{"<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "</script><script>alert(5)</script>", "onerror=alert(6)>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
	if strings.Contains(body, "\u202e") {
		t.Error("the page shows a raw right-to-left override")
	}
	// The diff is right as well as safe: the lock queue grew, the new
	// group appeared.
	if v := b.text("#verdict"); !strings.Contains(v, "1 grew") || !strings.Contains(v, "1 appeared") {
		t.Errorf("verdict %q, want a group that grew and one that appeared", v)
	}
	b.checkProblems()
}

// TestDiffJSONValidatesAgainstSchema: the diff JSON of the leak bundle
// (diagnosed, and with --all), of a hostile capture, and of two moments
// not diagnosed validates against docs/schema/diff.v1.json, which allows
// no field it does not document.
func TestDiffJSONValidatesAgainstSchema(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.DiffV1()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schema.DiffV1URL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schema.DiffV1URL)
	if err != nil {
		t.Fatalf("compiling schema: %v", err)
	}
	leak, leakOpts := leakDiff(t)
	hostile, hostileOpts := hostileDiff(t)
	all := leakOpts
	all.All = true
	for name, tt := range map[string]struct {
		d    *parser.SnapshotDiff
		opts DiffOptions
	}{
		"leak":          {leak, leakOpts},
		"leak --all":    {leak, all},
		"hostile":       {hostile, hostileOpts},
		"not diagnosed": {leak, DiffOptions{}},
	} {
		var b bytes.Buffer
		if err := WriteDiffJSON(&b, tt.d, tt.opts); err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(&b)
		if err != nil {
			t.Fatalf("%s: not JSON: %v", name, err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
