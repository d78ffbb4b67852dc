// Command gentraces captures the goroutine profile behind the committed
// `go tool pprof -traces` outputs in ../pprof-traces: labelled goroutines
// blocked on a mutex (through inlined frames), goroutines blocked in a
// channel receive, in select{} and in time.Sleep. Regenerate with
//
//	./regen.sh
package main

import (
	"context"
	"log"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: gentraces OUT.pb.gz")
	}
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for range 3 {
		go pprof.Do(context.Background(), pprof.Labels("handler", "lock", "tenant", "a b"), func(context.Context) {
			mu.Lock()
		})
	}
	for range 2 {
		go func() { <-ch }()
	}
	go func() { select {} }()
	go func() { time.Sleep(time.Hour) }()
	time.Sleep(200 * time.Millisecond) // let every goroutine park
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
