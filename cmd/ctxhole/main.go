// Command ctxhole is a forensic analyzer for stuck Go services: it reads
// goroutine dumps, pprof profiles and execution traces offline and says why
// the goroutines are stuck, which one is the root, and what to change.
//
// The command line is built with cobra (subcommands, help, shell
// completion, --version); see root.go.
package main

import (
	"io"
	"os"
)

// Exit codes.
const (
	exitOK       = 0 // success (and no finding at or above --fail-on)
	exitFindings = 1 // --fail-on: a finding at or above the threshold exists
	exitUsage    = 2 // usage or input error
	// exitInterrupted is the shell's code for a command ended by SIGINT:
	// capture returns it after keeping what it received.
	exitInterrupted = 130
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line with the given streams and returns its
// exit status. Tests call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	inv := &invocation{stdin: stdin, stdout: stdout, stderr: stderr}
	return inv.execute(args)
}
