package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/docs/schema"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var testTool = Tool{Name: "ctxhole", Version: "test"}

func TestBuildSummaryCounts(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	// Stamp two waits, as a GC-stamped dump would print them.
	for i, g := range live.Goroutines[:2] {
		g.Wait, g.WaitKnown = time.Duration(i+1)*time.Minute, true
	}
	// A runtime goroutine idles longest of all, but is not a wait anyone
	// cares about.
	live.Goroutines = append(live.Goroutines, &parser.Goroutine{
		ID: 9999, Count: 1, Status: parser.StatusWaiting, State: "force gc (idle)", Reason: "force gc (idle)",
		Wait: time.Hour, WaitKnown: true,
		Frames: []parser.Frame{{Func: "runtime.gopark", File: "runtime/proc.go", Line: 462}, {Func: "runtime.forcegchelper", File: "runtime/proc.go", Line: 348}},
	})
	agg := aggregatedSnapshot(live)
	// The aggregated capture comes first: the dump, read last, is the
	// latest moment, whose waits the summary lists.
	c := &parser.Capture{
		Snapshots: []*parser.Snapshot{agg, live},
		Warnings:  []parser.Warning{{File: "x.txt", Line: 3, Offset: -1, Msg: "skipped \x1b[31mline"}},
	}
	d := Build(c, nil, testTool)

	want := live.Count() + agg.Count()
	if d.Summary.Goroutines != want {
		t.Errorf("summary.goroutines = %d, want %d", d.Summary.Goroutines, want)
	}
	if d.Summary.Snapshots != 2 || len(d.Inputs) != 2 {
		t.Errorf("snapshots = %d, inputs = %d, want 2 and 2", d.Summary.Snapshots, len(d.Inputs))
	}
	byState := 0
	for _, n := range d.Summary.ByState {
		byState += n
	}
	if byState != want {
		t.Errorf("by_state adds up to %d, want %d", byState, want)
	}
	if d.Summary.ByState["sync.Mutex.Lock"] < 3 {
		t.Errorf("by_state[sync.Mutex.Lock] = %d, want >= 3 (%v)", d.Summary.ByState["sync.Mutex.Lock"], d.Summary.ByState)
	}
	grouped := 0
	for _, g := range d.Groups {
		grouped += g.Count
		if g.Input == 0 && len(g.GoroutineIDs) != 0 {
			t.Errorf("aggregated group has IDs %v", g.GoroutineIDs)
		}
		if g.AppFrameIndex >= 0 && (g.AppFrame == nil || *g.AppFrame != g.Stack[g.AppFrameIndex]) {
			t.Errorf("app_frame %v does not match stack[%d]", g.AppFrame, g.AppFrameIndex)
		}
	}
	if grouped != want {
		t.Errorf("groups add up to %d goroutines, want %d", grouped, want)
	}
	lw := d.Summary.LongestWaits
	if len(lw) == 0 || lw[0].WaitMaxS != 120 {
		t.Fatalf("longest_waits = %+v, want the 2-minute wait first", lw)
	}
	for _, w := range lw {
		if w.Input != 1 || strings.HasPrefix(w.Function, "runtime.") {
			t.Errorf("longest_waits lists %+v: want only the latest snapshot's non-runtime groups", w)
		}
	}
	if !slices.IsSortedFunc(lw, func(a, b LongestWait) int { return -cmpFloat(a.WaitMaxS, b.WaitMaxS) }) {
		t.Errorf("longest_waits not sorted longest first: %+v", lw)
	}
	if got := d.Summary.Warnings[0].Message; got != "skipped line" {
		t.Errorf("warning message = %q, want control characters stripped", got)
	}
	if d.Summary.Findings != 0 || len(d.Findings) != 0 {
		t.Errorf("findings without a report: %d", len(d.Findings))
	}
	for i, in := range d.Inputs {
		n := 0
		for _, c := range in.ByState {
			n += c
		}
		if n != in.Goroutines {
			t.Errorf("input %d: by_state adds up to %d, want %d", i, n, in.Goroutines)
		}
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, d, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "| STATE ") || !strings.Contains(buf.String(), "| INPUT 0 | INPUT 1 |") {
		t.Errorf("two moments, but the states table has no column per moment:\n%s", buf.String())
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestBuildFinding(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	r := &detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, true)}}
	d := Build(&parser.Capture{Snapshots: []*parser.Snapshot{live}}, r, testTool)
	f := d.Findings[0]
	if f.Rank != 1 || f.Category != "mutex-convoy" || f.Severity != "critical" {
		t.Errorf("rank/category/severity = %d/%s/%s", f.Rank, f.Category, f.Severity)
	}
	if strings.ContainsAny(f.Title, "\x1b\x07") || strings.ContainsRune(f.Evidence[0].Text, 0x1b) {
		t.Errorf("control characters survived: %q / %q", f.Title, f.Evidence[0].Text)
	}
	if !strings.Contains(f.Root.Function, "holdLockAndWait") || f.Root.Stack[f.Root.AppFrame].Function != f.Root.Function {
		t.Errorf("root function %q, app frame %d of %v", f.Root.Function, f.Root.AppFrame, f.Root.Stack)
	}
	if f.Root.SinceNS == nil || *f.Root.SinceNS != int64(840*time.Millisecond) {
		t.Errorf("root since_ns = %v", f.Root.SinceNS)
	}
	root, waiters := f.Chain[0], f.Chain[1]
	if !root.NeverWoken || root.EndNS != nil || root.StartNS == nil {
		t.Errorf("root link timing: never_woken=%v end=%v start=%v", root.NeverWoken, root.EndNS, root.StartNS)
	}
	if waiters.EndNS == nil || *waiters.EndNS != int64(2850*time.Millisecond) || waiters.Object != "0xc000123450" {
		t.Errorf("waiter link: end=%v object=%q", waiters.EndNS, waiters.Object)
	}
	if len(waiters.Wakes) != 1 || waiters.Wakes[0].Kind != "deadline" || !strings.Contains(waiters.Wakes[0].WaiterFunction, "queueOnLock") {
		t.Errorf("wakes = %+v", waiters.Wakes)
	}
	if d.Summary.BySeverity["critical"] != 1 || d.Summary.Findings != 1 {
		t.Errorf("summary by_severity %v findings %d", d.Summary.BySeverity, d.Summary.Findings)
	}
}

