package detectors

// netSignatures is what ctxhole knows about network clients: grpc-go,
// x/net/http2, nats.go, amqp091-go and colly. Redis, Kafka, telemetry and
// x/sync are in signatures_clients.go.
func netSignatures() []Signature {
	grpc := "google.golang.org/grpc"
	sigs := []Signature{
		{
			ID: "grpc.client.recv", Library: grpc,
			Frames:   []string{grpc + ".(*clientStream).RecvMsg"},
			Reasons:  []string{rSelect},
			Category: CatGRPCStreamNoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "a gRPC client call is waiting for the server's message on a stream whose context has no " +
				"deadline; gRPC sets none by default, so it waits as long as the server keeps the stream open",
			Fix: fixGRPC,
		},
		{
			ID: "grpc.client.send", Library: grpc,
			Frames:   []string{grpc + ".(*clientStream).SendMsg"},
			Reasons:  []string{rSelect},
			Category: CatGRPCStreamNoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "a gRPC client stream Send is blocked on HTTP/2 flow control (the server does not read) and " +
				"the stream's context has no deadline",
			Fix: fixGRPC,
		},
		{
			ID: "grpc.server.recv", Library: grpc,
			Frames:   []string{grpc + ".(*serverStream).RecvMsg"},
			Reasons:  []string{rSelect},
			Category: CatGRPCStreamNoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "a gRPC server handler is waiting for the client's next message; the client set no deadline " +
				"and the server has no MaxConnectionIdle/keepalive enforcement to end the stream",
			Fix: fixGRPC,
		},
		{
			ID: "grpc.server.send", Library: grpc,
			Frames:   []string{grpc + ".(*serverStream).SendMsg"},
			Reasons:  []string{rSelect},
			Category: CatGRPCStreamNoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "a gRPC server handler is blocked sending to a client that does not read (HTTP/2 flow control); " +
				"the stream's context carries no deadline",
			Fix: fixGRPC,
		},
		{
			ID: "grpc.pick", Library: grpc,
			Frames:   []string{grpc + ".(*pickerWrapper).pick"},
			Reasons:  []string{rSelect},
			Category: CatGRPCStreamNoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "a gRPC call is waiting for a ready connection (the server is unreachable and the call waits " +
				"for ready, or name resolution never completes); without a deadline it waits forever",
			Fix: fixGRPC,
		},
		{
			// v1.85.0: (*clientStream).Header waits in the transport's
			// (*ClientStream).waitOnHeader for the server's headers.
			ID: "grpc.client.header", Library: grpc,
			Frames:   []string{grpc + ".(*clientStream).Header"},
			Reasons:  []string{rSelect, rChanRecv},
			Category: CatGRPCStreamNoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "a gRPC client is waiting for the server's response headers on a stream whose context has no " +
				"deadline; a server that accepted the stream and never answers holds it forever",
			Fix: fixGRPC,
		},
		{
			ID: "x/net/http2.client", Library: "golang.org/x/net/http2",
			Frames:   []string{"golang.org/x/net/http2.(*ClientConn).*"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an HTTP/2 request through golang.org/x/net/http2 is waiting for the response on a stream the " +
				"server never answers; no client timeout and no context deadline bound it",
			Fix: fixHTTPClient,
		},
		{
			ID: "nats.request", Library: "github.com/nats-io/nats.go",
			Frames:   []string{"github.com/nats-io/nats.go.(*Conn).*equestWithContext"},
			Reasons:  []string{rSelect},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevMedium,
			Why: "a NATS request waits for a reply with a context without deadline; if no responder answers it " +
				"waits forever",
			Fix: fixNATS,
		},
		{
			ID: "nats.nextmsg", Library: "github.com/nats-io/nats.go",
			Frames:   []string{"github.com/nats-io/nats.go.(*Subscription).NextMsgWithContext"},
			Reasons:  []string{rSelect},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevLow,
			Why: "a NATS subscription read waits for the next message with a context without deadline",
			Fix: fixNATS,
		},
		{
			ID: "colly.limit", Library: "github.com/gocolly/colly/v2",
			Frames:   []string{"github.com/gocolly/colly/v2.(*httpBackend).Do"},
			Reasons:  []string{rChanSend},
			Category: CatChanSendBlocked, ContextAware: false, Severity: SevHigh, Confidence: 0.85,
			Why: "colly's HTTP backend sends on its LimitRule's waitChan (the per-domain parallelism " +
				"semaphore) before each request; the slots are held by requests that do not finish, so every " +
				"new request goroutine blocks on the plain send, unbounded",
			Fix: fixColly,
		},
	}
	for _, mod := range []string{"github.com/rabbitmq/amqp091-go", "github.com/streadway/amqp"} {
		sigs = append(sigs,
			Signature{
				ID: mod + ".call", Library: mod,
				Frames:   []string{mod + ".(*Channel).call"},
				Reasons:  []string{rChanRecv, rSelect},
				Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh,
				Why: "an AMQP channel method is waiting for the broker's reply; channel calls have no timeout",
				Fix: fixAMQP,
			},
			Signature{
				ID: mod + ".send", Library: mod,
				Frames:   []string{mod + ".(*Connection).send"},
				Reasons:  []string{rIOWait, rMutex},
				Category: CatIONoDeadline, ContextAware: false, Severity: SevHigh,
				Why: "an AMQP publish is blocked writing to the broker (flow control after a memory or disk " +
					"alarm blocks the connection)",
				Fix: fixAMQP,
			},
			Signature{
				ID: mod + ".confirm", Library: mod,
				Frames:   []string{mod + ".(*DeferredConfirmation).Wait"},
				Reasons:  []string{rChanRecv, rSelect},
				Category: CatIONoDeadline, ContextAware: false, Severity: SevMedium,
				Why: "a publisher waits for a broker confirm with DeferredConfirmation.Wait, which has no timeout",
				Fix: fixAMQP,
			})
	}
	return sigs
}
