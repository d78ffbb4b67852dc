package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Options control the human-readable renderers (table and Markdown).
type Options struct {
	// Verbose adds every goroutine group, the root stacks and the full
	// evidence and fix detail with its code example.
	Verbose bool
	// Color turns on ANSI colours (table only). The caller decides: on
	// only when stdout is a terminal and NO_COLOR is unset.
	Color bool
	// MaxGroups is how many goroutine groups the table shows per snapshot
	// without Verbose; 0 means 10.
	MaxGroups int
	// Width is the terminal's width in columns: tables wrap their cells
	// to fit it. 0 means no limit (output to a file or a pipe, which must
	// not depend on the terminal it was produced on).
	Width int
}

func (o Options) maxGroups() int {
	if o.MaxGroups > 0 {
		return o.MaxGroups
	}
	return 10
}

// painter applies ANSI styles when colour is on and is the identity when it
// is off.
type painter struct{ on bool }

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

func (p painter) style(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (p painter) bold(s string) string  { return p.style(ansiBold, s) }
func (p painter) dim(s string) string   { return p.style(ansiDim, s) }
func (p painter) green(s string) string { return p.style(ansiGreen, s) }

// severity colours a severity name by how much it matters.
func (p painter) severity(s string) string {
	switch s {
	case "critical":
		return p.style(ansiBold+ansiRed, s)
	case "high":
		return p.style(ansiRed, s)
	case "medium":
		return p.style(ansiYellow, s)
	case "low":
		return p.style(ansiCyan, s)
	default:
		return p.style(ansiDim, s)
	}
}

// location renders "file:line", or "" when the file is unknown.
func location(file string, line int) string {
	if file == "" {
		return ""
	}
	if line <= 0 {
		return file
	}
	return file + ":" + strconv.Itoa(line)
}

// shortFile keeps the last two path elements of a file: enough to find it,
// short enough for a table cell.
func shortFile(file string) string {
	i := strings.LastIndexByte(file, '/')
	if i < 0 {
		return file
	}
	j := strings.LastIndexByte(file[:i], '/')
	return file[j+1:]
}

// idList renders up to max goroutine IDs, saying how many more there are.
func idList(ids []int64, max int) string {
	if len(ids) == 0 {
		return ""
	}
	var b strings.Builder
	for i, id := range ids {
		if i == max {
			fmt.Fprintf(&b, " (+%d more)", len(ids)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// nanos converts integer nanoseconds to a duration.
func nanos(ns int64) time.Duration { return time.Duration(ns) }

// FromSeconds converts the document's float seconds (waits, spans) back to
// a duration, for renderers that format them.
func FromSeconds(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}
