package parser

// traceReasons maps the block reasons an execution trace records
// (traceBlockReasonStrings in src/runtime/traceruntime.go) to the wait
// reasons of goroutine dumps (see WaitReasons), so that goroutines from
// dumps and traces share one vocabulary. An empty value means the trace's
// reason is coarser than the dump's and the frames decide.
var traceReasons = map[string]string{
	"network":                      ReasonIOWait,
	"select":                       ReasonSelect,
	"chan send":                    ReasonChanSend,
	"chan receive":                 ReasonChanRecv,
	"sleep":                        ReasonSleep,
	"sync.(*Cond).Wait":            ReasonCond,
	"preempted":                    "preempted",
	"GC mark assist wait for work": "GC assist wait",
	"GC background sweeper wait":   "GC sweep wait",
	"wait for debug call":          "debug call",
	"wait until GC ends":           "wait for GC cycle",
	"GC weak to strong wait":       "GC weak to strong wait",
	"synctest":                     "synctest.Wait",
	"system goroutine wait":        "",
	"sync":                         "",
	"forever":                      "",
	"unspecified":                  "",
	"":                             "",
}

// traceReason returns the normalised wait reason of a trace block with the
// given recorded reason and blocking stack (innermost first). Where the
// trace's reason is coarse ("sync" covers every semaphore of package sync)
// or absent (goroutines already blocked when tracing began), the frames
// decide through inferReason.
func traceReason(recorded string, frames []Frame) string {
	if r, ok := traceReasons[recorded]; ok && r != "" {
		return r
	}
	_, inferred := inferReason(frames)
	if recorded == "forever" {
		// Blocked by construction: a nil channel, or a select with no
		// cases. The frames say which operation.
		switch inferred {
		case ReasonChanRecv:
			return ReasonChanRecvNil
		case ReasonChanSend:
			return ReasonChanSendNil
		}
		return ReasonSelectNoCases
	}
	if inferred != "" {
		return inferred
	}
	if recorded == "sync" {
		return ReasonSemacquire
	}
	if _, ok := traceReasons[recorded]; ok || recorded == "" {
		return ""
	}
	// A reason from a newer runtime than this table: keep it as given.
	return CleanText(recorded)
}
