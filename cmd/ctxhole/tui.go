package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/tui"
	"github.com/spf13/cobra"
)

// tuiFlags are the flags of `ctxhole tui`.
type tuiFlags struct {
	noColor     bool
	noAltScreen bool
	noMouse     bool
	exportDir   string
	signatures  string
}

// tuiCmd is `ctxhole tui`.
func (inv *invocation) tuiCmd() *cobra.Command {
	var tf tuiFlags
	cmd := &cobra.Command{
		Use:   "tui [flags] FILE|DIR ...",
		Short: "Explore captures in an interactive terminal UI",
		Long: `Explores captures in an interactive terminal UI: the ranked findings with their chains,
fixes and stacks (1), a filterable goroutine browser (2) and a timeline (3); ? lists every key.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv.code = inv.runTUI(cmd, tf, args)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&tf.noColor, "no-color", false, "no colours (also when NO_COLOR is set)")
	fs.BoolVar(&tf.noAltScreen, "no-alt-screen", false, "draw in the normal screen instead of the alternate one")
	fs.BoolVar(&tf.noMouse, "no-mouse", false, "leave the mouse to the terminal (no wheel scrolling)")
	fs.StringVar(&tf.signatures, "signatures", "", "read extra library signatures (in-house clients) from the JSON `FILE`")
	fs.StringVar(&tf.exportDir, "export-dir", "", "`directory` where y saves findings as JSON (default: the working directory)")
	_ = cmd.MarkFlagFilename("signatures", "json")
	_ = cmd.MarkFlagDirname("export-dir")
	return cmd
}

// runTUI checks the inputs, analyzes them and opens the UI.
func (inv *invocation) runTUI(cmd *cobra.Command, tf tuiFlags, paths []string) int {
	stdin, stdout, stderr := inv.stdin, inv.stdout, inv.stderr
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "ctxhole tui: no input: give capture files or directories")
		fmt.Fprint(stderr, cmd.UsageString())
		return exitUsage
	}
	if slices.Contains(paths, "-") {
		fmt.Fprintln(stderr, "ctxhole tui: the UI reads keys from standard input, so the capture cannot come from it: save it to a file")
		return exitUsage
	}
	var dopts detectors.Options
	if tf.signatures != "" {
		sigs, err := detectors.LoadSignatures(tf.signatures)
		if err != nil {
			fmt.Fprintf(stderr, "ctxhole tui: --signatures: %v\n", err)
			return exitUsage
		}
		dopts.Signatures = sigs
	}
	if !isTerminal(stdout) {
		fmt.Fprintln(stderr, "ctxhole tui: standard output is not a terminal; use ctxhole analyze for a report")
		return exitUsage
	}

	opts := tui.Options{
		Input:       stdin,
		Output:      stdout,
		NoColor:     tf.noColor || os.Getenv("NO_COLOR") != "",
		NoAltScreen: tf.noAltScreen,
		NoMouse:     tf.noMouse,
		ExportDir:   tf.exportDir,
	}
	if err := tui.RunLoading(loader(paths, stdin, dopts), opts); err != nil {
		fmt.Fprintf(stderr, "ctxhole tui: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// loader returns the work the UI runs behind its loading screen: read the
// inputs at paths and analyze them. The UI opens at once and shows the
// progress this reports; the analysis is the same as analyze's.
func loader(paths []string, stdin io.Reader, dopts detectors.Options) func(func(parser.Progress)) (*parser.Capture, *detectors.Diagnosis, error) {
	return func(progress func(parser.Progress)) (*parser.Capture, *detectors.Diagnosis, error) {
		c, err := parser.Load(paths, parser.Options{Stdin: stdin, Progress: progress})
		if err != nil {
			return nil, nil, err
		}
		dopts.Progress = progress
		r, err := detectors.Analyze(c, dopts)
		if err != nil {
			return nil, nil, err
		}
		return c, r, nil
	}
}
