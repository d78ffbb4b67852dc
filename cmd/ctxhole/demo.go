package main

import (
	"fmt"
	"io"
)

func runDemo(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ctxhole demo: not built yet")
	return exitUsage
}