// compileSchema compiles the published schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema.ReportV2()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schema.ReportV2URL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schema.ReportV2URL)
	if err != nil {
		t.Fatalf("compiling schema: %v", err)
	}
	return sch
}

func TestJSONValidatesAgainstSchema(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	sch := compileSchema(t)
	var schemaDoc map[string]any
	if err := json.Unmarshal([]byte(schema.ReportV2()), &schemaDoc); err != nil {
		t.Fatal(err)
	}
	agg := aggregatedSnapshot(live)
	tests := []struct {
		name string
		c    *parser.Capture
		r    *detectors.Diagnosis
	}{
		{"empty", &parser.Capture{}, nil},
		{"groups only", &parser.Capture{Snapshots: []*parser.Snapshot{live, agg}}, nil},
		{"dump finding", &parser.Capture{Snapshots: []*parser.Snapshot{live}}, &detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, false)}}},
		{"traced finding", &parser.Capture{
			Snapshots:  []*parser.Snapshot{live},
			Contention: []*parser.Contention{{Source: parser.Source{File: "mutex.pb.gz", Format: parser.FormatContentionProto}, Kind: "mutex"}},
			Traces:     []*parser.Trace{{Source: parser.Source{File: "trace.out", Format: parser.FormatExecTrace}, Duration: 5 * time.Second, Truncated: true}},
		}, &detectors.Diagnosis{Findings: []*detectors.Finding{findingFor(t, live, true)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, Build(tt.c, tt.r, testTool)); err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Fatalf("output does not validate: %v\n%s", err, buf.String())
			}
			var out any
			if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			for _, p := range undeclared(schemaDoc, schemaDoc, out, "") {
				t.Errorf("output field %s is not declared in the schema", p)
			}
		})
	}
}

