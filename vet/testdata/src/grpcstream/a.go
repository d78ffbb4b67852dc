package grpcstream

import (
	"context"
	"time"

	"google.golang.org/grpc"
)

var desc = &grpc.StreamDesc{StreamName: "Watch"}

func watch(cc *grpc.ClientConn) error {
	stream, err := cc.NewStream(context.Background(), desc, "/svc/Watch") // want `grpc-stream-no-deadline: gRPC stream NewStream opened on a background context`
	if err != nil {
		return err
	}
	return stream.RecvMsg(nil)
}

func cancelOnly(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := cc.NewStream(ctx, desc, "/svc/Watch") // want `opened on a context derived from Background with no deadline`
	return err
}

// The correct forms.

func bounded(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := cc.NewStream(ctx, desc, "/svc/Watch")
	return err
}

func fromCaller(ctx context.Context, cc *grpc.ClientConn) error {
	_, err := cc.NewStream(ctx, desc, "/svc/Watch")
	return err
}

func unary(cc *grpc.ClientConn) error {
	return cc.Invoke(context.Background(), "/svc/Get", nil, nil) // not a stream
}
