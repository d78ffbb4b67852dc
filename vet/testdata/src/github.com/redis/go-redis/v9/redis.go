// Package redis is a stub of github.com/redis/go-redis/v9 for the analyzer tests.
package redis

import (
	"context"
	"time"
)

type Options struct {
	Addr         string
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

type Cmder interface{}

type Pipeliner interface {
	Exec(ctx context.Context) ([]Cmder, error)
}

type Client struct{}

func NewClient(o *Options) *Client { return &Client{} }
func (c *Client) Pipelined(ctx context.Context, fn func(Pipeliner) error) ([]Cmder, error) {
	return nil, nil
}
func (c *Client) Pipeline() Pipeliner { return nil }
