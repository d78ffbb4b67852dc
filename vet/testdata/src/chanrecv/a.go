package chanrecv

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
		ch <- result{fetch()}
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
	q := <-results // want `chan-recv-blocked: receive from unbuffered channel results outside a select on r.Context\(\).Done\(\)`
	_ = q
}

func price(results chan<- string) {
	results <- fetch()
}

func selectNoDone(ctx context.Context, a, b chan int) {
	select {
	case <-a: // want `chan-recv-blocked: receive from channel of unknown capacity a`
	case <-b: // want `chan-recv-blocked: receive from channel of unknown capacity b`
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

func watch(ctx context.Context, key string) <-chan string { return nil }

func fromWatch(ctx context.Context) {
	wch := watch(ctx, "k")
	<-wch // the producer is bound to ctx and closes wch when ctx ends
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

func closedByReader(ctx context.Context, next func() bool) {
	waitc := make(chan struct{})
	go func() {
		for {
			if !next() {
				close(waitc)
				return
			}
		}
	}()
	<-waitc // the reader closes it when the stream ends
}

// A producer that closes its parameter with defer releases the receiver,
// whatever name the spawner gives the channel.
func waitReady(ready chan<- struct{}) {
	defer close(ready)
	fetch()
}

func backPressure(ctx context.Context) {
	ready := make(chan struct{})
	go waitReady(ready)
	<-ready
}

// So does one that closes it after its loop with no return before.
func pump(lines []string, done chan struct{}) {
	for _, l := range lines {
		if l == "" {
			break
		}
	}
	close(done)
}

func pumpAll(ctx context.Context, lines []string) {
	done := make(chan struct{})
	go pump(lines, done)
	<-done
}

// One that can return first does not.
func pumpOrFail(lines []string, done chan struct{}) {
	if len(lines) == 0 {
		return
	}
	close(done)
}

func pumpSome(ctx context.Context, lines []string) {
	done := make(chan struct{})
	go pumpOrFail(lines, done)
	<-done // want `receive from unbuffered channel done`
}

// An event another type promises to close is waited for as ctx.Done() is.
type message struct{ acked, nacked chan struct{} }

func (m *message) Acked() <-chan struct{}  { return m.acked }
func (m *message) Nacked() <-chan struct{} { return m.nacked }

func observe(ctx context.Context, m *message) {
	go func() {
		select {
		case <-m.Acked():
		case <-m.Nacked():
		}
	}()
}

// A token bucket every caller sizes: releasing a token takes one that is
// there.
func runLimited(ctx context.Context, jobs []string) {
	limiter := make(chan struct{}, 4)
	for _, j := range jobs {
		limiter <- struct{}{}
		go runJob(ctx, j, limiter)
	}
}

func runJob(ctx context.Context, j string, limiter chan struct{}) {
	_ = j
	<-limiter
}

// Whichever context-bound producer a branch starts, it closes the channel
// when its context ends.
func consumeGroup(ctx context.Context) (<-chan struct{}, error)      { return nil, nil }
func consumePartitions(ctx context.Context) (<-chan struct{}, error) { return nil, nil }

func subscribe(ctx context.Context, group bool) error {
	var closed <-chan struct{}
	var err error
	if group {
		closed, err = consumeGroup(ctx)
	} else {
		closed, err = consumePartitions(ctx)
	}
	if err != nil {
		return err
	}
	go func() {
		<-closed
	}()
	return nil
}

// CloseNotify fires when the client goes, as the request's context does.
func stream(w http.ResponseWriter, r *http.Request, events chan []byte) {
	notify := w.(http.CloseNotifier).CloseNotify()
	for {
		select {
		case <-notify:
			return
		case e := <-events:
			w.Write(e)
		}
	}
}
