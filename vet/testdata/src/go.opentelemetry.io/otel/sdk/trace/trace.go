// Package trace is a stub of go.opentelemetry.io/otel/sdk/trace for the analyzer tests.
package trace

type BatchSpanProcessorOption func()

func WithBlocking() BatchSpanProcessorOption                            { return nil }
func WithMaxQueueSize(n int) BatchSpanProcessorOption                   { return nil }
func NewBatchSpanProcessor(e any, opts ...BatchSpanProcessorOption) any { return nil }
