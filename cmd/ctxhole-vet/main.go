// Command ctxhole-vet runs ctxhole's timeout-hole analyzers (package vet)
// as a go vet tool:
//
//	go install github.com/ctxhole/ctxhole/cmd/ctxhole-vet
//	go vet -vettool=$(which ctxhole-vet) ./...
//
// It also runs standalone (ctxhole-vet ./...) with the multichecker flags
// (-json, -fix, -NAME to run only some analyzers). "ctxhole vet" is the
// same analysis with ranking against a runtime finding (--from) and SARIF.
package main

import (
	"golang.org/x/tools/go/analysis/multichecker"

	"github.com/ctxhole/ctxhole/vet"
)

func main() {
	multichecker.Main(vet.VetTool()...)
}
