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

// newStyles builds the styles. Colours are fixed 256-colour indexes chosen
// to read on dark and light backgrounds alike: adaptive colours would make
// lipgloss query the terminal's background, a query that races bubbletea's
// input reader and stalls five seconds on terminals that do not answer.
func newStyles(r *lipgloss.Renderer) styles {
	s := r.NewStyle
	st := styles{
		tab:             s().Faint(true),
		tabActive:       s().Bold(true).Reverse(true),
		header:          s().Bold(true),
		selected:        s().Reverse(true),
		selectedBlurred: s().Underline(true),
		dim:             s().Faint(true),
		app:             s().Bold(true).Foreground(lipgloss.Color("33")),
		blocking:        s().Foreground(lipgloss.Color("167")),
		code:            s().Foreground(lipgloss.Color("35")),
		status:          s().Faint(true),
		errorText:       s().Bold(true).Foreground(lipgloss.Color("9")),
		bar:             s().Foreground(lipgloss.Color("172")),
		barOpen:         s().Foreground(lipgloss.Color("160")),
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

// plainBadge is the severity label without style.
func plainBadge(sev detectors.Severity) string {
	if sev < detectors.SevInfo || sev > detectors.SevCritical {
		return pad(sev.String(), 4)
	}
	return severityBadges[sev]
}

// severityBadges are four-cell severity labels, as in the table output.
var severityBadges = [...]string{"INFO", "LOW ", "MED ", "HIGH", "CRIT"}
