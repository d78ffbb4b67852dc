package vetcmd

import (
	"bytes"
	"encoding/json"
	"go/token"
	"os"
	"strings"
	"testing"
)

func sampleDiags() []Diagnostic {
	return []Diagnostic{
		{
			Analyzer: "dbctx", Category: "db-driver-no-ctx", Package: "example.com/shop/orders", PkgName: "orders",
			Posn:    token.Position{Filename: "/src/shop/orders/orders.go", Offset: 300, Line: 115, Column: 9},
			End:     token.Position{Filename: "/src/shop/orders/orders.go", Offset: 330, Line: 115, Column: 39},
			Message: "db-driver-no-ctx: sql.DB.Query runs on context.Background() although ctx is in scope",
			Callee:  "database/sql.(*DB).Query",
			Fixes: []Fix{{Message: "call QueryContext with ctx", Edits: []Edit{
				{File: "/src/shop/orders/orders.go", Start: token.Position{Offset: 303, Line: 115, Column: 12}, End: token.Position{Offset: 308, Line: 115, Column: 17}, New: "QueryContext"},
			}}},
		},
		{
			Analyzer: "httpserver", Category: "http-server-no-timeout", Package: "example.com/shop/cmd/shop", PkgName: "main",
			Posn:    token.Position{Filename: "/src/shop/cmd/shop/main.go", Offset: 10, Line: 3, Column: 2},
			End:     token.Position{Filename: "/src/shop/cmd/shop/main.go", Offset: 40, Line: 3, Column: 32},
			Message: "http-server-no-timeout: http.ListenAndServe serves with a zero http.Server",
			Callee:  "net/http.ListenAndServe",
		},
		{
			Analyzer: "dbctx", Category: "db-driver-no-ctx", Package: "example.com/shop/billing", PkgName: "billing",
			Posn:    token.Position{Filename: "/src/shop/billing/billing.go", Offset: 50, Line: 20, Column: 3},
			End:     token.Position{Filename: "/src/shop/billing/billing.go", Offset: 70, Line: 20, Column: 23},
			Message: "db-driver-no-ctx: sql.DB.Query runs on context.Background() although ctx is in scope",
			Callee:  "database/sql.(*DB).Query",
		},
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleDiags()[:1], "/src/shop"); err != nil {
		t.Fatal(err)
	}
	want := "orders/orders.go:115:9: db-driver-no-ctx: sql.DB.Query runs on context.Background() although ctx is in scope\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestWriteJSONIsGoVetShape(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleDiags()); err != nil {
		t.Fatal(err)
	}
	var tree map[string]map[string][]struct {
		Category       string `json:"category"`
		Posn           string `json:"posn"`
		End            string `json:"end"`
		Message        string `json:"message"`
		SuggestedFixes []struct {
			Message string `json:"message"`
			Edits   []struct {
				Filename   string `json:"filename"`
				Start, End int
				New        string `json:"new"`
			} `json:"edits"`
		} `json:"suggested_fixes"`
	}
	if err := json.Unmarshal(b.Bytes(), &tree); err != nil {
		t.Fatal(err)
	}
	d := tree["example.com/shop/orders"]["dbctx"]
	if len(d) != 1 || d[0].Posn != "/src/shop/orders/orders.go:115:9" || d[0].Category != "db-driver-no-ctx" {
		t.Fatalf("orders/dbctx = %+v", d)
	}
	if e := d[0].SuggestedFixes[0].Edits[0]; e.Start != 303 || e.End != 308 || e.New != "QueryContext" {
		t.Errorf("edit = %+v", e)
	}
	if len(tree["example.com/shop/cmd/shop"]["httpserver"]) != 1 {
		t.Errorf("httpserver diagnostics missing: %v", tree)
	}
}

func TestWriteSARIF(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSARIF(&b, sampleDiags(), "/src/shop"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }                 `json:"artifactLocation"`
						Region           struct{ StartLine, StartColumn int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Fixes      []json.RawMessage `json:"fixes"`
				Properties map[string]any    `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 3 {
		t.Fatalf("log = %+v", log)
	}
	r := log.Runs[0].Results[0]
	loc := r.Locations[0].PhysicalLocation
	if r.RuleID != "dbctx" || loc.ArtifactLocation.URI != "orders/orders.go" || loc.Region.StartLine != 115 || loc.Region.StartColumn != 9 {
		t.Errorf("result 0 = %+v", r)
	}
	if len(r.Fixes) != 1 || r.Properties["category"] != "db-driver-no-ctx" {
		t.Errorf("result 0 fixes/properties = %v %v", r.Fixes, r.Properties)
	}
	rules := map[string]bool{}
	for _, rule := range log.Runs[0].Tool.Driver.Rules {
		rules[rule.ID] = true
	}
	for _, id := range []string{"dbctx", "httpserver", "chanrecv", "lostcancel"} {
		if !rules[id] {
			t.Errorf("rule %s missing", id)
		}
	}
}

func TestRank(t *testing.T) {
	sites := []Site{{
		Rank: 1, Category: "db-driver-no-ctx", Function: "example.com/shop/orders.(*Store).Status",
		File: "example.com/shop/orders/orders.go", Line: 115, Callee: "database/sql.(*DB).Query",
	}}
	ranked := Rank(sampleDiags(), sites)
	got := []string{}
	for _, d := range ranked {
		got = append(got, d.Package)
	}
	want := []string{"example.com/shop/orders", "example.com/shop/billing", "example.com/shop/cmd/shop"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order = %v, want %v", got, want)
	}
	if ranked[0].Score != 8+4+2+1 || ranked[1].Score != 4+2 || ranked[2].Rank != 0 {
		t.Errorf("scores = %d %d, third rank %d", ranked[0].Score, ranked[1].Score, ranked[2].Rank)
	}
	var b bytes.Buffer
	WriteSummary(&b, ranked, sites, "/src/shop")
	want1 := "finding 1 (db-driver-no-ctx) hung at orders.go:115 in example.com/shop/orders.(*Store).Status calling database/sql.(*DB).Query (reported there); the same hole is at 1 other place"
	if !strings.Contains(b.String(), want1) {
		t.Errorf("summary = %q, want %q", b.String(), want1)
	}
}

func TestSameFile(t *testing.T) {
	for _, tc := range []struct {
		src, captured string
		want          bool
	}{
		{"/work/shop/orders/orders.go", "example.com/shop/orders/orders.go", true},
		{"/work/shop/orders/orders.go", "/build/shop/orders/orders.go", true},
		{"/work/shop/billing/orders.go", "example.com/shop/orders/orders.go", false},
		{"/work/shop/orders/orders.go", "orders.go", true},
	} {
		if got := sameFile(tc.src, tc.captured); got != tc.want {
			t.Errorf("sameFile(%q, %q) = %v", tc.src, tc.captured, got)
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-json", "-sarif"}, "exclusive"},
		{[]string{"-enable", "nosuch"}, `unknown analyzer "nosuch"`},
		{[]string{"--from", "/nonexistent/report.json"}, "--from"},
	} {
		var out, errb bytes.Buffer
		if code := Run(tc.args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: stderr %q, want %q", tc.args, errb.String(), tc.want)
		}
	}
}

func TestLoadSitesRejectsForeignJSON(t *testing.T) {
	p := t.TempDir() + "/other.json"
	if err := os.WriteFile(p, []byte(`{"hello": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSites(p); err == nil || !strings.Contains(err.Error(), "not a ctxhole JSON report") {
		t.Errorf("err = %v", err)
	}
}
