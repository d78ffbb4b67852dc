// Command ctxhole is a forensic analyzer for stuck Go services: it reads
// goroutine dumps, pprof profiles and execution traces offline and says why
// the goroutines are stuck, which one is the root, and what to change.
package main

import (
	"fmt"
	"io"
	"os"
)

// command is one ctxhole subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"analyze", "diagnose captures (files, directories, bundles or - for stdin)", runAnalyze},
		{"demo", "analyze the sample incident embedded in the binary", runDemo},
		{"tui", "explore captures in an interactive terminal UI", runTUI},
		{"capture", "capture a live service's goroutines, profiles and trace into a bundle", runCapture},
		{"diff", "show goroutine groups that appeared, vanished or grew between two captures", runDiff},
		{"vet", "find timeout holes in source (go vet style; --from ranks a finding's siblings first)", runVet},
	}
}

// Exit codes.
const (
	exitOK       = 0 // success (and no finding at or above --fail-on)
	exitFindings = 1 // --fail-on: a finding at or above the threshold exists
	exitUsage    = 2 // usage or input error
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "ctxhole: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ctxhole <command> [flags] [inputs]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ctxhole <command> -h' for a command's flags.")
}
