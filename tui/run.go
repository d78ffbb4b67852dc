// Package tui is ctxhole's interactive terminal UI: the ranked findings
// with their chains, fixes and stacks, a filterable browser of goroutine
// groups, and a timeline of who blocked when. Everything it shows is
// computed once, before the findings appear (RunLoading shows the reading
// and analysis' progress meanwhile); a keypress only moves cursors and
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
	opts = opts.withDefaults()
	m := newModel(c, r, opts, newRenderer(opts.Output, opts.NoColor))
	if _, err := tea.NewProgram(m, opts.programOptions()...).Run(); err != nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}

// withDefaults fills in standard input and output.
func (o Options) withDefaults() Options {
	if o.Input == nil {
		o.Input = os.Stdin
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	return o
}

// programOptions are the bubbletea options for o.
func (o Options) programOptions() []tea.ProgramOption {
	popts := []tea.ProgramOption{tea.WithInput(o.Input), tea.WithOutput(o.Output)}
	if !o.NoAltScreen {
		popts = append(popts, tea.WithAltScreen())
	}
	if !o.NoMouse {
		popts = append(popts, tea.WithMouseCellMotion())
	}
	return popts
}
