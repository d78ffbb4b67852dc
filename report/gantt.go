package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/internal/human"
	"github.com/ctxhole/ctxhole/parser"
)

// Gantt layout bounds, in columns.
const (
	ganttMinWidth   = 60
	ganttNoteWidth  = 30
	ganttMinLabel   = 20
	ganttMaxLabel   = 48
	ganttMinBar     = 10
	ganttDefaultCol = 100
)

// WriteGantt draws a finding's chain as an ASCII Gantt chart, time-aligned
// on the execution trace that timed it: one row per link, blocked time as
// '#' from the link's first block to its wake (or '>' at the right edge when
// it was still blocked when the trace ended), offsets from the trace's
// start, and under each link who or what woke its goroutines during the
// trace. width is the total width in columns (0: 100; at least 60).
// Links without trace timing are listed without a bar; a finding with no
// timed link gets a one-line note. It draws a finding of the Document, like
// every other view.
func WriteGantt(w io.Writer, f *Finding, width int) error {
	if f == nil {
		return fmt.Errorf("gantt: no finding")
	}
	if width <= 0 {
		width = ganttDefaultCol
	}
	width = max(width, ganttMinWidth)
	end := ganttEnd(f)
	if end <= 0 {
		_, err := fmt.Fprintln(w, "timeline: no execution trace timed this finding's chain")
		return err
	}
	labelW := min(max(width/3, ganttMinLabel), ganttMaxLabel)
	barW := max(width-labelW-ganttNoteWidth-3, ganttMinBar)

	g := &ganttWriter{w: w, width: width, labelW: labelW, barW: barW, end: end}
	g.printf("timeline (offsets from the trace start; # blocked, > still blocked when the trace ended at %s)\n", human.Offset(end))
	if f.Root.BlockedAt != nil {
		g.printf("onset: the root blocked at %s (the clock of the trace that saw it block)\n", atString(*f.Root.BlockedAt))
	}
	left, right := "+0s", human.Offset(end)
	g.printf("%s %s%s%s\n", ganttPad("", labelW), left, strings.Repeat(" ", max(barW+2-len(left)-len(right), 1)), right)
	for i := range f.Chain {
		g.link(&f.Chain[i])
	}
	return g.err
}

// ganttEnd is the time axis's right edge: the trace's length, or failing
// that the latest time any link mentions.
func ganttEnd(f *Finding) time.Duration {
	var end time.Duration
	if f.TraceEndNS != nil {
		end = nanos(*f.TraceEndNS)
	}
	for i := range f.Chain {
		if start, stop, ok := linkSpan(&f.Chain[i]); ok {
			end = max(end, start, stop)
		}
	}
	return end
}

// linkSpan returns when a timed link blocked and when it was released
// (-1: never woken while traced); ok is false for an untimed link.
func linkSpan(l *Link) (start, stop time.Duration, ok bool) {
	if !l.Timed {
		return 0, 0, false
	}
	if l.StartNS != nil {
		start = nanos(*l.StartNS)
	}
	stop = -1
	if l.EndNS != nil && !l.NeverWoken {
		stop = nanos(*l.EndNS)
	}
	return start, stop, true
}

type ganttWriter struct {
	w                   io.Writer
	width, labelW, barW int
	end                 time.Duration
	err                 error
}

func (g *ganttWriter) printf(format string, args ...any) {
	if g.err != nil {
		return
	}
	_, g.err = fmt.Fprintf(g.w, format, args...)
}

// link draws one link's row and its wakes.
func (g *ganttWriter) link(l *Link) {
	label := ganttLabel(l)
	start, stop, timed := linkSpan(l)
	if !timed {
		g.printf("%s %s\n", ganttPad(label, g.labelW), "(no trace timing)")
		return
	}
	g.printf("%s |%s| %s\n", ganttPad(label, g.labelW), g.bar(start, stop), ganttNote(start, stop, g.end))
	indent := min(l.Depth+2, g.labelW)
	for _, e := range l.Wakes {
		for i, line := range ganttWrap(ganttWake(e), g.width-indent-3) {
			g.printf("%s%s\n", strings.Repeat(" ", indent+3*min(i, 1)), line)
		}
	}
}

// ganttWrap breaks s at spaces into lines of at most n columns (longer
// words stay whole).
func ganttWrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= n:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// bar renders the span start..end (end < 0: to the right edge, still
// blocked) on the time axis.
func (g *ganttWriter) bar(start, end time.Duration) string {
	cell := func(t time.Duration) int {
		c := int(int64(t) * int64(g.barW) / int64(g.end))
		return min(max(c, 0), g.barW-1)
	}
	from, to := cell(start), g.barW-1
	if end >= 0 {
		to = cell(end)
	}
	b := make([]byte, g.barW)
	for i := range b {
		switch {
		case i < from || i > to:
			b[i] = '.'
		case end < 0 && i == g.barW-1:
			b[i] = '>'
		default:
			b[i] = '#'
		}
	}
	return string(b)
}

// ganttLabel names a link: its relation, how many goroutines (or which one)
// and its function, indented by depth.
func ganttLabel(l *Link) string {
	who := fmt.Sprintf("%dx", l.Goroutines)
	if l.Goroutines == 1 && len(l.GoroutineIDs) == 1 {
		who = fmt.Sprintf("G%d", l.GoroutineIDs[0])
	}
	return fmt.Sprintf("%s%s %s %s", strings.Repeat(" ", l.Depth), l.Relation, who, parser.ShortFunc(l.Function))
}

// ganttNote gives a link's times in words.
func ganttNote(start, stop, end time.Duration) string {
	if stop < 0 {
		return fmt.Sprintf("%s, never woken (%s)", human.Offset(start), human.Duration(end-start))
	}
	return fmt.Sprintf("%s..%s (%s)", human.Offset(start), human.Offset(stop), human.Duration(stop-start))
}

// ganttWake says who or what woke a link's goroutines during the trace.
func ganttWake(e Wake) string {
	var who string
	switch e.Kind {
	case parser.WakeGoroutine.String():
		who = "another goroutine"
		if len(e.Wakers) == 1 {
			who = fmt.Sprintf("G%d", e.Wakers[0])
		} else if len(e.Wakers) > 1 {
			who = fmt.Sprintf("%d goroutines", len(e.Wakers))
		}
		if e.WakerFunction != "" {
			who += " in " + parser.ShortFunc(e.WakerFunction)
		}
	case parser.WakeDeadline.String():
		who = "their context deadline firing"
	case parser.WakeTimer.String():
		who = "a timer"
	case parser.WakeNetpoll.String():
		who = "the network poller (data arrived)"
	default:
		who = "the runtime"
	}
	s := fmt.Sprintf("<- %d woken by %s, %s..%s, waits up to %s", e.Count, who,
		human.Offset(nanos(e.FirstNS)), human.Offset(nanos(e.LastNS)), human.Duration(nanos(e.MaxWaitNS)))
	if e.WakerPriorNS != nil {
		s += fmt.Sprintf(", after its own %s %s", human.Duration(nanos(*e.WakerPriorNS)), e.WakerPriorWhat)
	}
	return s
}

// ganttPad fits s to exactly n columns, cutting it with "..." when too long.
func ganttPad(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		if n <= 3 {
			return string(r[:n])
		}
		return string(r[:n-3]) + "..."
	}
	return s + strings.Repeat(" ", n-len(r))
}
