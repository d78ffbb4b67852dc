package report

import (
	"maps"
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
	chain := []Link{
		{Depth: 0, Relation: "root", Category: "db-driver-no-ctx", Function: "github.com/lib/pq.(*conn).startup", Goroutines: 4, Line: 1255, Object: "0xc000123450"},
		{Depth: 1, Relation: "waits-on", Category: "db-pool-exhausted", Function: "database/sql.(*DB).conn", Goroutines: 14},
	}
	id := findingID("db-driver-no-ctx", chain[0].Function, chain)
	other := []Link{chain[0], chain[1]}
	other[0].Goroutines, other[0].Line, other[0].Object, other[0].WaitMaxS = 40, 1260, "0xc000999990", 600
	other[1].Goroutines = 1
	if got := findingID("db-driver-no-ctx", chain[0].Function, other); got != id {
		t.Errorf("counts, lines and addresses changed the ID: %s vs %s", got, id)
	}
	shape := []Link{chain[0], {Depth: 1, Relation: "holds", Category: "db-pool-exhausted", Function: "database/sql.(*DB).conn"}}
	for name, got := range map[string]string{
		"category":    findingID("io-no-deadline", chain[0].Function, chain),
		"root":        findingID("db-driver-no-ctx", "net.(*conn).Read", chain),
		"chain shape": findingID("db-driver-no-ctx", chain[0].Function, shape),
		"chain depth": findingID("db-driver-no-ctx", chain[0].Function, chain[:1]),
	} {
		if got == id {
			t.Errorf("a different %s kept the ID %s", name, id)
		}
	}
	fs := []Finding{{ID: id}, {ID: id}, {ID: "f-000000000000"}}
	uniqueIDs(fs)
	if fs[0].ID != id || fs[1].ID != id+"-2" || fs[2].ID != "f-000000000000" {
		t.Errorf("uniqueIDs = %s, %s, %s", fs[0].ID, fs[1].ID, fs[2].ID)
	}
}
