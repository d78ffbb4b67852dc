// Package parser reads what an on-call engineer has in hand after a Go
// service hangs — goroutine dumps in every text variant the runtime prints,
// the aggregated debug=1 text, pprof goroutine/mutex/block profiles, the text
// of `go tool pprof -traces`, and Go execution traces — into one in-memory
// model (see [Capture]).
//
// Formats are sniffed from content, never from file names. Gzip is
// decompressed transparently with a cap on the decompressed size. Input is
// untrusted: every reader reports malformed input as an error naming the
// file and line or byte offset, analyzes truncated captures as far as they
// go with a [Warning], and strips terminal control characters from every
// string it stores.
//
// The unit later stages work in is the [Group]: identical goroutines (same
// state and frames) folded together with their count, IDs and wait range.
package parser
