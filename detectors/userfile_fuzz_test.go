package detectors

import (
	"bytes"
	"testing"

	"github.com/ctxhole/ctxhole/parser"
)

// fuzzDump is a small capture the fuzzed signatures are matched against:
// a lock queue behind a holder in network I/O, and a stranded send.
const fuzzDump = `goroutine 7 [IO wait, 5 minutes]:
internal/poll.runtime_pollWait(0x7f, 0x72)
	runtime/netpoll.go:351 +0x85
net.(*conn).Read(0xc000122000, {0xc000200000, 0x1000, 0x1000})
	net/net.go:194 +0x45
acme.com/store.(*Client).get(0xc000010000)
	acme.com/store/client.go:88 +0x4d
main.(*cache).refresh(0xc000020000)
	main.go:40 +0x31

goroutine 9 [sync.Mutex.Lock, 5 minutes]:
sync.(*Mutex).Lock(0xc000020000)
	sync/mutex.go:46 +0x25
main.(*cache).get(0xc000020000)
	main.go:30 +0x2a

goroutine 11 [chan send, 5 minutes]:
main.worker(0xc000030000)
	main.go:60 +0x3b
created by main.start in goroutine 1
	main.go:55 +0x45
`

// FuzzParseSignatures feeds arbitrary bytes to the --signatures reader
// (a file a user may have been handed): it must answer with rows or an
// error naming the file, never panic, and the rows it accepts must compile
// into the signature index and match a capture without panicking.
func FuzzParseSignatures(f *testing.F) {
	f.Add([]byte(`{"signatures":[{"id":"acme-store","category":"io-no-deadline","frames":["acme.com/store.(*Client).get"],"fix":"set a deadline"}]}`))
	f.Add([]byte(`{"signatures":[{"id":"w","category":"mutex-convoy","frames":["main.*"],"not":["main.(*cache).get"],"lock":true,"held_by":["main.(*cache).refresh"]}]}`))
	f.Add([]byte(`{"signatures":[{"id":"x","category":"nope","frames":["*"]}]}`))
	f.Add([]byte(`{"signatures":[`))
	f.Add([]byte(hostileSignatures()))
	snaps, err := parser.ReadText(bytes.NewReader([]byte(fuzzDump)), "fuzz.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sigs, err := parseSignatures("fuzz.json", data)
		if err != nil {
			if !bytes.Contains([]byte(err.Error()), []byte("fuzz.json")) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if _, err := Analyze(&parser.Capture{Snapshots: snaps}, Options{Signatures: sigs}); err != nil {
			t.Fatalf("Analyze with accepted signatures: %v", err)
		}
	})
}
