package parser

// WaitReasons lists the wait reason strings of the current runtime
// (waitReasonStrings in src/runtime/runtime2.go, Go 1.26), the vocabulary
// Goroutine.Reason is normalised to.
var waitReasons = [...]string{
	"GC assist marking",
	"IO wait",
	"chan receive (nil chan)",
	"chan send (nil chan)",
	"dumping heap",
	"garbage collection",
	"garbage collection scan",
	"panicwait",
	"select",
	"select (no cases)",
	"GC assist wait",
	"GC sweep wait",
	"GC scavenge wait",
	"chan receive",
	"chan send",
	"finalizer wait",
	"force gc (idle)",
	"GOMAXPROCS updater (idle)",
	"semacquire",
	"sleep",
	"sync.Cond.Wait",
	"sync.Mutex.Lock",
	"sync.RWMutex.RLock",
	"sync.RWMutex.Lock",
	"sync.WaitGroup.Wait",
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
	"sync.(*Mutex).Lock":              "sync.Mutex.Lock",
	"sync.(*Mutex).lockSlow":          "sync.Mutex.Lock",
	"internal/sync.(*Mutex).Lock":     "sync.Mutex.Lock",
	"internal/sync.(*Mutex).lockSlow": "sync.Mutex.Lock",
	"sync.(*RWMutex).RLock":           "sync.RWMutex.RLock",
	"sync.(*RWMutex).Lock":            "sync.RWMutex.Lock",
	"sync.(*WaitGroup).Wait":          "sync.WaitGroup.Wait",
	"sync.(*Cond).Wait":               "sync.Cond.Wait",
}

// normaliseReason refines a coarse wait reason from the goroutine's frames:
// "semacquire" under a sync.Mutex, RWMutex, WaitGroup or Cond becomes the
// reason the current runtime prints for it. Other reasons are returned as
// they are.
func normaliseReason(reason string, frames []Frame) string {
	if reason != "semacquire" {
		return reason
	}
	for i := range frames {
		if r, ok := semacquireCallers[frames[i].Func]; ok {
			return r
		}
	}
	return reason
}
