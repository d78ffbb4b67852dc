package parser

import "testing"

func TestInferReason(t *testing.T) {
	stack := func(fns ...string) []Frame {
		out := make([]Frame, len(fns))
		for i, f := range fns {
			out[i] = Frame{Func: f}
		}
		return out
	}
	tests := []struct {
		name   string
		frames []Frame
		status Status
		reason string
	}{
		{"empty", nil, StatusUnknown, ""},
		{"chan receive", stack("runtime.gopark", "runtime.chanrecv", "runtime.chanrecv1", "main.f"), StatusWaiting, "chan receive"},
		{"chan receive ok", stack("runtime.gopark", "runtime.chanrecv", "runtime.chanrecv2", "main.f"), StatusWaiting, "chan receive"},
		{"chan send", stack("runtime.gopark", "runtime.chansend", "runtime.chansend1", "main.f"), StatusWaiting, "chan send"},
		{"select", stack("runtime.gopark", "runtime.selectgo", "main.f"), StatusWaiting, "select"},
		{"select no cases", stack("runtime.gopark", "runtime.block", "main.f"), StatusWaiting, "select (no cases)"},
		{"net read", stack("runtime.gopark", "runtime.netpollblock", "internal/poll.runtime_pollWait",
			"internal/poll.(*pollDesc).wait", "internal/poll.(*FD).Read", "net.(*conn).Read", "main.f"), StatusWaiting, "IO wait"},
		{"mutex go1.24", stack("runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1", "internal/sync.runtime_SemacquireMutex",
			"internal/sync.(*Mutex).lockSlow", "internal/sync.(*Mutex).Lock", "sync.(*Mutex).Lock", "main.f"), StatusWaiting, "sync.Mutex.Lock"},
		{"mutex go1.20", stack("runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1", "sync.runtime_SemacquireMutex",
			"sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "main.f"), StatusWaiting, "sync.Mutex.Lock"},
		{"rlock go1.19", stack("runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1", "sync.runtime_SemacquireMutex",
			"sync.(*RWMutex).RLock", "main.f"), StatusWaiting, "sync.RWMutex.RLock"},
		{"rwlock readers go1.19", stack("runtime.gopark", "runtime.semacquire1", "sync.runtime_SemacquireMutex",
			"sync.(*RWMutex).Lock", "main.f"), StatusWaiting, "sync.RWMutex.Lock"},
		{"mutex semaphore only", stack("runtime.gopark", "runtime.semacquire1", "sync.runtime_SemacquireMutex", "main.f"),
			StatusWaiting, "sync.Mutex.Lock"},
		{"rlock", stack("runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1", "sync.runtime_SemacquireRWMutexR",
			"sync.(*RWMutex).RLock", "main.f"), StatusWaiting, "sync.RWMutex.RLock"},
		{"rwlock readers", stack("runtime.gopark", "runtime.goparkunlock", "runtime.semacquire1", "sync.runtime_SemacquireRWMutex",
			"sync.(*RWMutex).Lock", "main.f"), StatusWaiting, "sync.RWMutex.Lock"},
		{"rwlock writer queue", stack("runtime.gopark", "runtime.semacquire1", "sync.runtime_SemacquireMutex",
			"sync.(*Mutex).lockSlow", "sync.(*Mutex).Lock", "sync.(*RWMutex).Lock", "main.f"), StatusWaiting, "sync.Mutex.Lock"},
		{"waitgroup go1.24", stack("runtime.gopark", "runtime.semacquire1", "sync.runtime_SemacquireWaitGroup", "sync.(*WaitGroup).Wait", "main.f"),
			StatusWaiting, "sync.WaitGroup.Wait"},
		{"waitgroup old", stack("runtime.gopark", "runtime.semacquire1", "sync.runtime_Semacquire", "sync.(*WaitGroup).Wait", "main.f"),
			StatusWaiting, "sync.WaitGroup.Wait"},
		{"bare semaphore", stack("runtime.gopark", "runtime.semacquire1", "sync.runtime_Semacquire", "golang.org/x/sync/semaphore.f"),
			StatusWaiting, "semacquire"},
		{"cond", stack("runtime.gopark", "sync.runtime_notifyListWait", "sync.(*Cond).Wait", "main.f"), StatusWaiting, "sync.Cond.Wait"},
		{"cond go1.4", stack("runtime.park", "runtime.parkunlock", "sync.runtime_Syncsemacquire", "sync.(*Cond).Wait", "main.f"), StatusWaiting, "sync.Cond.Wait"},
		{"select go1.4", stack("runtime.gopark", "runtime.selectgoImpl", "runtime.selectgo", "main.f"), StatusWaiting, "select"},
		{"net read go1.8", stack("runtime.gopark", "runtime.netpollblock", "net.runtime_pollWait", "net.(*pollDesc).wait", "main.f"), StatusWaiting, "IO wait"},
		{"sleep", stack("runtime.gopark", "time.Sleep", "main.f"), StatusWaiting, "sleep"},
		{"syscall", stack("syscall.Syscall6", "os.(*Process).blockUntilWaitable", "os.(*Process).wait"), StatusSyscall, ""},
		{"syscall go1.21", stack("internal/runtime/syscall.Syscall6", "syscall.Syscall6", "syscall.read", "main.f"), StatusSyscall, ""},
		{"x/sys", stack("golang.org/x/sys/unix.Syscall", "main.f"), StatusSyscall, ""},
		{"cgo", stack("runtime.cgocall", "main._Cfunc_sleep", "main.f"), StatusSyscall, ""},
		{"gc worker", stack("runtime.gopark", "runtime.gcBgMarkWorker"), StatusWaiting, "GC worker (idle)"},
		{"profiler", stack("runtime.goroutineProfileWithLabels", "runtime.pprof_goroutineProfileWithLabels",
			"runtime/pprof.writeRuntimeProfile", "main.main"), StatusRunning, ""},
		{"gopark only", stack("runtime.gopark", "main.f"), StatusWaiting, ""},
		// debug=1 hides the runtime frames: user code alone says nothing.
		{"user code only", stack("main.f", "main.main"), StatusUnknown, ""},
		// The search stops at the first frame outside the standard library:
		// time.Sleep further out does not make a running worker sleep.
		{"stops at user code", stack("main.work", "time.Sleep"), StatusUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, r := inferReason(tt.frames)
			if st != tt.status || r != tt.reason {
				t.Errorf("inferReason = %v %q, want %v %q", st, r, tt.status, tt.reason)
			}
		})
	}
}

// Every reason inferReason can give is one the current runtime prints.
func TestInferReasonVocabulary(t *testing.T) {
	known := map[string]bool{"": true}
	for _, r := range WaitReasons() {
		known[r] = true
	}
	for fn, inf := range inferTable {
		if !known[inf.reason] {
			t.Errorf("%s infers %q, not a runtime wait reason", fn, inf.reason)
		}
	}
}
