package otel

import "go.opentelemetry.io/otel/sdk/trace"

func exporter(e any) any {
	return trace.NewBatchSpanProcessor(e, trace.WithBlocking()) // want `io-no-deadline: trace.WithBlocking\(\)`
}

// The correct form.

func good(e any) any {
	return trace.NewBatchSpanProcessor(e, trace.WithMaxQueueSize(4096))
}
