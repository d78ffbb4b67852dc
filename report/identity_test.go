package report

import (
	"maps"
	"regexp"
	"slices"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		title, want string
		args        map[string]any
	}{
		{"14 goroutines queued for a database connection behind 4 goroutines blocked in pq.(*conn).startup for >=2m",
			"{n1} goroutines queued for a database connection behind {n2} goroutines blocked in pq.(*conn).startup for {d1}",
			map[string]any{"n1": 14, "n2": 4, "d1": ">=2m"}},
		{"1 goroutine stuck in a system call in http.checkConnErrorWriter.Write",
			"{n1} goroutines stuck in a system call in http.checkConnErrorWriter.Write", map[string]any{"n1": 1}},
		{"1,234 goroutines parked (main.go:80) for 4.52s; growth 2m5s",
			"{n1} goroutines parked (main.go:80) for {d1}; growth {d2}", map[string]any{"n1": 1234, "d1": "4.52s", "d2": "2m5s"}},
		{"lock held in pq@v1.12.3 by (3 waiters)", "lock held in pq@v1.12.3 by ({n1} waiters)", map[string]any{"n1": 3}},
		{"", "", map[string]any{}},
	}
	for _, tt := range tests {
		got, args := summarize(tt.title)
		if got != tt.want || !maps.Equal(args, tt.args) {
			t.Errorf("summarize(%q) = %q, %v; want %q, %v", tt.title, got, args, tt.want, tt.args)
		}
	}
}

func TestFindingIDIgnoresCountsAndPlaces(t *testing.T) {
	root := Root{
		GoroutineID: 41, Function: "github.com/lib/pq.(*conn).startup", File: "pq/conn.go", Line: 1255,
		State: "IO wait", WaitKnown: true, WaitS: 120, AppFrame: 2,
		Stack: []Frame{
			{Function: "github.com/lib/pq.(*conn).startup", File: "pq/conn.go", Line: 1255},
			{Function: "database/sql.(*DB).conn", File: "sql/sql.go", Line: 1400},
			{Function: "main.(*store).lookup", File: "app/store.go", Line: 80},
		},
	}
	id := findingID("db-driver-no-ctx", root)
	if !regexp.MustCompile(`^f-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("findingID = %q, want f- and 12 hex digits", id)
	}
	// What one capture format carries and another does not (goroutine
	// IDs, waits, states as debug=2 prints them), and what moves between
	// builds (lines, files), leaves the ID alone.
	same := root
	same.GoroutineID, same.Line, same.File, same.State, same.WaitKnown, same.WaitS = 0, 1260, "conn.go", "", false, 0
	same.Stack = append([]Frame{{Function: "runtime.gopark"}}, root.Stack...)
	same.Stack[3].Line = 95
	same.AppFrame = 3
	if got := findingID("db-driver-no-ctx", same); got != id {
		t.Errorf("goroutine ID, waits, state, lines and hidden runtime frames changed the ID: %s vs %s", got, id)
	}
	other := func(edit func(*Root)) Root {
		r := root
		r.Stack = slices.Clone(root.Stack)
		edit(&r)
		return r
	}
	for name, got := range map[string]string{
		"category":  findingID("io-no-deadline", root),
		"root":      findingID("db-driver-no-ctx", other(func(r *Root) { r.Function = "net.(*conn).Read" })),
		"app frame": findingID("db-driver-no-ctx", other(func(r *Root) { r.Stack[2].Function = "main.(*billing).charge" })),
		"no app":    findingID("db-driver-no-ctx", other(func(r *Root) { r.AppFrame = -1 })),
	} {
		if got == id {
			t.Errorf("a different %s kept the ID %s", name, id)
		}
	}
}

// TestUniqueIDs: findings that share a fingerprint are told apart in the
// order of their roots in the code, whatever their rank, so the suffixes
// stay put when the counts change.
func TestUniqueIDs(t *testing.T) {
	at := func(id string, line int) Finding {
		return Finding{ID: id, Root: Root{File: "app/h.go", Line: line, AppFrame: -1}}
	}
	tests := []struct {
		name string
		in   []Finding
		want []string
	}{
		{"distinct", []Finding{at("f-a", 9), at("f-b", 1)}, []string{"f-a", "f-b"}},
		{"in code order", []Finding{at("f-a", 1), at("f-a", 9), at("f-b", 5)}, []string{"f-a", "f-a-2", "f-b"}},
		{"rank reversed", []Finding{at("f-a", 9), at("f-b", 5), at("f-a", 1)}, []string{"f-a-2", "f-b", "f-a"}},
		{"three", []Finding{at("f-a", 7), at("f-a", 3), at("f-a", 5)}, []string{"f-a-3", "f-a", "f-a-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			uniqueIDs(tt.in)
			var got []string
			for _, f := range tt.in {
				got = append(got, f.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("uniqueIDs = %v, want %v", got, tt.want)
			}
		})
	}
}
