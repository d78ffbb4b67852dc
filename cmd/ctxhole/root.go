package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// invocation is one run of the command line: its streams and the exit
// status the subcommand chose. Nothing here is global, so tests run many
// invocations in one process.
type invocation struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	code           int
}

// usageError is a command-line mistake found by cobra or pflag (unknown
// flag, bad value): reported with a pointer to the help, exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// execute builds the command tree, runs args through it and returns the
// exit status.
func (inv *invocation) execute(args []string) int {
	root := inv.rootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err != nil {
		name := "ctxhole"
		if cmd != nil {
			name = cmd.CommandPath()
		}
		fmt.Fprintf(inv.stderr, "%s: %v\n", name, err)
		fmt.Fprintf(inv.stderr, "Run '%s --help' for usage.\n", name)
		return exitUsage
	}
	return inv.code
}

// rootCmd is `ctxhole` and its subcommands.
func (inv *invocation) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "ctxhole",
		Short: "Forensic analyzer for stuck Go services",
		Long: `ctxhole reads goroutine dumps, mutex and block profiles and execution traces of a
stuck Go service offline and says why the goroutines are stuck, which one is the
root, and what to change.

Exit status: 0 success, 1 a finding at or above --fail-on, 2 usage or input error.`,
		Example: `  ctxhole demo
  ctxhole analyze goroutines.txt
  ctxhole analyze -o html ctxhole-bundle/ > report.html
  ctxhole capture http://127.0.0.1:6060
  ctxhole completion bash > /etc/bash_completion.d/ctxhole`,
		Version:       toolVersion(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// No command: the help, on stderr, and a usage exit status
			// (a script that forgot its command must not pass).
			cmd.SetOut(inv.stderr)
			_ = cmd.Help()
			inv.code = exitUsage
			return nil
		},
	}
	root.SetIn(inv.stdin)
	root.SetOut(inv.stdout)
	root.SetErr(inv.stderr)
	root.SetVersionTemplate("ctxhole {{.Version}}\n" + buildLine() + "\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		inv.analyzeCmd(),
		inv.demoCmd(),
		inv.tuiCmd(),
		inv.captureCmd(),
		inv.diffCmd(),
		inv.vetCmd(),
		inv.watchCmd(),
	)
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

// outputFormats are the values of -o on analyze, demo and capture.
var outputFormats = []string{"table", "json", "markdown", "html"}

// completeFormats completes -o's values.
func completeFormats(formats []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return formats, cobra.ShellCompDirectiveNoFileComp
	}
}

// toolVersion is the module version the binary was built from, with the
// VCS revision when the build recorded one: "v1.2.3",
// "v0.0.0-20261123115804-1a2b3c4d5e6f" from go install, or
// "(devel) rev 1a2b3c4d5e6f (modified)" from a work tree. The --version
// output and the JSON report's tool.version both come from here.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return versionOf(bi)
}

// buildLine is --version's second line: the Go toolchain and platform the
// binary was built with (the runtime formats it reads best are that Go's),
// and the commit and its time when the build recorded them:
// "built with go1.26.8 for linux/amd64, commit 1a2b3c4d5e6f of 2026-11-23T11:58:04Z".
func buildLine() string {
	line := "built with " + runtime.Version() + " for " + runtime.GOOS + "/" + runtime.GOARCH
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return line
	}
	return line + commitOf(bi)
}

// commitOf is ", commit REV of TIME" from a build's VCS stamp, "" when it
// has none.
func commitOf(bi *debug.BuildInfo) string {
	var rev, at string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		}
	}
	if rev == "" {
		return ""
	}
	c := ", commit " + rev[:min(12, len(rev))]
	if at != "" {
		c += " of " + at
	}
	return c
}

// versionOf formats a build's version (see toolVersion).
func versionOf(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	// A pseudo-version already holds the revision (and "+dirty" when
	// the tree was modified).
	if strings.Contains(v, rev) {
		return v
	}
	v += " rev " + rev
	if modified == "true" {
		v += " (modified)"
	}
	return v
}
