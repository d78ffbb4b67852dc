package chansend

import (
	"context"
	"net/http"
	"time"
)

type result struct{ v string }

func fetch() string { return "" }

func recommend(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	ch := make(chan result)
	go func() {
		ch <- result{fetch()} // want `chan-send-blocked: send on unbuffered channel ch outside a select on ctx.Done\(\)`
	}()
	select {
	case res := <-ch:
		_ = res
	case <-ctx.Done():
	}
}

func summary(w http.ResponseWriter, r *http.Request) {
	results := make(chan string)
	go price(results)
	q := <-results
	_ = q
}

func price(results chan<- string) {
	results <- fetch() // want `chan-send-blocked: send on channel of unknown capacity results outside a select on a context's Done\(\)`
}

func selectNoDone(ctx context.Context, a, b chan int) {
	select {
	case <-a:
	case <-b:
	}
}

// The correct forms.

func buffered(ctx context.Context) {
	ch := make(chan result, 1)
	go func() { ch <- result{fetch()} }()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

func guarded(ctx context.Context, ch chan int) {
	go func() {
		select {
		case ch <- 1:
		case <-ctx.Done():
		}
	}()
	select {
	case <-ch:
	case <-time.After(time.Second):
	}
	select {
	case v := <-ch:
		_ = v
	default:
	}
	<-ctx.Done()
}

func closedByProducer(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fetch()
	}()
	<-done
}

func noContext(ch chan int) {
	ch <- 1 // no context anywhere: not this analyzer's business
	<-ch
}

type lister struct{ out chan string }

func newLister() *lister  { return &lister{out: make(chan string, 16)} }
func newLister2() *lister { return &lister{out: make(chan string, 1)} }

func (l *lister) run(ctx context.Context) {
	go func() {
		l.out <- fetch() // buffered wherever this package makes it: fine
	}()
}

type unbufLister struct{ out chan string }

func newUnbuf() *unbufLister { return &unbufLister{out: make(chan string)} }

func (l *unbufLister) run(ctx context.Context) {
	go func() {
		defer close(l.out)
		l.out <- fetch() // want `send on unbuffered channel l.out`
	}()
}

type hub struct{ register chan string }

func newHub() *hub { return &hub{register: make(chan string)} }

func (h *hub) run() {
	for {
		select {
		case c := <-h.register:
			_ = c
		}
	}
}

func serveWs(h *hub, w http.ResponseWriter, r *http.Request) {
	h.register <- "client" // the hub's loop never leaves: fine
}

type server struct {
	closing chan struct{}
	reqs    chan int
}

func (s *server) Close() { close(s.closing) }

func (s *server) guardsByVariable(ctx context.Context) {
	done := ctx.Done()
	timeout := time.After(time.Second)
	go func() {
		select {
		case s.reqs <- 1:
		case <-done:
		}
		select {
		case s.reqs <- 2:
		case <-timeout:
		}
		select {
		case s.reqs <- 3:
		case <-s.closing: // closed to signal shutdown
		}
	}()
	select {
	case <-s.reqs:
	case <-s.closing:
	}
	<-s.closing // waits for Close, which closes it
}

// A syncer's loop receives requests until it is told to stop; the
// processor names the same channel differently (wired through params).
type syncParams struct {
	reqs chan string
	done chan struct{}
}

type syncer struct {
	requests <-chan string
	done     chan struct{}
}

type processor struct{ syncCh chan<- string }

func newServer() (*syncer, *processor) {
	ch := make(chan string)
	p := syncParams{reqs: ch, done: make(chan struct{})}
	return &syncer{requests: p.reqs, done: p.done}, &processor{syncCh: p.reqs}
}

func (s *syncer) run() {
	for {
		select {
		case <-s.done:
			return // shutdown only
		case r := <-s.requests:
			_ = r
		}
	}
}

func (p *processor) retry(ctx context.Context) {
	p.syncCh <- "retry" // the syncer serves it until shutdown: fine
}

// A loop that gives up on the request's context is no such receiver.
func collect(ctx context.Context) {
	ch := make(chan string)
	go func() {
		ch <- fetch() // want `send on unbuffered channel ch`
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-ch:
			_ = s
		}
	}
}

// A goroutine that answers requests: each requester waits for its reply
// right after sending the request.
type object struct {
	reqCh chan int
	resCh chan int
}

func newObject(reqCh, resCh chan int) *object { return &object{reqCh: reqCh, resCh: resCh} }

func open(ctx context.Context) *object {
	reqCh := make(chan int)
	resCh := make(chan int)
	go func() {
		defer close(resCh)
		for req := range reqCh {
			resCh <- req * 2 // answered: fine
		}
	}()
	return newObject(reqCh, resCh)
}

func (o *object) get(ctx context.Context, n int) (int, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case o.reqCh <- n:
	}
	res := <-o.resCh
	return res, nil
}

