package detectors

import (
	"fmt"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// idleRow is a wait that is idle by design: a server connection between
// requests, a datagram socket waiting for packets. Nobody waits on such a
// goroutine, so however many there are it is not stuck. It becomes a
// finding only when something proves it stuck: a wait far beyond the
// protocol's idle timeouts (Limit), a goroutine waiting on it, or growth by
// identity across snapshots (leak.go).
type idleRow struct {
	sig Signature
	// Limit is how long the wait may last before it is beyond any idle
	// timeout of the protocol's usual peers; 0 means never (the wait is
	// idle however long it lasts).
	Limit time.Duration
	// What says, in evidence and reasons, what the goroutine is waiting
	// for.
	What string
}

// idleHTTPLimit is how long an HTTP server connection may sit idle before
// the wait proves the server never times idle connections out: clients
// close idle keep-alive connections after 90 s (net/http's
// DefaultTransport), 60 s (most load balancers) or a few minutes
// (browsers).
const idleHTTPLimit = 10 * time.Minute

// idleRows are the idle-by-design waits.
func idleRows() []idleRow {
	rowR := func(id, lib string, reasons []string, limit time.Duration, what string, frames, not []string) idleRow {
		return idleRow{
			sig:   Signature{ID: id, Library: lib, Frames: frames, Not: not, Background: true, Reasons: reasons},
			Limit: limit, What: what,
		}
	}
	row := func(id, lib string, limit time.Duration, what string, frames, not []string) idleRow {
		return rowR(id, lib, []string{rIOWait}, limit, what, frames, not)
	}
	rows := []idleRow{
		// net/http's conn.serve, after answering a request, waits for the
		// first bytes of the next one with bufio.Reader.Peek before it
		// calls readRequest (so ReadHeaderTimeout starts only then).
		row("net/http.server.keepalive", "net/http", idleHTTPLimit,
			"an idle keep-alive connection waiting in conn.serve for the client's next request",
			[]string{"bufio.(*Reader).Peek", "net/http.(*conn).serve"},
			[]string{"net/http.(*conn).readRequest", "net/http.serverHandler.ServeHTTP", "net/http.HandlerFunc.ServeHTTP"}),
		// Reading the request line: no byte of the request has arrived
		// (a new connection, or on runtimes before the Peek an idle
		// keep-alive one). A client stopped mid-headers is in
		// ReadMIMEHeader instead, and stays a finding.
		row("net/http.server.awaitRequest", "net/http", idleHTTPLimit,
			"a server connection waiting for the first line of the client's next request",
			[]string{"net/textproto.(*Reader).ReadLine", "net/http.(*conn).readRequest"},
			[]string{"net/textproto.(*Reader).ReadMIMEHeader", "net/textproto.(*Reader).readContinuedLineSlice"}),
		// A datagram socket waiting for packets is what Accept is to TCP.
		row("net.udp.server", "net", 0,
			"a datagram socket waiting for the next packet, as a listener waits in Accept",
			[]string{"net.(*UDPConn).Read*"}, nil),
		row("net.unixgram.server", "net", 0,
			"a datagram socket waiting for the next packet, as a listener waits in Accept",
			[]string{"net.(*UnixConn).ReadFrom*"}, nil),
		row("net.ip.server", "net", 0,
			"a raw IP socket waiting for the next packet",
			[]string{"net.(*IPConn).Read*"}, nil),
		// Outside any request, a goroutine waiting for a child process
		// supervises it (a shell session, a worker process): the child's
		// life is the goroutine's job. Under a request it is a hole
		// (signatures_stdlib.go, os/exec.wait).
		rowR("os.process.supervise", "os", []string{rSyscall}, 0,
			"a supervisor waiting for the child process it runs",
			[]string{"os.(*Process).Wait"}, nil),
		// A blocking read on a file outside any request: a reader loop on
		// a terminal, pipe or device, waiting for input.
		rowR("os.file.readLoop", "os", []string{rSyscall}, 0,
			"a reader loop waiting for input on a terminal, pipe or device",
			[]string{"os.(*File).Read"}, nil),
	}
	// A queue consumer parked in a go-redis blocking command (BLPOP,
	// XREAD BLOCK, BZPOPMIN, ...) waits for work by design: the command
	// sets its own read timeout from its block time (cmd.setReadTimeout),
	// and a block time of 0 means until an item arrives. Outside a request
	// that is a worker loop; under one it stays the hole it is (a request
	// waiting forever on an empty list).
	for _, v := range goRedisModules {
		for _, cmd := range redisBlockingCommands {
			rows = append(rows, row(v.mod+".blocking."+cmd, v.mod, 0,
				"a consumer waiting in a blocking Redis command ("+strings.ToUpper(cmd)+") for the next item",
				[]string{v.mod + "/internal/pool.(*Conn).WithReader", v.mod + ".cmdable." + cmd}, nil))
		}
	}
	return rows
}

// redisBlockingCommands are go-redis's methods for the commands that
// block on the server until data arrives or their timeout ends (go-redis
// v6-v9 name them alike on cmdable).
var redisBlockingCommands = []string{
	"BLPop", "BRPop", "BRPopLPush", "BLMove", "BLMPop", "BZPopMax", "BZPopMin", "BZMPop", "XRead", "XReadGroup",
}

// judgeIdleByDesign classifies a group that matches an idle row: idle
// (background) while its wait is within the row's limit, a low-severity
// finding past it. It reports whether it decided the group.
func (a *analysis) judgeIdleByDesign(grp *parser.Group, c *classification, mp *matchPair) bool {
	if !mp.idleDone {
		// Matched once per stack: the nodes split from one group by
		// lock address share it.
		mp.idle, mp.idleM = a.bestIdle(grp.Frames, c.reason)
		mp.idleDone = true
	}
	best, bestM := mp.idle, mp.idleM
	if best == nil {
		return false
	}
	if c.scope != scopeNone && best.sig.Library != "net/http" {
		// Started by a request: a read the request waits for, not a loop.
		return false
	}
	if best.Limit == 0 || grp.WaitKnown == 0 || grp.WaitMax < best.Limit {
		c.background, c.idle = true, true
		c.match, c.matched = bestM, true
		c.reasons = append(c.reasons, "idle by design: "+best.What)
		return true
	}
	c.idleOver = best
	c.why = best.What + ", idle far longer than any client keeps an idle connection: the server sets no " +
		"IdleTimeout (nor ReadTimeout), so it keeps every idle connection and its goroutine until the peer goes away"
	c.reasons = append(c.reasons, fmt.Sprintf("%s for %s, beyond the %s after which peers close idle connections: the server never times them out",
		best.What, human.Wait(grp.WaitMax, true), human.Duration(best.Limit)))
	return false
}

// bestIdle returns the idle row that matches a stack best, nil if none.
func (a *analysis) bestIdle(frames []parser.Frame, reason string) (*idleRow, sigMatch) {
	var best *idleRow
	var bestM sigMatch
	v := a.idleIdx.view(frames)
	for i := range a.idle {
		m, ok := a.idleIdx.rows[i].match(v, reason)
		m.sig = &a.idle[i].sig
		if ok && !m.reasonUnknown && (best == nil || m.better(bestM)) {
			best, bestM = &a.idle[i], m
		}
	}
	return best, bestM
}
