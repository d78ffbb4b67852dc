package main

import (
	"fmt"
	"io"
)

func runAnalyze(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ctxhole analyze: not built yet")
	return exitUsage
}
