package parser

// The wait reasons the analysis names, as the runtime prints them: the one
// spelling of each, which the parser normalises to and the detectors'
// signature tables match.
const (
	ReasonIOWait        = "IO wait"
	ReasonSelect        = "select"
	ReasonSelectNoCases = "select (no cases)"
	ReasonChanRecv      = "chan receive"
	ReasonChanSend      = "chan send"
	ReasonChanRecvNil   = "chan receive (nil chan)"
	ReasonChanSendNil   = "chan send (nil chan)"
	ReasonSleep         = "sleep"
	ReasonSemacquire    = "semacquire"
	ReasonMutex         = "sync.Mutex.Lock"
	ReasonRLock         = "sync.RWMutex.RLock"
	ReasonWLock         = "sync.RWMutex.Lock"
	ReasonWaitGroup     = "sync.WaitGroup.Wait"
	ReasonCond          = "sync.Cond.Wait"
)

// waitReasons lists the wait reason strings of the current runtime
// (waitReasonStrings in src/runtime/runtime2.go, Go 1.26), the vocabulary
// Goroutine.Reason is normalised to.
var waitReasons = [...]string{
	"GC assist marking",
	ReasonIOWait,
	ReasonChanRecvNil,
	ReasonChanSendNil,
	"dumping heap",
	"garbage collection",
	"garbage collection scan",
	"panicwait",
	ReasonSelect,
	ReasonSelectNoCases,
	"GC assist wait",
	"GC sweep wait",
	"GC scavenge wait",
	ReasonChanRecv,
	ReasonChanSend,
	"finalizer wait",
	"force gc (idle)",
	"GOMAXPROCS updater (idle)",
	ReasonSemacquire,
	ReasonSleep,
	ReasonCond,
	ReasonMutex,
	ReasonRLock,
	ReasonWLock,
	ReasonWaitGroup,
	"trace reader (blocked)",
	"wait for GC cycle",
	"GC worker (idle)",
	"GC worker (active)",
	"preempted",
	"debug call",
	"GC mark termination",
	"stopping the world",
	"flushing proc caches",
	"trace goroutine status",
	"trace proc status",
	"page trace flush",
	"coroutine",
	"GC weak to strong wait",
	"synctest.Run",
	"synctest.Wait",
	"chan receive (durable)",
	"chan send (durable)",
	"select (durable)",
	"sync.WaitGroup.Wait (durable)",
	"cleanup wait",
}

// WaitReasons returns the current runtime's wait reason strings.
func WaitReasons() []string { return append([]string(nil), waitReasons[:]...) }

// waitReasonSet indexes waitReasons for lookups keyed by a byte slice.
var waitReasonSet = func() map[string]struct{} {
	m := make(map[string]struct{}, len(waitReasons))
	for _, r := range waitReasons {
		m[r] = struct{}{}
	}
	return m
}()

// isWaitReason reports whether s is one of the current runtime's wait
// reason strings.
func isWaitReason(s []byte) bool {
	_, ok := waitReasonSet[string(s)]
	return ok
}

// statusWords maps the runtime's status words (gStatusStrings) to a
// Status. The runtime prints a wait reason instead of "waiting" whenever
// the goroutine has one.
var statusWords = map[string]Status{
	"idle":                     StatusIdle,
	"runnable":                 StatusRunnable,
	"running":                  StatusRunning,
	"syscall":                  StatusSyscall,
	"waiting":                  StatusWaiting,
	"dead":                     StatusDead,
	"copystack":                StatusCopystack,
	"preempted":                StatusPreempted,
	"leaked":                   StatusLeaked,
	"waiting for cgo callback": StatusCgoCallback,
}

// classifyState returns the status and the wait reason a printed state
// stands for. Anything that is not a status word is a wait reason: the
// current vocabulary, an older one ("timer goroutine (idle)") kept as
// printed, or "semacquire", which normaliseReason refines from the frames.
// "preempted" is both a status word and a wait reason; the status wins.
func classifyState(state string, leaked bool) (Status, string) {
	st, ok := statusWords[state]
	switch {
	case leaked && ok:
		return StatusLeaked, ""
	case leaked:
		return StatusLeaked, state
	case ok && st == StatusPreempted:
		return StatusPreempted, "preempted"
	case ok:
		return st, ""
	default:
		return StatusWaiting, state
	}
}

// semacquireCallers maps the sync functions that block in a semaphore to
// the wait reason the current runtime prints for them. Before Go 1.20 all
// of them printed "semacquire" (WaitGroup.Wait until Go 1.24).
var semacquireCallers = map[string]string{
	"sync.(*Mutex).Lock":              ReasonMutex,
	"sync.(*Mutex).lockSlow":          ReasonMutex,
	"internal/sync.(*Mutex).Lock":     ReasonMutex,
	"internal/sync.(*Mutex).lockSlow": ReasonMutex,
	"sync.(*RWMutex).RLock":           ReasonRLock,
	"sync.(*RWMutex).Lock":            ReasonWLock,
	"sync.(*WaitGroup).Wait":          ReasonWaitGroup,
	"sync.(*Cond).Wait":               ReasonCond,
}

// normaliseReason refines a coarse wait reason from the goroutine's frames:
// "semacquire" under a sync.Mutex, RWMutex, WaitGroup or Cond becomes the
// reason the current runtime prints for it. Other reasons are returned as
// they are.
func normaliseReason(reason string, frames []Frame) string {
	if reason != ReasonSemacquire {
		return reason
	}
	for i := range frames {
		if r, ok := semacquireCallers[frames[i].Func]; ok {
			return r
		}
	}
	return reason
}
