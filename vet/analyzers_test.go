package vet

import (
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

// Each analyzer runs on its testdata package: the // want comments are the
// positives; the functions under "The correct forms" must stay quiet.
func TestAnalyzers(t *testing.T) {
	dir := analysistest.TestData()
	for _, tc := range []struct {
		a   *analysis.Analyzer
		pkg string
		fix bool // compare suggested fixes with a.go.golden
	}{
		{HTTPClient, "httpclient", true},
		{HTTPServer, "httpserver", false},
		{DB, "dbctx", true},
		{ChanSend, "chansend", false},
		{ChanRecv, "chanrecv", false},
		{GRPCStream, "grpcstream", false},
		{Redis, "redis", false},
		{SyncCtx, "syncctx", false},
		{OTelBlocking, "otel", false},
		{ResourceLeak, "resourceleak", false},
	} {
		t.Run(tc.a.Name, func(t *testing.T) {
			if tc.fix {
				analysistest.RunWithSuggestedFixes(t, dir, tc.a, tc.pkg)
				return
			}
			analysistest.Run(t, dir, tc.a, tc.pkg)
		})
	}
}

// Every hole resolves to a built-in signature row, so that each
// diagnostic carries the runtime category and fix.
func TestHolesHaveRuntimeFixes(t *testing.T) {
	for _, h := range allHoles {
		f, id, err := h.fix()
		if err != nil {
			t.Errorf("%s: %v", h.Category, err)
			continue
		}
		if f.Summary == "" {
			t.Errorf("%s (row %q): empty fix summary", h.Category, id)
		}
	}
}

func TestAnalyzersValidate(t *testing.T) {
	if err := analysis.Validate(Analyzers()); err != nil {
		t.Fatal(err)
	}
	if err := analysis.Validate(VetTool()); err != nil {
		t.Fatal(err)
	}
}