// When a requester may give up on the reply, the reply can strand the
// server.
func openImpatient(ctx context.Context) (chan<- int, <-chan int) {
	reqCh := make(chan int)
	resCh := make(chan int)
	go func() {
		for req := range reqCh {
			resCh <- req // want `send on unbuffered channel resCh`
		}
	}()
	return reqCh, resCh
}

func askImpatient(ctx context.Context, req chan<- int, res <-chan int) {
	req <- 1 // want `send on channel of unknown capacity req`
	select {
	case <-res:
	case <-ctx.Done():
	}
}

// One caller drains the results; another hands them to its caller, who
// may stop reading: the drain does not make the send safe.
func produce(ctx context.Context, out chan<- int) {
	defer close(out)
	for i := 0; i < 3; i++ {
		out <- i // want `send on channel of unknown capacity out`
	}
}

func drain(ctx context.Context) {
	ch := make(chan int)
	go produce(ctx, ch)
	for v := range ch {
		_ = v
	}
}

func results(ctx context.Context) <-chan int {
	ch := make(chan int)
	go produce(ctx, ch)
	return ch
}

// The spawner receives the result on every path: on ctx.Done() it closes
// the connection, which ends the handshake, and then takes the result.
type tlsConn struct{}

func (tlsConn) Handshake() error { return nil }
func (tlsConn) Close() error     { return nil }

func handshake(ctx context.Context, c tlsConn) (err error) {
	errch := make(chan error)
	go func() {
		errch <- c.Handshake() // awaited on every path: fine
	}()
	select {
	case <-ctx.Done():
		c.Close()
		<-errch
		err = ctx.Err()
	case err = <-errch:
	}
	return err
}

// A stop handshake on one channel: the loop answers the stop request its
// requester waits for.
type sniffer struct{ stop chan bool }

func (s *sniffer) loop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			s.stop <- true // answered: fine
			return
		case <-t.C:
		}
	}
}

func (s *sniffer) Stop() {
	s.stop <- true
	<-s.stop
}

// A goroutine that sends in a loop is not covered by one receive.
func handshakes(ctx context.Context, c tlsConn) error {
	errch := make(chan error)
	go func() {
		for i := 0; i < 2; i++ {
			errch <- c.Handshake() // want `send on unbuffered channel errch`
		}
	}()
	select {
	case <-ctx.Done():
		<-errch
		return ctx.Err()
	case err := <-errch:
		return err
	}
}

// Each worker sends once into a buffer its only caller sizes for all of
// them: the send cannot block.
func loadAll(ctx context.Context, n int) {
	results := make(chan string, n)
	for i := 0; i < n; i++ {
		go load(ctx, results)
	}
	for i := 0; i < n; i++ {
		<-results
	}
}

func load(ctx context.Context, results chan<- string) {
	if ctx.Err() != nil {
		results <- "cancelled"
		return
	}
	results <- fetch()
}

// A buffer of one does not cover sends in a loop.
func listAll(ctx context.Context) <-chan string {
	out := make(chan string, 1)
	go list(ctx, out)
	return out
}

func list(ctx context.Context, out chan<- string) {
	defer close(out)
	for i := 0; i < 3; i++ {
		out <- fetch() // want `send on channel of unknown capacity out`
	}
}

// A last send after a loop of sends still counts against the buffer.
func listThenReport(ctx context.Context) <-chan string {
	out := make(chan string, 1)
	go func(out chan<- string) {
		defer func() {
			if ctx.Err() != nil {
				out <- "cancelled" // want `send on channel of unknown capacity out`
			}
			close(out)
		}()
		for i := 0; i < 3; i++ {
			out <- fetch() // want `send on channel of unknown capacity out`
		}
	}(out)
	return out
}

// Each round either sends once or starts the next round with the same
// channels, which its caller made with a buffer of one.
func connect(ctx context.Context) error {
	acks := make(chan string, 1)
	errs := make(chan error, 1)
	go expectAck(acks, errs)
	select {
	case <-acks:
		return nil
	case err := <-errs:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func expectAck(acks chan<- string, errs chan<- error) {
	switch s := fetch(); s {
	case "ack":
		acks <- s
	case "auth":
		go expectAck(acks, errs)
	default:
		errs <- nil
	}
}

// A serving loop that breaks out on an error is no receiver for the
// channel's life.
type pooled struct{ reqs chan<- int }

func dialPooled() *pooled {
	reqs := make(chan int)
	c := &pooled{reqs: reqs}
	go c.run(reqs)
	return c
}

func (c *pooled) run(reqs <-chan int) {
	for r := range reqs {
		if r < 0 {
			break
		}
		select {
		case <-time.After(time.Second):
			break // leaves the select only
		default:
		}
	}
}

func (c *pooled) do(ctx context.Context) {
	c.reqs <- 1 // want `send on unbuffered channel c.reqs`
}
