package main

import (
	"fmt"
	"io"
)

func runTUI(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ctxhole tui: not built yet")
	return exitUsage
}
