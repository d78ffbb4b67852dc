package detectors

import (
	"bytes"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/parser"
)

// FuzzAnalyze feeds whatever the text parser makes of arbitrary input to
// Analyze: no input may make the analysis panic, and every finding must be
// complete enough to render.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte("goroutine 1 [sync.Mutex.Lock, 5 minutes]:\nsync.(*Mutex).Lock(0xc000010000)\n\tsync/mutex.go:46\nmain.main()\n\tmain.go:3 +0x1\n"))
	f.Add([]byte("goroutine 1 [chan send]:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		var r *Diagnosis
		var parseErr, err error
		go func() {
			defer close(done)
			var snaps []*parser.Snapshot
			if snaps, parseErr = parser.ReadText(bytes.NewReader(data), "fuzz.txt"); parseErr != nil {
				return
			}
			r, err = Analyze(&parser.Capture{Snapshots: snaps}, Options{})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("reading and analyzing did not return within 10s on %q", data)
		}
		if parseErr != nil {
			return
		}
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		for _, fd := range r.Findings {
			if len(fd.Chain) == 0 || fd.Root.Group == nil || fd.Category == "" || fd.Title == "" {
				t.Fatalf("incomplete finding %+v", fd)
			}
		}
	})
}
