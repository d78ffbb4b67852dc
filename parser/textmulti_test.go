package parser

import (
	"bytes"
	"slices"
	"testing"
)

// dumpPart returns the goroutine dump inside a child's stdout: from the
// first header to the end of the last goroutine, without the ADDR lines
// before it and the test runner's "PASS" after it.
func dumpPart(t *testing.T, stdout []byte) []byte {
	t.Helper()
	from := headerLine.FindIndex(stdout)
	to := bytes.LastIndex(stdout, []byte("\nPASS\n"))
	if from == nil || to < from[0] {
		t.Fatalf("no dump in child output:\n%s", stdout)
	}
	return stdout[from[0] : to+1]
}

// TestReadTextMultiDumpLog reads a log holding several real dumps: a
// SIGQUIT dump among log lines, a debug=2 dump, the same dump again
// directly after it (as `cat a b` makes), then a panic. Each becomes its own
// snapshot with every goroutine, also under kubectl timestamps.
func TestReadTextMultiDumpLog(t *testing.T) {
	quit := runChild(t, "sigquit", true, nil, "GOTRACEBACK=system").stderr
	debug2 := dumpPart(t, runChild(t, "pprof", false, nil).stdout)
	panicked := runChild(t, "panic", false, nil).stderr

	type part struct {
		text     []byte
		preamble func(Preamble) bool
	}
	parts := []part{
		{quit, func(p Preamble) bool { return p.Signal == "SIGQUIT: quit" }},
		{debug2, func(p Preamble) bool { return p.Signal == "" && p.Panic == nil }},
		{debug2, func(p Preamble) bool { return p.Signal == "" && p.Panic == nil }},
		{panicked, func(p Preamble) bool { return slices.Equal(p.Panic, []string{"boom [recovered, repanicked]"}) }},
	}
	var log bytes.Buffer
	log.WriteString("2026/11/23 11:00:00 service starting\n")
	log.Write(quit)
	log.WriteString("2026/11/23 11:04:05 service restarted\n2026/11/23 11:04:06 listening on :8080\n")
	log.Write(debug2)
	log.Write(debug2)
	log.WriteString("2026/11/23 11:09:00 handling request\n")
	log.Write(panicked)

	for _, tt := range []struct {
		name string
		raw  []byte
	}{
		{"plain", log.Bytes()},
		{"kubectl timestamps", pastes[0].apply(log.Bytes())},
	} {
		t.Run(tt.name, func(t *testing.T) {
			snaps, err := ReadText(bytes.NewReader(tt.raw), "pod.log")
			if err != nil {
				t.Fatal(err)
			}
			if len(snaps) != len(parts) {
				t.Fatalf("%d snapshots, want %d", len(snaps), len(parts))
			}
			for i, s := range snaps {
				if got, want := len(s.Goroutines), countHeaders(parts[i].text); got != want {
					t.Errorf("snapshot %d: %d goroutines, want %d", i, got, want)
				}
				if !parts[i].preamble(s.Preamble) {
					t.Errorf("snapshot %d: preamble %+v", i, s.Preamble)
				}
				if len(s.Warnings) != 0 || s.Truncated || s.Source.Index != i {
					t.Errorf("snapshot %d: index %d warnings %v truncated %v", i, s.Source.Index, s.Warnings, s.Truncated)
				}
				if i > 0 && s.Source.Line <= snaps[i-1].Source.Line {
					t.Errorf("snapshot %d starts at line %d, before the previous one", i, s.Source.Line)
				}
			}
		})
	}
}
