package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/charmbracelet/x/term"
	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/internal/safefile"
	"github.com/ctxhole/ctxhole/parser"
	"github.com/ctxhole/ctxhole/report"
	"github.com/ctxhole/ctxhole/tui"
	"github.com/spf13/cobra"
)

// analyzeFlags are the flags of `ctxhole analyze` (and `ctxhole demo`,
// which shares the rendering ones).
type analyzeFlags struct {
	output     string
	verbose    bool
	failOn     string
	noColor    bool
	tui        bool
	timeline   bool
	signatures string
	// exportPprof names the file --export-pprof writes; exportFinding
	// limits it to one finding by rank (0: all).
	exportPprof   string
	exportFinding int
	// force lets --export-pprof replace an existing file.
	force bool
}

// register defines the flags on fs. The input-related ones (--fail-on,
// --signatures, --timeline, --export-pprof) only make sense for your own
// captures, so demo (forInputs false) leaves them out.
func (f *analyzeFlags) register(cmd *cobra.Command, forInputs bool) {
	fs := cmd.Flags()
	fs.StringVarP(&f.output, "output", "o", "table", "output `format`: table, json, markdown or html")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "verbose: every goroutine group, root stacks, full evidence and fix detail")
	fs.BoolVar(&f.noColor, "no-color", false, "never colour the table (colour is on only for a terminal with NO_COLOR unset)")
	fs.BoolVar(&f.tui, "tui", false, "explore the result in the interactive terminal UI instead of printing it")
	_ = cmd.RegisterFlagCompletionFunc("output", completeFormats(outputFormats))
	if forInputs {
		fs.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding at or above `SEVERITY` (info, low, medium, high, critical) exists")
		fs.StringVar(&f.signatures, "signatures", "", "read extra library signatures (in-house clients) from the JSON `FILE`")
		fs.BoolVar(&f.timeline, "timeline", false, "draw the principal finding's chain as a time-aligned ASCII Gantt chart (needs an execution trace; table and markdown output)")
		fs.StringVar(&f.exportPprof, "export-pprof", "", "also write the findings' goroutines to `FILE` as a pprof goroutine profile labelled by category and finding (go tool pprof -http)")
		fs.IntVar(&f.exportFinding, "export-finding", 0, "with --export-pprof, export only finding `N` (by rank, from 1); 0 exports all")
		fs.BoolVar(&f.force, "force", false, "let --export-pprof replace an existing file (never an input, never through a symlink)")
		_ = cmd.RegisterFlagCompletionFunc("fail-on", completeFormats([]string{"info", "low", "medium", "high", "critical"}))
		_ = cmd.MarkFlagFilename("signatures", "json")
		_ = cmd.MarkFlagFilename("export-pprof")
	}
}

