package parser

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// FuzzReadText checks that no input makes ReadText panic, return an error
// of another type, count more goroutines than header-like lines, or store
// a string with control characters. Seeds cover each construct of the
// format; testdata/fuzz/FuzzReadText holds more.
func FuzzReadText(f *testing.F) {
	for _, seed := range []string{
		twoGoroutines,
		"panic: boom [recovered, repanicked]\n\tpanic: again\n\ngoroutine 1 gp=0xd0194452b40 m=0 mp=0x7c2340 [running]:\npanic({0x5d3e40?, 0x6a4b10?})\n\t/usr/local/go/src/runtime/panic.go:860 +0x13a fp=0xd01944a5f38 sp=0xd01944a5f18 pc=0x48e66e\nmain.main()\n\t/src/main.go:3 +0x25\nexit status 2\n",
		"SIGQUIT: quit\nPC=0x4923a1 m=0 sigcode=0\n\ngoroutine 0 gp=0x7c1340 m=0 mp=0x7c2340 [idle]:\nruntime.futex(0x7c2498, 0x80, 0x0)\n\t/usr/local/go/src/runtime/sys_linux_amd64.s:557 +0x21 fp=0x7ffca7a864e8 sp=0x7ffca7a864e0 pc=0x4923a1\n\nrax    0xca\nrflags 0x286\n\n-----\n\nSIGQUIT: quit\n",
		"panic: test timed out after 1s\n\trunning tests:\n\t\tTestHang (1s)\n\ngoroutine 20 [running]:\ntesting.(*M).startAlarm.func1()\n\t/usr/local/go/src/testing/testing.go:2484 +0x394\n",
		"fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [select (no cases)]:\nmain.main()\n\t/tmp/main.go:8 +0x3c\n",
		"goroutine 40 [select, 5 minutes, locked to thread, synctest bubble 9 labels:{\"a\": \"b\"}]:\nmain.r(...)\n\t/src/main.go:5\n...12 frames elided...\ncreated by main.start in goroutine 7\n\t/src/main.go:20 +0x3c\n[originating from goroutine 7]:\nmain.start(...)\n\t/src/main.go:20 +0x3c\n...additional frames elided...\n",
		"2026-11-23T11:04:05.123456789Z goroutine 1 [running]:\n2026-11-23T11:04:05.12345679Z main.main()\n2026-11-23T11:04:05.1234568Z \t/src/main.go:5 +0x1d\n",
		"app | goroutine 1 [semacquire]:\napp | sync.(*Mutex).Lock(0x1)\napp | \t/src/m.go:1 +0x1\n",
		"goroutine 5 [running]:\n\tgoroutine running on other thread; stack unavailable\nnon-Go function at pc=0x4a1b2c\n",
		"==================\nWARNING: DATA RACE\nWrite at 0x00c000012345 by goroutine 7:\n  main.f()\n      /src/main.go:9 +0x44\n==================\ngoroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n",
	} {
		f.Add([]byte(seed))
	}
	if dir := realworldDirOrEmpty(); dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "21-colly-crawler-chan-send-pileup-debug2-excerpt.txt")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkReadTextInvariants(t, b)
	})
}

// realworldDirOrEmpty is realworldDir for fuzz seeding: "" when absent.
func realworldDirOrEmpty() string {
	return testrepo.RealWorldDir()
}
