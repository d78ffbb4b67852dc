// Package tui is ctxhole's interactive terminal UI: the ranked findings
// with their chains, fixes and stacks, a filterable browser of goroutine
// groups, and a timeline of who blocked when. Everything it shows is
// computed once, before the UI opens; a keypress only moves cursors and
// filters precomputed rows, so it stays responsive on huge dumps.
package tui

import (
	"fmt"
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// Options configure Run. The zero value is the normal interactive setup:
// standard input and output, colour as the terminal and NO_COLOR allow,
// the alternate screen and mouse wheel on.
type Options struct {
	// Input and Output default to os.Stdin and os.Stdout.
	Input  io.Reader
	Output io.Writer
	// NoColor turns every style off (--no-color; NO_COLOR in the
	// environment does the same through termenv).
	NoColor bool
	// NoAltScreen draws in the normal screen instead of the alternate one.
	NoAltScreen bool
	// NoMouse leaves the mouse to the terminal (its own selection) instead
	// of scrolling with the wheel.
	NoMouse bool
	// ExportDir is where "y" writes findings; "" is the working directory.
	ExportDir string
	// Editor is the command "e" runs; "" uses $VISUAL, then $EDITOR, then vi.
	Editor string
}

// Run shows the UI for a capture and its diagnosis until the user quits.
func Run(c *parser.Capture, r *detectors.Diagnosis, opts Options) error {
	if opts.Input == nil {
		opts.Input = os.Stdin
	}
	if opts.Output == nil {
		opts.Output = os.Stdout
	}
	m := newModel(c, r, opts, newRenderer(opts.Output, opts.NoColor))
	popts := []tea.ProgramOption{tea.WithInput(opts.Input), tea.WithOutput(opts.Output)}
	if !opts.NoAltScreen {
		popts = append(popts, tea.WithAltScreen())
	}
	if !opts.NoMouse {
		popts = append(popts, tea.WithMouseCellMotion())
	}
	if _, err := tea.NewProgram(m, popts...).Run(); err != nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}
