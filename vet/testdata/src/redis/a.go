package redis

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

func client() *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:        "cache:6379",
		ReadTimeout: -1, // want `io-no-deadline: go-redis ReadTimeout: -1 disables the socket deadline`
	})
}

func pipeline(c *redis.Client) {
	c.Pipelined(context.Background(), func(redis.Pipeliner) error { return nil }) // want `go-redis pipeline Pipelined on a background context`
	c.Pipeline().Exec(context.TODO())                                             // want `go-redis pipeline Exec on a background context`
}

// The correct forms.

func good(ctx context.Context, c *redis.Client) *redis.Client {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c.Pipelined(ctx, func(redis.Pipeliner) error { return nil })
	c.Pipeline().Exec(ctx)
	return redis.NewClient(&redis.Options{Addr: "cache:6379", ReadTimeout: 3 * time.Second})
}
