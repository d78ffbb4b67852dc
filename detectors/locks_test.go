package detectors

import "testing"

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
