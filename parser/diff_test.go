package parser

import (
	"strconv"
	"strings"
	"testing"
)

// TestDiff: groups are matched by what their goroutines do, not by their
// IDs or argument words, and each is classified by its change.
func TestDiff(t *testing.T) {
	from := snapshotOf(t, "from.txt", goroutineBlock(1, "running", "main.main()", "/src/main.go:10"),
		goroutineBlock(2, "chan receive, 3 minutes", "main.worker(0xc000010000)", "/src/main.go:20"),
		goroutineBlock(3, "chan receive, 3 minutes", "main.worker(0xc000010008)", "/src/main.go:20"),
		goroutineBlock(4, "select", "main.ticker()", "/src/main.go:30"),
		goroutineBlock(5, "IO wait", "main.serve()", "/src/main.go:40"),
		goroutineBlock(6, "IO wait", "main.serve()", "/src/main.go:40"))
	to := snapshotOf(t, "to.txt", goroutineBlock(1, "running", "main.main()", "/src/main.go:10"),
		goroutineBlock(7, "chan receive, 4 minutes", "main.worker(0xc000020000)", "/src/main.go:20"),
		goroutineBlock(8, "chan receive", "main.worker(0xc000020008)", "/src/main.go:20"),
		goroutineBlock(9, "chan receive", "main.worker(0xc000020010)", "/src/main.go:20"),
		goroutineBlock(10, "semacquire", "main.flush()", "/src/main.go:50"),
		goroutineBlock(11, "IO wait", "main.serve()", "/src/main.go:40"))
	d := Diff(from, to)
	got := map[string]DiffEntry{}
	for _, e := range d.Entries {
		got[e.Group.Frames[0].Func] = e
	}
	for fn, want := range map[string]struct {
		change        Change
		before, after int
	}{
		"main.worker": {ChangeGrew, 2, 3},
		"main.flush":  {ChangeAppeared, 0, 1},
		"main.serve":  {ChangeShrank, 2, 1},
		"main.ticker": {ChangeVanished, 1, 0},
		"main.main":   {ChangeSame, 1, 1},
	} {
		e := got[fn]
		if e.Change != want.change || e.Before != want.before || e.After != want.after {
			t.Errorf("%s: %s %d -> %d, want %s %d -> %d", fn, e.Change, e.Before, e.After, want.change, want.before, want.after)
		}
	}
	if d.Entries[0].Group.Frames[0].Func != "main.worker" || d.Entries[len(d.Entries)-1].Change != ChangeSame {
		t.Errorf("order: first %s, last %s; want growth first, unchanged last", d.Entries[0].Group.Frames[0].Func, d.Entries[len(d.Entries)-1].Change)
	}
	if d.Before != 6 || d.After != 6 || d.RuntimeLeftOut != 0 {
		t.Errorf("totals %d -> %d, %d left out; want 6 -> 6, none", d.Before, d.After, d.RuntimeLeftOut)
	}
}

// TestDiffRuntimeGoroutines: the runtime's own goroutines, which a SIGQUIT
// dump lists and net/http/pprof's debug=2 hides, are left out of a diff
// between the two, so they do not read as appeared; between two captures
// that both list them, they are compared like any other.
func TestDiffRuntimeGoroutines(t *testing.T) {
	app := goroutineBlock(1, "chan receive", "main.worker()", "/src/main.go:20")
	gc := goroutineBlock(2, "GC worker (idle)", "runtime.gopark(0x0, 0x0, 0x0, 0x0, 0x0)", "/usr/local/go/src/runtime/proc.go:435") +
		"runtime.gcBgMarkWorker(0xc000012345)\n\t/usr/local/go/src/runtime/mgc.go:1423 +0xe9\n"
	fing := goroutineBlock(3, "finalizer wait", "runtime.gopark(0x0, 0x0, 0x0, 0x0, 0x0)", "/usr/local/go/src/runtime/proc.go:435") +
		"runtime.runfinq()\n\t/usr/local/go/src/runtime/mfinal.go:196 +0x107\n"
	pprof := snapshotOf(t, "debug2.txt", app)
	sigquit := snapshotOf(t, "sigquit.txt", app, goroutineBlock(4, "chan receive", "main.worker()", "/src/main.go:20"), gc, fing)
	d := Diff(pprof, sigquit)
	if d.RuntimeLeftOut != 2 || d.Before != 1 || d.After != 2 || len(d.Entries) != 1 || d.Entries[0].Change != ChangeGrew {
		t.Errorf("debug=2 -> SIGQUIT: %d left out, %d -> %d, entries %+v; want the 2 runtime goroutines left out and main.worker grown 1 -> 2",
			d.RuntimeLeftOut, d.Before, d.After, d.Entries)
	}
	// Only what the runtime started is its own: an application function
	// whose name confuses the package split is still compared.
	odd := goroutineBlock(5, "chan receive", "main.(*srv).</script><script>x</script>()", "/src/main.go:30")
	if d := Diff(pprof, snapshotOf(t, "sigquit3.txt", app, odd, gc)); d.After != 2 || len(d.Entries) != 2 {
		t.Errorf("debug=2 -> SIGQUIT with an odd name: %d after, %d entries; want the odd group compared", d.After, len(d.Entries))
	}
	both := Diff(sigquit, snapshotOf(t, "sigquit2.txt", app, gc))
	if both.RuntimeLeftOut != 0 || both.Before != 4 || both.After != 2 {
		t.Errorf("SIGQUIT -> SIGQUIT: %d left out, %d -> %d; want none left out, 4 -> 2", both.RuntimeLeftOut, both.Before, both.After)
	}
	vanished := 0
	for _, e := range both.Entries {
		if e.Change == ChangeVanished && strings.HasPrefix(e.Group.Frames[len(e.Group.Frames)-1].Func, "runtime.") {
			vanished++
		}
	}
	if vanished != 1 {
		t.Errorf("SIGQUIT -> SIGQUIT: %d runtime groups vanished, want the finalizer's", vanished)
	}
}

// goroutineBlock is one goroutine of a debug=2 dump whose first frame is
// call at file.
func goroutineBlock(id int, state, call, file string) string {
	return "goroutine " + strconv.Itoa(id) + " [" + state + "]:\n" + call + "\n\t" + file + " +0x1d\n"
}

// snapshotOf parses a debug=2 dump made of blocks.
func snapshotOf(t *testing.T, name string, blocks ...string) *Snapshot {
	t.Helper()
	ss, err := ReadText(strings.NewReader(strings.Join(blocks, "\n")), name)
	if err != nil || len(ss) != 1 {
		t.Fatalf("%s: %d snapshots, %v", name, len(ss), err)
	}
	return ss[0]
}