// undeclared walks a JSON value alongside its schema and returns the paths
// of object keys the schema does not declare: the drift check that keeps
// docs/schema/report.v2.json describing every field the Go types emit.
func undeclared(root, sch map[string]any, v any, path string) []string {
	if ref, ok := sch["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		sch = root["$defs"].(map[string]any)[name].(map[string]any)
	}
	var out []string
	switch v := v.(type) {
	case map[string]any:
		props, _ := sch["properties"].(map[string]any)
		addl, _ := sch["additionalProperties"].(map[string]any)
		for k, sub := range v {
			if s, ok := props[k].(map[string]any); ok {
				out = append(out, undeclared(root, s, sub, path+"."+k)...)
			} else if addl != nil {
				out = append(out, undeclared(root, addl, sub, path+"."+k)...)
			} else {
				out = append(out, path+"."+k)
			}
		}
	case []any:
		items, _ := sch["items"].(map[string]any)
		for i, sub := range v {
			if items != nil {
				out = append(out, undeclared(root, items, sub, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return out
}

func TestSchemaRejectsBrokenDocuments(t *testing.T) {
	sch := compileSchema(t)
	var good bytes.Buffer
	if err := WriteJSON(&good, Build(&parser.Capture{}, nil, testTool)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"no summary", func(m map[string]any) { delete(m, "summary") }},
		{"wrong version", func(m map[string]any) { m["schema_version"] = "1" }},
		{"unknown grade", func(m map[string]any) {
			m["findings"] = []any{map[string]any{"root": map[string]any{"grade": "certain"}}}
		}},
		{"negative goroutines", func(m map[string]any) { m["summary"].(map[string]any)["goroutines"] = -1 }},
		{"unknown category", func(m map[string]any) {
			m["findings"] = []any{map[string]any{"category": "made-up"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			b, _ := json.Marshal(m)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err == nil {
				t.Errorf("schema accepted a document with %s", tt.name)
			}
		})
	}
}

// TestBuildCountsEachMomentOnce: two captures of one instant (here the same
// dump read twice) count once in the summary; the richer one is primary.
func TestBuildCountsEachMomentOnce(t *testing.T) {
	live, release := liveSnapshot(t)
	defer release()
	again := *live
	again.Source.File = "again.txt"
	d := Build(&parser.Capture{Snapshots: []*parser.Snapshot{live, &again}}, nil, testTool)
	if d.Summary.Snapshots != 2 || d.Summary.Moments != 1 {
		t.Errorf("snapshots %d moments %d, want 2 and 1", d.Summary.Snapshots, d.Summary.Moments)
	}
	if d.Summary.Goroutines != live.Count() {
		t.Errorf("summary.goroutines = %d, want %d (one moment)", d.Summary.Goroutines, live.Count())
	}
	if primaries := btoi(d.Inputs[0].Primary) + btoi(d.Inputs[1].Primary); primaries != 1 {
		t.Errorf("%d primary inputs, want 1", primaries)
	}
	grouped := 0
	for _, g := range d.Groups {
		if !d.Inputs[g.Input].Primary {
			t.Errorf("group of input %d, which is not its moment's primary capture", g.Input)
		}
		grouped += g.Count
	}
	if grouped != live.Count() {
		t.Errorf("groups hold %d goroutines, want %d", grouped, live.Count())
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, d, Options{Width: 200}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "not counted") {
		t.Errorf("table does not say which capture is not counted:\n%s", buf.String())
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSchemaEnumsMatchTheModel keeps the schema's closed vocabularies in
// step with the Go constants they describe.
func TestSchemaEnumsMatchTheModel(t *testing.T) {
	var s struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal([]byte(schema.ReportV2()), &s); err != nil {
		t.Fatal(err)
	}
	enum := func(def string) []string {
		var d struct {
			Enum []string `json:"enum"`
		}
		if err := json.Unmarshal(s.Defs[def], &d); err != nil {
			t.Fatalf("$defs.%s: %v", def, err)
		}
		slices.Sort(d.Enum)
		return d.Enum
	}
	var cats []string
	for _, c := range detectors.Categories() {
		cats = append(cats, string(c))
	}
	slices.Sort(cats)
	if got := enum("category"); !slices.Equal(got, cats) {
		t.Errorf("schema categories %v, detectors have %v", got, cats)
	}
	var sevs []string
	for s := detectors.SevInfo; s <= detectors.SevCritical; s++ {
		sevs = append(sevs, s.String())
	}
	slices.Sort(sevs)
	if got := enum("severity"); !slices.Equal(got, sevs) {
		t.Errorf("schema severities %v, detectors have %v", got, sevs)
	}
	var link struct {
		Properties struct {
			Relation struct {
				Enum []string `json:"enum"`
			} `json:"relation"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(s.Defs["link"], &link); err != nil {
		t.Fatal(err)
	}
	rels := []string{}
	for _, r := range []detectors.Relation{detectors.RelRoot, detectors.RelWaitsOn, detectors.RelHolds, detectors.RelBlockedOn,
		detectors.RelSpawnedBy, detectors.RelServes, detectors.RelWokenBy, detectors.RelCycle, detectors.RelSameObject,
		detectors.RelSameSite} {
		rels = append(rels, string(r))
	}
	slices.Sort(rels)
	got := slices.Sorted(slices.Values(link.Properties.Relation.Enum))
	if !slices.Equal(got, rels) {
		t.Errorf("schema relations %v, detectors have %v", got, rels)
	}
	var grade struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(s.Defs["grade"], &grade); err != nil {
		t.Fatal(err)
	}
	var grades []string
	for _, g := range detectors.Grades() {
		grades = append(grades, string(g))
	}
	if !slices.Equal(grade.Enum, grades) {
		t.Errorf("schema grades %v, detectors have %v", grade.Enum, grades)
	}
}
