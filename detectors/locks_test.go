package detectors

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

func TestEnclosingFunc(t *testing.T) {
	for fn, want := range map[string]string{
		"main.deadlock.func1":           "main.deadlock",
		"main.deadlock.func1.2":         "main.deadlock",
		"github.com/a/b.(*T).run.func3": "github.com/a/b.(*T).run",
		"github.com/a/funcs.Run":        "",
		"github.com/a/b.functional":     "",
		"main.main":                     "",
		"github.com/x/y.funcOf.func2":   "github.com/x/y.funcOf",
	} {
		if got := enclosingFunc(fn); got != want {
			t.Errorf("enclosingFunc(%q) = %q, want %q", fn, got, want)
		}
	}
}

// TestLockWordsBelowFirstPage: a reader whose lock word is a stale "?"
// integer (0x2e) and whose string argument has length 0x1 has no address
// to link: goroutines printing a length of 1 are not its lock's holders.
// Before, every such reader was linked to every group of the dump.
func TestLockWordsBelowFirstPage(t *testing.T) {
	var b strings.Builder
	for id := 1; id <= 3; id++ {
		fmt.Fprintf(&b, `goroutine %d [sync.RWMutex.RLock, 5 minutes]:
sync.runtime_SemacquireRWMutexR(0x3a?, 0x0?, 0x0?)
	/usr/local/go/src/runtime/sema.go:100 +0x25
sync.(*RWMutex).RLock(...)
	/usr/local/go/src/sync/rwmutex.go:74
main.(*shard).read(0x2e?, {0x7ab8d6, 0x1})
	/src/main.go:60 +0x4f
created by main.main in goroutine 1
	/src/main.go:90 +0x2a

`, id)
	}
	for id := 10; id < 14; id++ {
		fmt.Fprintf(&b, `goroutine %d [chan receive, 5 minutes]:
main.worker%d({0x7ab8d6, 0x1})
	/src/main.go:%d +0x4f
created by main.main in goroutine 1
	/src/main.go:91 +0x2a

`, id, id, id)
	}
	snaps, err := parser.ReadText(strings.NewReader(b.String()), "small-words.txt")
	if err != nil {
		t.Fatal(err)
	}
	a := newAnalysis(&parser.Capture{Snapshots: snaps}, Options{})
	for _, p := range a.passes() {
		if err := p.run(a); err != nil {
			t.Fatal(err)
		}
		if p.name == "locks" {
			break
		}
	}
	for _, n := range a.nodes {
		if !isLockWaiter(n) {
			continue
		}
		if n.object != 0x2e {
			t.Fatalf("reader's lock word %#x, want the printed 0x2e", n.object)
		}
		for _, e := range n.out {
			if e.grade == GradeProven || strings.Contains(e.reason, "0x1 ") {
				t.Errorf("reader linked to %s by a word below the first page: %s", blockingFunc(e.holder), e.reason)
			}
		}
	}
}
