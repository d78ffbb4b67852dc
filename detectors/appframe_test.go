package detectors

import (
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

func TestAppFrame(t *testing.T) {
	tests := []struct {
		fn   string
		want int // AppFrame of [runtime.gopark, fn]: 1 for application code, -1 otherwise
	}{
		{"runtime.gopark", -1},
		{"database/sql.(*DB).conn", -1},
		{"internal/sync.(*Mutex).lockSlow", -1},
		{"github.com/lib/pq.(*conn).startup", -1},
		{"golang.org/x/net/http2.(*ClientConn).RoundTrip", -1},
		{"panic", -1},
		{"github.com/gorilla/mux.(*Router).ServeHTTP", -1},
		{"main.handler", 1},
		{"myservice/internal/db.(*Store).Get", 1},
		{"github.com/acme/orders.(*Service).Place", 1},
	}
	for _, tt := range tests {
		fs := []parser.Frame{{Func: "runtime.gopark"}, {Func: tt.fn}}
		if got := AppFrame(fs); got != tt.want {
			t.Errorf("AppFrame([gopark, %s]) = %d, want %d", tt.fn, got, tt.want)
		}
	}
	for _, tt := range tests {
		if got, want := IsAppFrame(parser.Frame{Func: tt.fn}), tt.want == 1; got != want {
			t.Errorf("IsAppFrame(%s) = %v, want %v", tt.fn, got, want)
		}
	}
	// A user signature file's packages count as libraries.
	fs := []parser.Frame{{Func: "acme.dev/rpc.(*Client).Call"}, {Func: "main.work"}}
	if got := appFrame(fs, []string{"acme.dev/rpc"}); got != 1 {
		t.Errorf("appFrame with a user library prefix = %d, want 1", got)
	}
}
