package main

import (
	"io"

	"github.com/ctxhole/ctxhole/vet/vetcmd"
)

// runVet is "ctxhole vet": the static analyzers of package vet (the
// command itself lives in vet/vetcmd).
func runVet(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return vetcmd.Run(args, stdout, stderr)
}
