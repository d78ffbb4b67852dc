package main

import (
	"fmt"
	"io"
)

func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ctxhole diff: not built yet")
	return exitUsage
}
