package syncctx

import (
	"context"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

func acquire(s *semaphore.Weighted) {
	s.Acquire(context.Background(), 1) // want `semaphore.Acquire on a background context`
}

func shared(g *singleflight.Group, load func(context.Context) (interface{}, error)) {
	g.Do("k", func() (interface{}, error) { // want `singleflight Do runs its function on context.Background\(\)`
		return load(context.Background())
	})
}

// The correct forms.

func good(ctx context.Context, s *semaphore.Weighted, g *singleflight.Group) {
	s.Acquire(ctx, 1)
	g.Do("k", func() (interface{}, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		return ctx, nil
	})
}
