// Package vet finds timeout holes in Go source: the calls, literals and
// channel operations that a goroutine dump would show stuck once the peer
// stops answering. Each analyzer is a golang.org/x/tools/go/analysis
// Analyzer, so they run under go vet -vettool (cmd/ctxhole-vet), under
// "ctxhole vet" and in any analysis driver; each diagnostic carries the
// runtime category ID (Diagnostic.Category) and fix summary that "ctxhole
// analyze" gives the same hole in a dump, taken from the detectors'
// signature tables.
package vet

import (
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/lostcancel"
)

// LostCancel is x/tools' lostcancel analyzer, reused as is: the cancel
// function of WithCancel/WithTimeout/WithDeadline not called on every
// path leaks the context (and its timer) until the parent is cancelled.
// Its diagnostics are goroutine-leak holes.
var LostCancel = lostcancel.Analyzer

// Analyzers returns every analyzer, in documentation order.
func Analyzers() []*analysis.Analyzer {
	return []*analysis.Analyzer{HTTPClient, HTTPServer, DB, ChanSend, ChanRecv, GRPCStream, Redis, SyncCtx, OTelBlocking, ResourceLeak, LostCancel}
}

// Category returns the runtime category ID an analyzer's diagnostics
// carry when the analyzer does not set Diagnostic.Category itself
// (lostcancel).
func Category(a *analysis.Analyzer) string {
	if a == LostCancel {
		return string(holeLostCancel.Category)
	}
	return ""
}
