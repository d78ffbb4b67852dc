package tui

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/ctxhole/ctxhole/detectors"
)

// styles holds every lipgloss style the views use, built once for one
// output. Selection and application frames are also marked with text
// ("▸", "●") so that they stay visible without colour.
type styles struct {
	tab, tabActive  lipgloss.Style
	header          lipgloss.Style // column headers and section titles
	selected        lipgloss.Style // the row under the cursor in the focused pane
	selectedBlurred lipgloss.Style // the row under the cursor in a pane without focus
	dim             lipgloss.Style
	app             lipgloss.Style // application frames
	blocking        lipgloss.Style // a link's most telling frame
	code            lipgloss.Style
	status          lipgloss.Style
	errorText       lipgloss.Style
	bar, barOpen    lipgloss.Style // timeline bars, closed and still open
	highlight       lipgloss.Style // timeline rows of the selected chain
	severity        [detectors.SevCritical + 1]lipgloss.Style
}

// newRenderer returns the lipgloss renderer for an output. With noColor
// (--no-color, or NO_COLOR in the environment) the profile is ASCII and
// nothing is styled; otherwise termenv detects what the terminal supports.
func newRenderer(w io.Writer, noColor bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	if noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

func newStyles(r *lipgloss.Renderer) styles {
	s := r.NewStyle
	st := styles{
		tab:             s().Foreground(lipgloss.AdaptiveColor{Light: "244", Dark: "245"}),
		tabActive:       s().Bold(true).Reverse(true),
		header:          s().Bold(true),
		selected:        s().Reverse(true),
		selectedBlurred: s().Underline(true),
		dim:             s().Faint(true),
		app:             s().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "25", Dark: "117"}),
		blocking:        s().Foreground(lipgloss.AdaptiveColor{Light: "124", Dark: "210"}),
		code:            s().Foreground(lipgloss.AdaptiveColor{Light: "22", Dark: "114"}),
		status:          s().Faint(true),
		errorText:       s().Bold(true).Foreground(lipgloss.Color("9")),
		bar:             s().Foreground(lipgloss.AdaptiveColor{Light: "130", Dark: "214"}),
		barOpen:         s().Foreground(lipgloss.AdaptiveColor{Light: "124", Dark: "203"}),
		highlight:       s().Bold(true),
	}
	st.severity[detectors.SevInfo] = s().Faint(true)
	st.severity[detectors.SevLow] = s().Foreground(lipgloss.Color("6"))
	st.severity[detectors.SevMedium] = s().Foreground(lipgloss.Color("3"))
	st.severity[detectors.SevHigh] = s().Bold(true).Foreground(lipgloss.Color("208"))
	st.severity[detectors.SevCritical] = s().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("160"))
	return st
}

// badge is the fixed-width severity label of a finding.
func (st styles) badge(sev detectors.Severity) string {
	if sev < detectors.SevInfo || sev > detectors.SevCritical {
		return pad(sev.String(), 4)
	}
	return st.severity[sev].Render(severityBadges[sev])
}

// severityBadges are four-cell severity labels, as in the table output.
var severityBadges = [...]string{"INFO", "LOW ", "MED ", "HIGH", "CRIT"}
