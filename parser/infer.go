package parser

// inference is what one function found near the top of a stack says about
// the goroutine's state.
type inference struct {
	status Status
	reason string
	// weak marks a function that blocks on behalf of many callers
	// (runtime.gopark, a bare semaphore): a more specific function further
	// out in the stack overrides it.
	weak bool
}

func waitingFor(reason string) inference { return inference{status: StatusWaiting, reason: reason} }

// inferTable maps functions to the state a goroutine stopped in them is in.
// The reasons are those the current runtime prints (waitReasonStrings).
// Covered: the runtime's own frames (present in pprof protobuf profiles,
// `go tool pprof -traces` and execution trace stacks) and the library frames
// just above them, which are all the debug=1 text shows (it hides the
// leading runtime frames).
var inferTable = map[string]inference{
	// Generic parking: waiting, reason unknown unless a caller says more.
	"runtime.gopark":       {status: StatusWaiting, weak: true},
	"runtime.goparkunlock": {status: StatusWaiting, weak: true},

	// Channels and select.
	"runtime.chanrecv":  waitingFor(ReasonChanRecv),
	"runtime.chanrecv1": waitingFor(ReasonChanRecv),
	"runtime.chanrecv2": waitingFor(ReasonChanRecv),
	"runtime.chansend":  waitingFor(ReasonChanSend),
	"runtime.chansend1": waitingFor(ReasonChanSend),
	"runtime.selectgo":  waitingFor(ReasonSelect),
	"runtime.block":     waitingFor(ReasonSelectNoCases),
	// Before Go 1.5 select parked in selectgoImpl.
	"runtime.selectgoImpl": waitingFor(ReasonSelect),

	// Network and file I/O through the poller.
	"runtime.netpollblock":               waitingFor(ReasonIOWait),
	"internal/poll.runtime_pollWait":     waitingFor(ReasonIOWait),
	"runtime.poll_runtime_pollWait":      waitingFor(ReasonIOWait),
	"internal/poll.(*pollDesc).wait":     waitingFor(ReasonIOWait),
	"internal/poll.(*pollDesc).waitRead": waitingFor(ReasonIOWait),
	// Before Go 1.9 the poller was reached from package net.
	"net.runtime_pollWait":     waitingFor(ReasonIOWait),
	"net.(*pollDesc).wait":     waitingFor(ReasonIOWait),
	"net.(*pollDesc).waitRead": waitingFor(ReasonIOWait),

	// Semaphores: generic until a sync caller names the primitive.
	"runtime.semacquire1":              {status: StatusWaiting, reason: ReasonSemacquire, weak: true},
	"runtime.semacquire":               {status: StatusWaiting, reason: ReasonSemacquire, weak: true},
	"sync.runtime_Semacquire":          {status: StatusWaiting, reason: ReasonSemacquire, weak: true},
	"internal/sync.runtime_Semacquire": {status: StatusWaiting, reason: ReasonSemacquire, weak: true},
	"sync.runtime_SemacquireWaitGroup": waitingFor(ReasonWaitGroup),
	// Before Go 1.20 RWMutex waited in runtime_SemacquireMutex too: the
	// caller decides when it is an RWMutex method.
	"sync.runtime_SemacquireMutex":          {status: StatusWaiting, reason: ReasonMutex, weak: true},
	"internal/sync.runtime_SemacquireMutex": {status: StatusWaiting, reason: ReasonMutex, weak: true},
	"sync.runtime_SemacquireRWMutexR":       waitingFor(ReasonRLock),
	"sync.runtime_SemacquireRWMutex":        waitingFor(ReasonWLock),
	"sync.(*Mutex).Lock":                    waitingFor(ReasonMutex),
	"sync.(*Mutex).lockSlow":                waitingFor(ReasonMutex),
	"internal/sync.(*Mutex).Lock":           waitingFor(ReasonMutex),
	"internal/sync.(*Mutex).lockSlow":       waitingFor(ReasonMutex),
	"sync.(*RWMutex).RLock":                 waitingFor(ReasonRLock),
	"sync.(*RWMutex).Lock":                  waitingFor(ReasonWLock),
	"sync.(*WaitGroup).Wait":                waitingFor(ReasonWaitGroup),
	"sync.runtime_notifyListWait":           waitingFor(ReasonCond),
	"sync.runtime_Syncsemacquire":           waitingFor(ReasonCond), // before Go 1.7
	"sync.(*Cond).Wait":                     waitingFor(ReasonCond),

	// Timers.
	"time.Sleep":        waitingFor(ReasonSleep),
	"runtime.timeSleep": waitingFor(ReasonSleep),

	// System calls and cgo.
	"syscall.Syscall":                         {status: StatusSyscall},
	"syscall.Syscall6":                        {status: StatusSyscall},
	"syscall.RawSyscall":                      {status: StatusSyscall},
	"syscall.RawSyscall6":                     {status: StatusSyscall},
	"syscall.syscall":                         {status: StatusSyscall},
	"syscall.syscall6":                        {status: StatusSyscall},
	"syscall.rawSyscallNoError":               {status: StatusSyscall},
	"internal/runtime/syscall.Syscall6":       {status: StatusSyscall},
	"runtime/internal/syscall.Syscall6":       {status: StatusSyscall},
	"runtime.cgocall":                         {status: StatusSyscall},
	"runtime.entersyscall":                    {status: StatusSyscall},
	"runtime.entersyscallblock":               {status: StatusSyscall},
	"runtime.reentersyscall":                  {status: StatusSyscall},
	"golang.org/x/sys/unix.Syscall":           {status: StatusSyscall},
	"golang.org/x/sys/unix.Syscall6":          {status: StatusSyscall},
	"golang.org/x/sys/unix.RawSyscall":        {status: StatusSyscall},
	"golang.org/x/sys/unix.RawSyscall6":       {status: StatusSyscall},
	"golang.org/x/sys/unix.RawSyscallNoError": {status: StatusSyscall},

	// The runtime's own background goroutines, parked in their loops.
	"runtime.gcBgMarkWorker":          waitingFor("GC worker (idle)"),
	"runtime.bgsweep":                 waitingFor("GC sweep wait"),
	"runtime.bgscavenge":              waitingFor("GC scavenge wait"),
	"runtime.runfinq":                 waitingFor("finalizer wait"),
	"runtime.runCleanups":             waitingFor("cleanup wait"),
	"runtime.forcegchelper":           waitingFor("force gc (idle)"),
	"runtime.updateMaxProcsGoroutine": waitingFor("GOMAXPROCS updater (idle)"),
	"runtime.traceReader":             waitingFor("trace reader (blocked)"),
	"runtime.ReadTrace":               waitingFor("trace reader (blocked)"),
	"runtime.gcParkAssist":            waitingFor("GC assist wait"),

	// The goroutine writing the profile is the one running.
	"runtime.goroutineProfileWithLabels":               {status: StatusRunning},
	"runtime.pprof_goroutineProfileWithLabels":         {status: StatusRunning},
	"runtime/pprof.runtime_goroutineProfileWithLabels": {status: StatusRunning},
	"runtime/pprof.writeRuntimeProfile":                {status: StatusRunning},
	"runtime/pprof.writeGoroutine":                     {status: StatusRunning},
	"runtime.Stack":                                    {status: StatusRunning},

	// Yielded: runnable again.
	"runtime.Gosched":      {status: StatusRunnable},
	"runtime.goschedImpl":  {status: StatusRunnable},
	"runtime.gosched_m":    {status: StatusRunnable},
	"runtime.asyncPreempt": {status: StatusPreempted, reason: "preempted"},
}

