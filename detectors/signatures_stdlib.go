package detectors

import "github.com/ctxhole/ctxhole/parser"

// Short names for the wait reasons the tables match (spelled once, in
// parser/reason.go).
const (
	rIOWait    = parser.ReasonIOWait
	rSelect    = parser.ReasonSelect
	rChanRecv  = parser.ReasonChanRecv
	rChanSend  = parser.ReasonChanSend
	rSleep     = parser.ReasonSleep
	rSemacq    = parser.ReasonSemacquire
	rMutex     = parser.ReasonMutex
	rRLock     = parser.ReasonRLock
	rWLock     = parser.ReasonWLock
	rWaitGroup = parser.ReasonWaitGroup
	rCond      = parser.ReasonCond
	// rSyscall is the status word of a goroutine in a system call, which
	// the tables match like a reason.
	rSyscall = "syscall"
)

// lockReasons are the wait reasons of a goroutine queued on a sync lock.
var lockReasons = []string{rMutex, rRLock, rWLock}

// stdlibSignatures is the standard library's knowledge: net/http,
// database/sql, net, os/exec, and the generic runtime wait reasons.
func stdlibSignatures() []Signature {
	return []Signature{
		{
			ID: "net/http.client.roundTrip", Library: "net/http",
			Frames:   []string{"net/http.(*persistConn).roundTrip"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an outbound HTTP/1 request was written and is waiting for the response headers or body; " +
				"http.Client.Timeout is zero and the request's context carries no deadline, so nothing ends the wait " +
				"while the server keeps the connection open without answering",
			Fix: fixHTTPClient,
		},
		{
			ID: "net/http.client.getConn", Library: "net/http",
			Frames:   []string{"net/http.(*Transport).getConn"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an outbound HTTP request is waiting for a connection: a dial that does not complete or " +
				"Transport.MaxConnsPerHost reached while every connection is stuck in an earlier request; " +
				"with no client timeout and no context deadline the wait is unbounded",
			Fix: fixHTTPClient,
		},
		{
			ID: "net/http.client.h2", Library: "net/http",
			Frames:   []string{"net/http.(*http2ClientConn).roundTrip"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an outbound HTTP/2 request is waiting for its response on a stream the server never answers; " +
				"with no client timeout and no context deadline the stream stays open forever",
			Fix: fixHTTPClient,
		},
		{
			ID: "net/http.server.read", Library: "net/http",
			Frames:   []string{"net/http.(*connReader).Read", "net/http.(*conn).serve"},
			Reasons:  []string{rIOWait},
			Category: CatHTTPServerNoTimeout, ContextAware: false, Severity: SevMedium,
			Why: "a server connection is waiting for a client to send a request: an idle keep-alive connection " +
				"(waiting in conn.serve for the next request) or a client that stopped mid-headers or mid-body " +
				"(in readRequest); with ReadHeaderTimeout, ReadTimeout and IdleTimeout all zero the server keeps " +
				"the connection and its goroutine forever, and a slowloris client can exhaust file descriptors",
			Fix: fixHTTPServer,
		},
		{
			ID: "net/http.server.write", Library: "net/http",
			Frames:   []string{"net.(*conn).Write", "net/http.(*conn).serve"},
			Reasons:  []string{rIOWait},
			Category: CatHTTPServerNoTimeout, ContextAware: false, Severity: SevHigh,
			Why: "a handler is blocked writing its response to a client that does not read; with WriteTimeout zero " +
				"no write deadline is set and the handler's context is not cancelled while the connection is alive",
			Fix: fixHTTPServer,
		},
		{
			ID: "database/sql.pool", Library: "database/sql",
			Frames:   []string{"database/sql.(*DB).conn"},
			Reasons:  []string{rSelect},
			Category: CatDBPoolExhausted, ContextAware: true, Severity: SevHigh,
			Why: "the goroutine is queued in database/sql for a connection: every connection allowed by " +
				"SetMaxOpenConns is in use; the queue wait honours the context, so a context without deadline " +
				"waits as long as the holders do",
			Fix: fixDBPool,
		},
		{
			ID: "os/exec.wait", Library: "os/exec",
			Frames:   []string{"os.(*Process).Wait", "os/exec.(*Cmd).Wait"},
			Category: CatSyscallBlocked, ContextAware: false, Severity: SevMedium,
			Why: "the goroutine waits for a child process that does not exit; Cmd.Wait has no timeout of its own",
			Fix: fixExec,
		},
		{
			ID: "os/exec.awaitGoroutines", Library: "os/exec",
			Frames:   []string{"os/exec.(*Cmd).awaitGoroutines"},
			Category: CatSyscallBlocked, ContextAware: false, Severity: SevMedium,
			Why: "the child exited but Cmd.Wait is still copying its output: a grandchild inherited the pipe and " +
				"keeps it open, so Wait never returns",
			Fix: fixExec,
		},
		{
			ID: "net.dial", Priority: prioTransport, Library: "net",
			Frames:   []string{"net.(*netFD).connect"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "a TCP dial is waiting for the peer to complete the handshake; net.Dial without a Dialer.Timeout " +
				"or a context deadline waits for the kernel's SYN retries (minutes)",
			Fix: fixNetDeadline,
		},
		{
			ID: "net.lookup", Priority: prioTransport, Library: "net",
			Frames:   []string{"net.(*Resolver).lookupIPAddr"},
			Reasons:  []string{rSelect},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "a DNS lookup is waiting for the resolver; with a context without deadline it waits as long as " +
				"the resolver does",
			Fix: fixNetDeadline,
		},
		{
			ID: "crypto/tls.handshake", Priority: prioTransport, Library: "crypto/tls",
			Frames:   []string{"crypto/tls.(*Conn).HandshakeContext*"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "a TLS handshake is waiting for the peer; without a deadline on the connection or the context " +
				"it never ends",
			Fix: fixNetDeadline,
		},
		{
			ID: "net.read", Priority: prioTransport, Library: "net",
			Frames:   []string{"net.(*conn).Read"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevMedium,
			Why: "a read on a network connection is waiting for data; net.Conn reads ignore contexts and end " +
				"only with data, an error, or a deadline set by SetReadDeadline",
			Fix: fixNetDeadline,
		},
		{
			ID: "net.write", Priority: prioTransport, Library: "net",
			Frames:   []string{"net.(*conn).Write"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevMedium,
			Why: "a write on a network connection is blocked because the peer does not read and the socket " +
				"buffers are full; it ends only with a deadline set by SetWriteDeadline",
			Fix: fixNetDeadline,
		},
		{
			ID: "os.file.read", Priority: prioTransport, Library: "os",
			Frames:   []string{"os.(*File).Read"},
			Reasons:  []string{rIOWait},
			Category: CatIONoDeadline, ContextAware: false, Severity: SevLow,
			Why: "a read on a pipe or device file is waiting for data; os.File reads ignore contexts",
			Fix: fixNetDeadline,
		},
	}
}

// genericSignatures classify by the runtime's wait reason alone, after every
// library and standard-library row has had its chance.
func genericSignatures() []Signature {
	return []Signature{
		{ID: "runtime.chansend.nil", Reasons: []string{parser.ReasonChanSendNil}, Category: CatNilChannel, Severity: SevHigh, Confidence: 0.95,
			Why: "a send on a nil channel blocks forever by construction: no receiver can ever exist", Fix: fixNilChan},
		{ID: "runtime.chanrecv.nil", Reasons: []string{parser.ReasonChanRecvNil}, Category: CatNilChannel, Severity: SevHigh, Confidence: 0.95,
			Why: "a receive on a nil channel blocks forever by construction: nothing can ever be sent", Fix: fixNilChan},
		{ID: "runtime.select.empty", Reasons: []string{parser.ReasonSelectNoCases}, Category: CatEmptySelect, Severity: SevMedium, Confidence: 0.9,
			Why: "select {} (no cases) parks the goroutine forever by construction: no channel is involved and nothing " +
				"can wake it; in main or a daemon's keep-alive that is by design, in a request or a test it is a hang",
			Fix: fixEmptySelect},
		{ID: "runtime.chansend", Reasons: []string{rChanSend}, Category: CatChanSendBlocked, Severity: SevMedium,
			Why: "a plain channel send (no select) waits for a receiver that is gone: the receiver gave up " +
				"(timed out, returned early) and left the sender stranded", Fix: fixChanSend},
		{ID: "runtime.chanrecv", Reasons: []string{rChanRecv}, Category: CatChanRecvBlocked, Severity: SevMedium,
			Why: "a plain channel receive (no select) waits for a value or a close that will not come: " +
				"the sender is gone and the channel is never closed", Fix: fixChanRecv},
		{ID: "sync.Mutex", Reasons: lockReasons, Category: CatMutexConvoy, Severity: SevMedium,
			Why: "the goroutine is queued on a sync lock; locks have no timeout and ignore contexts, so it waits " +
				"as long as the holder keeps the lock", Fix: fixMutex},
		{ID: "sync.semacquire", Frames: []string{"sync.(*Mutex).Lock*"}, Reasons: []string{rSemacq}, Category: CatMutexConvoy, Severity: SevMedium,
			Why: "the goroutine is queued on a sync.Mutex (printed as semacquire by older runtimes)", Fix: fixMutex},
		{ID: "sync.semacquire.rw", Frames: []string{"sync.(*RWMutex).*"}, Reasons: []string{rSemacq}, Category: CatMutexConvoy, Severity: SevMedium,
			Why: "the goroutine is queued on a sync.RWMutex (printed as semacquire by older runtimes)", Fix: fixMutex},
		{ID: "sync.WaitGroup", Reasons: []string{rWaitGroup, "sync.WaitGroup.Wait (durable)"}, Category: CatWaitGroupStuck, Severity: SevMedium,
			Why: "WaitGroup.Wait returns only when every Add is matched by a Done; a worker that is stuck, or " +
				"returned without Done, holds it forever", Fix: fixWaitGroup},
		{ID: "sync.WaitGroup.semacquire", Frames: []string{"sync.(*WaitGroup).Wait"}, Reasons: []string{rSemacq}, Category: CatWaitGroupStuck, Severity: SevMedium,
			Why: "WaitGroup.Wait (printed as semacquire by older runtimes) waits for workers that do not finish", Fix: fixWaitGroup},
		{ID: "sync.Cond", Reasons: []string{rCond}, Category: CatCondWait, Severity: SevMedium,
			Why: "sync.Cond.Wait returns only on Signal or Broadcast and cannot watch a context; nobody is " +
				"left to signal it", Fix: fixCond},
		{ID: "time.Sleep", Reasons: []string{rSleep}, Category: CatSleepPoll, Severity: SevLow,
			Why: "time.Sleep cannot be interrupted: a polling loop built on it notices cancellation only " +
				"between sleeps", Fix: fixSleep},
		{ID: "syscall", Reasons: []string{rSyscall}, Category: CatSyscallBlocked, Severity: SevMedium,
			Why: "the goroutine is inside a system call or cgo call; the Go runtime cannot interrupt it and " +
				"contexts do not reach it", Fix: fixSyscall},
		{ID: "net.poll", Reasons: []string{rIOWait}, Category: CatIONoDeadline, Severity: SevMedium,
			Why: "the goroutine is parked in the network poller waiting for I/O with no deadline", Fix: fixNetDeadline},
	}
}
