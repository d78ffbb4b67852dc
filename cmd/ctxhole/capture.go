package main

import (
	"fmt"
	"io"
)

func runCapture(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ctxhole capture: not built yet")
	return exitUsage
}