// analyzeCmd is `ctxhole analyze`.
func (inv *invocation) analyzeCmd() *cobra.Command {
	var af analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze [flags] FILE|DIR|- ...",
		Short: "Diagnose captures (files, directories, bundles or - for stdin)",
		Long: `Reads goroutine dumps (debug=2, debug=1, proto, SIGQUIT and panic output, pprof -traces),
mutex and block profiles and execution traces; a directory is read whole; - is stdin.
The table leads with the verdict and the principal finding's chain and fix.

Exit status: 0 success, 1 a finding at or above --fail-on, 2 usage or input error.`,
		Example: `  ctxhole analyze goroutines.txt
  curl -s localhost:6060/debug/pprof/goroutine?debug=2 | ctxhole analyze -
  ctxhole analyze -o json --fail-on high bundle/
  ctxhole analyze -o html bundle/ > report.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv.code = inv.runAnalyze(cmd, af, args)
			return nil
		},
	}
	af.register(cmd, true)
	return cmd
}

// runAnalyze checks analyze's flags and inputs, then runs it.
func (inv *invocation) runAnalyze(cmd *cobra.Command, af analyzeFlags, paths []string) int {
	stderr := inv.stderr
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "ctxhole analyze: no input: give files, directories or - for standard input")
		fmt.Fprint(stderr, cmd.UsageString())
		return exitUsage
	}
	threshold, code := af.threshold(stderr)
	if code == exitOK {
		code = af.check(stderr, "ctxhole analyze")
	}
	if code == exitOK && (af.exportFinding < 0 || af.exportFinding > 0 && af.exportPprof == "") {
		fmt.Fprintln(stderr, "ctxhole analyze: --export-finding takes a finding's rank (1, 2, ...) and goes with --export-pprof")
		code = exitUsage
	}
	if code == exitOK && af.tui && slices.Contains(paths, "-") {
		fmt.Fprintln(stderr, "ctxhole analyze: --tui reads keys from standard input, so the capture cannot come from it: save it to a file")
		code = exitUsage
	}
	if code == exitOK && af.tui && !isTerminal(inv.stdout) {
		fmt.Fprintln(stderr, "ctxhole analyze: --tui needs a terminal on standard output; without --tui, analyze writes a report")
		code = exitUsage
	}
	if code != exitOK {
		return code
	}
	return analyzePaths(af, paths, threshold, inv.stdin, inv.stdout, stderr)
}

// analyzePaths reads, diagnoses and reports the captures at paths.
func analyzePaths(af analyzeFlags, paths []string, threshold *detectors.Severity, stdin io.Reader, stdout, stderr io.Writer) int {
	var dopts detectors.Options
	if af.signatures != "" {
		sigs, err := detectors.LoadSignatures(af.signatures)
		if err != nil {
			fmt.Fprintf(stderr, "ctxhole analyze: --signatures: %v\n", err)
			return exitUsage
		}
		dopts.Signatures = sigs
	}

	if af.tui && af.exportPprof == "" {
		// The UI opens at once on a loading screen and analyzes behind
		// it (with --export-pprof the diagnosis is needed first).
		if err := tui.RunLoading(loader(paths, stdin, dopts), tui.Options{Input: stdin, Output: stdout, NoColor: af.noColor}); err != nil {
			fmt.Fprintf(stderr, "ctxhole analyze: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	// Long runs show how far they are on a terminal's stderr; nothing
	// otherwise.
	prog := startProgress(stderr)
	c, err := parser.Load(paths, parser.Options{Stdin: stdin, Progress: prog.callback()})
	if err != nil {
		prog.stop()
		fmt.Fprintf(stderr, "ctxhole analyze: %v\n", err)
		return exitUsage
	}
	dopts.Progress = prog.callback()
	r, err := detectors.Analyze(c, dopts)
	prog.stop()
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole analyze: %v\n", err)
		return exitUsage
	}
	if af.exportPprof != "" {
		if err := exportPprof(af.exportPprof, safefile.Options{Force: af.force, Inputs: paths}, r, af.exportFinding, stderr); err != nil {
			fmt.Fprintf(stderr, "ctxhole analyze: %v\n", err)
			return exitUsage
		}
	}
	if af.tui {
		return explore(c, r, af, stdin, stdout, stderr)
	}
	return render(c, r, af, threshold, stdout, stderr)
}

// exportPprof writes the findings' goroutines (or finding #only's) as a
// pprof goroutine profile and says where. The file is new unless --force
// (safefile): never an input, never through a symlink, and a failed write
// removes only the file this call created.
func exportPprof(path string, opts safefile.Options, r *detectors.Diagnosis, only int, stderr io.Writer) error {
	f, err := safefile.Create(path, opts)
	if err != nil {
		return fmt.Errorf("--export-pprof: %w", err)
	}
	if err := report.WritePprof(f, r, only); err != nil {
		f.Abort()
		return fmt.Errorf("--export-pprof: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("--export-pprof: %w", err)
	}
	what := "the goroutines of " + human.Plural(len(r.Findings), "finding")
	if only > 0 {
		what = fmt.Sprintf("the goroutines of finding #%d", only)
	}
	fmt.Fprintf(stderr, "ctxhole: wrote %s to %s (view: go tool pprof -http :8080 %s)\n", what, path, path)
	return nil
}

// explore hands the capture and its diagnosis to the terminal UI.
func explore(c *parser.Capture, r *detectors.Diagnosis, af analyzeFlags, stdin io.Reader, stdout, stderr io.Writer) int {
	if err := tui.Run(c, r, tui.Options{Input: stdin, Output: stdout, NoColor: af.noColor}); err != nil {
		fmt.Fprintf(stderr, "ctxhole: terminal UI: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// render writes the report in the chosen format and computes the exit
// status from --fail-on.
func render(c *parser.Capture, r *detectors.Diagnosis, af analyzeFlags, threshold *detectors.Severity, stdout, stderr io.Writer) int {
	doc := report.Build(c, r, report.Tool{Name: "ctxhole", Version: toolVersion()})
	opts := report.Options{Verbose: af.verbose}
	var err error
	switch af.output {
	case "json":
		err = report.WriteJSON(stdout, doc)
	case "html":
		err = report.WriteHTML(stdout, doc, opts)
	case "markdown", "md":
		err = report.WriteMarkdown(stdout, doc, opts)
		if err == nil && af.timeline {
			err = writeTimeline(stdout, doc, true, 0)
		}
	default:
		for _, w := range doc.Summary.Warnings {
			fmt.Fprintf(stderr, "ctxhole: warning: %s\n", parser.CleanText(warningText(w)))
		}
		tty, width := terminalWidth(stdout)
		opts.Color = !af.noColor && os.Getenv("NO_COLOR") == "" && tty
		opts.Width = width
		err = report.WriteTable(stdout, doc, opts)
		if err == nil && af.timeline {
			err = writeTimeline(stdout, doc, false, opts.Width)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole: %v\n", err)
		return exitUsage
	}
	if threshold != nil && r != nil {
		for _, f := range r.Findings {
			if f.Severity >= *threshold {
				return exitFindings
			}
		}
	}
	return exitOK
}

// writeTimeline draws the principal finding's chain as a Gantt chart, in a
// code fence for Markdown, width columns wide (0: the chart's default).
func writeTimeline(w io.Writer, doc *report.Document, markdown bool, width int) error {
	if len(doc.Findings) == 0 {
		_, err := fmt.Fprintln(w, "\ntimeline: no finding to draw")
		return err
	}
	head, pre, post := "\nTIMELINE of finding #1\n", "", ""
	if markdown {
		head, pre, post = "\n## Timeline chart of finding 1\n\n", "```\n", "```\n"
	}
	if _, err := fmt.Fprint(w, head+pre); err != nil {
		return err
	}
	if err := report.WriteGantt(w, &doc.Findings[0], width); err != nil {
		return fmt.Errorf("drawing the timeline: %w", err)
	}
	_, err := fmt.Fprint(w, post)
	return err
}

func warningText(w report.Warning) string {
	return parser.Warning{File: w.File, Line: w.Line, Offset: w.Offset, Msg: w.Message}.String()
}

// threshold parses --fail-on; nil when it is not set.
func (f *analyzeFlags) threshold(stderr io.Writer) (*detectors.Severity, int) {
	if f.failOn == "" {
		return nil, exitOK
	}
	s, err := detectors.ParseSeverity(f.failOn)
	if err != nil {
		fmt.Fprintf(stderr, "ctxhole analyze: --fail-on: %v\n", err)
		return nil, exitUsage
	}
	return &s, exitOK
}

// check rejects flag values and combinations that cannot work.
func (f *analyzeFlags) check(stderr io.Writer, cmd string) int {
	if !validOutput(f.output) {
		fmt.Fprintf(stderr, "%s: unknown output format %q (want table, json, markdown or html)\n", cmd, f.output)
		return exitUsage
	}
	if f.timeline && (f.output == "json" || f.output == "html") {
		fmt.Fprintf(stderr, "%s: --timeline draws in the table or markdown output; the JSON has every link's start_ns and end_ns, and the HTML draws the timeline itself\n", cmd)
		return exitUsage
	}
	return exitOK
}

func validOutput(o string) bool {
	return o == "md" || slices.Contains(outputFormats, o)
}

// defaultWidth is the width tables fit when neither $COLUMNS nor a
// terminal says: what most terminals and pastes show without folding.
const defaultWidth = 100

// terminalWidth reports whether w is a terminal and the width in columns
// tables must fit: $COLUMNS when it is a positive number, else the
// terminal's width, else defaultWidth. charmbracelet/x/term is already in
// the module graph through the terminal UI, and answers both questions.
func terminalWidth(w io.Writer) (bool, int) {
	width := defaultWidth
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		width = n
	}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return false, width
	}
	if os.Getenv("COLUMNS") == "" {
		if tw, _, err := term.GetSize(f.Fd()); err == nil && tw > 0 {
			width = tw
		}
	}
	return true, width
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	tty, _ := terminalWidth(w)
	return tty
}
