// Package human formats the quantities ctxhole shows people — goroutine
// waits, durations, offsets on a trace's time axis, counts — one way in
// every output: finding titles and evidence, the table, Markdown and the
// TUI. Function names are shortened by parser.ShortFunc.
package human

import (
	"strconv"
	"strings"
	"time"
)

// Wait formats how long a goroutine has been blocked. A dump prints waits
// in whole minutes, floored, so a whole number of minutes is a lower bound
// and says so (">=2m", ">=2h", ">=21h48m"); a wait measured by a trace is
// exact and printed as a Duration ("4.52s"). An unknown wait is "-": the
// runtime printed none, which does not mean it was short.
func Wait(d time.Duration, known bool) string {
	if !known {
		return "-"
	}
	if d >= time.Minute && d%time.Minute == 0 {
		m := int64(d / time.Minute)
		switch {
		case m < 60:
			return ">=" + strconv.FormatInt(m, 10) + "m"
		case m%60 == 0:
			return ">=" + strconv.FormatInt(m/60, 10) + "h"
		default:
			return ">=" + strconv.FormatInt(m/60, 10) + "h" + strconv.FormatInt(m%60, 10) + "m"
		}
	}
	return Duration(d)
}

// WaitRange formats the span of a group's waits: one Wait when both ends
// print alike, "lo to hi" otherwise.
func WaitRange(lo, hi time.Duration, known bool) string {
	a, b := Wait(lo, known), Wait(hi, known)
	if a == b {
		return b
	}
	return a + " to " + b
}

// Duration formats a measured duration to about three significant digits
// ("340µs", "1.78ms", "13.9ms", "340ms", "4.52s", "13.9s", "2m5s"): enough
// to compare, short enough to read.
func Duration(d time.Duration) string {
	if d < 0 {
		return "-" + Duration(-d)
	}
	var unit time.Duration
	switch {
	case d == 0:
		return "0s"
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		unit = time.Microsecond
	case d < 10*time.Millisecond:
		unit = 10 * time.Microsecond
	case d < 100*time.Millisecond:
		unit = 100 * time.Microsecond
	case d < time.Second:
		unit = time.Millisecond
	case d < 10*time.Second:
		unit = 10 * time.Millisecond
	case d < time.Minute:
		unit = 100 * time.Millisecond
	default:
		// Whole minutes and hours drop their zero tail: "10m", "2h".
		s := d.Round(time.Second).String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	}
	return d.Round(unit).String()
}

// Offset formats a point on a trace's time axis, from the trace's start
// ("+0s", "+1.31s").
func Offset(d time.Duration) string {
	return "+" + Duration(d)
}

// Rate formats a growth rate in goroutines per minute, signed ("+119.9 per
// minute", "-2.0 per minute").
func Rate(perMinute float64) string {
	s := strconv.FormatFloat(perMinute, 'f', 1, 64)
	if perMinute >= 0 {
		s = "+" + s
	}
	return s + " per minute"
}

// Count formats a count with thousands separators ("1,234").
func Count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Plural formats a count of things: "1 goroutine", "1,234 goroutines".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return Count(n) + " " + word + "s"
}

// Bytes formats a size in decimal units with one decimal above a kilobyte:
// "512 B", "21.0 MB", "2.1 GB".
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("kMGTP"[exp]) + "B"
}
