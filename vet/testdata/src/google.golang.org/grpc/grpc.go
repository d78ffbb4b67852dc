// Package grpc is a stub of google.golang.org/grpc for the analyzer tests.
package grpc

import "context"

type ClientStream interface {
	SendMsg(m any) error
	RecvMsg(m any) error
	CloseSend() error
	Context() context.Context
}

type StreamDesc struct{ StreamName string }

type ClientConn struct{}

func (cc *ClientConn) NewStream(ctx context.Context, desc *StreamDesc, method string) (ClientStream, error) {
	return nil, nil
}

func (cc *ClientConn) Invoke(ctx context.Context, method string, args, reply any) error { return nil }