// inferReason infers a goroutine's status and normalised wait reason from
// its stack, innermost frame first, for the formats that print no state:
// pprof profiles, the debug=1 text, `go tool pprof -traces` and execution
// trace stacks; text dumps use it to refine a coarse "semacquire". It walks
// out from the innermost frame through the runtime and standard library
// frames and stops at the first frame of another module: the first specific
// function decides (runtime.chanrecv1 is "chan receive", sync.(*RWMutex).RLock
// "sync.RWMutex.RLock"); a generic one (runtime.gopark, a bare semaphore)
// only counts when nothing more specific follows. Stacks that say nothing —
// user code only, as debug=1 prints a channel wait — give StatusUnknown and
// "".
func inferReason(frames []Frame) (status Status, reason string) {
	var fallback *inference
	for i := range frames {
		fn := frames[i].Func
		if inf, ok := inferTable[fn]; ok {
			if !inf.weak {
				return inf.status, inf.reason
			}
			// A later generic frame refines an earlier one: gopark says
			// nothing, semacquire1 "semacquire", the semaphore's sync
			// wrapper names the primitive.
			if fallback == nil || fallback.reason == "" || fallback.reason == ReasonSemacquire && inf.reason != "" {
				f := inf
				fallback = &f
			}
			continue
		}
		if !isStdFunc(fn) {
			break
		}
	}
	if fallback != nil {
		return fallback.status, fallback.reason
	}
	return StatusUnknown, ""
}

// isStdFunc reports whether fn belongs to the standard library (known by
// its path roots, see IsStdlib), where the frames between a blocking
// primitive and the caller that matters live.
func isStdFunc(fn string) bool {
	pkg := FuncPackage(fn)
	return pkg != "" && IsStdlib(pkg)
}
