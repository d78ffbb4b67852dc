package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// readContentionText reads the debug=1 text of a mutex or block profile
// (/debug/pprof/mutex?debug=1, /debug/pprof/block?debug=1):
//
//	--- mutex:
//	cycles/second=1996096536
//	sampling period=5
//	43227965305 16 @ 0x44c6f2 0x46cd21
//	#	0x44c6f1	sync.(*Mutex).Unlock+0x91	/usr/local/go/src/sync/mutex.go:223
//
// "--- contention:" heads a block profile. Delays are printed in CPU cycles
// and converted to time with the cycles/second line.
func readContentionText(r io.Reader, name string) (*Contention, error) {
	lr := newLineReader(r)
	c := &Contention{Source: Source{File: name, Format: FormatContentionText}}
	var (
		cur      *ContentionSample
		cycles   []int64 // per sample, converted once cycles/second is known
		cps      float64
		inHeader = true
		names    = stringSet{}
	)
	for {
		line, _, skipped, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &Error{File: name, Line: lr.no + 1, Offset: lr.off, Err: err}
		}
		if skipped > 0 {
			c.Warnings = append(c.Warnings, Warning{File: name, Line: lr.no, Offset: -1,
				Msg: fmt.Sprintf("skipped a %d-byte line", skipped)})
			continue
		}
		t := bytes.TrimSpace(line)
		if inHeader {
			switch {
			case bytes.HasPrefix(t, []byte("--- mutex:")):
				c.Kind = "mutex"
			case bytes.HasPrefix(t, []byte("--- contention:")):
				c.Kind = "block"
			default:
				continue // log lines before the profile
			}
			c.Source.Line = lr.no
			inHeader = false
			continue
		}
		switch {
		case len(t) == 0:
			cur = nil
		case bytes.HasPrefix(t, []byte("cycles/second=")):
			v, err := strconv.ParseFloat(string(t[len("cycles/second="):]), 64)
			if err != nil || v <= 0 {
				return nil, &Error{File: name, Line: lr.no, Offset: -1, Err: fmt.Errorf("bad cycles/second %q", clipText(t))}
			}
			cps = v
		case bytes.HasPrefix(t, []byte("sampling period=")):
			v, err := strconv.ParseInt(string(t[len("sampling period="):]), 10, 64)
			if err != nil || v < 0 {
				return nil, &Error{File: name, Line: lr.no, Offset: -1, Err: fmt.Errorf("bad sampling period %q", clipText(t))}
			}
			c.Period = v
		case t[0] == '#':
			if cur == nil {
				c.Warnings = append(c.Warnings, Warning{File: name, Line: lr.no, Offset: -1,
					Msg: "skipped a frame line outside a record"})
				continue
			}
			f, err := parseDebug1Frame(t, names)
			if err != nil {
				if lr.atCutEnd() {
					c.Warnings = append(c.Warnings, Warning{File: name, Line: lr.no, Offset: -1,
						Msg: "capture ends inside a frame line: " + err.Error()})
					continue
				}
				return nil, &Error{File: name, Line: lr.no, Offset: -1, Err: err}
			}
			if len(cur.Frames) < maxFramesPerStack {
				cur.Frames = append(cur.Frames, f)
			}
		default:
			cyc, count, err := parseContentionRecord(t)
			if err != nil {
				if len(c.Samples) > 0 {
					c.Warnings = append(c.Warnings, Warning{File: name, Line: lr.no, Offset: -1,
						Msg: "stopped reading: " + err.Error()})
					return finishContentionText(c, cycles, cps), nil
				}
				return nil, &Error{File: name, Line: lr.no, Offset: -1, Err: err}
			}
			if len(c.Samples) >= maxSamplesPerProfile {
				c.Warnings = append(c.Warnings, Warning{File: name, Line: lr.no, Offset: -1,
					Msg: fmt.Sprintf("more than %d samples in one profile: the rest is not read", maxSamplesPerProfile)})
				return finishContentionText(c, cycles, cps), nil
			}
			c.Samples = append(c.Samples, ContentionSample{Count: count})
			cycles = append(cycles, cyc)
			cur = &c.Samples[len(c.Samples)-1]
		}
	}
	if inHeader {
		return nil, &Error{File: name, Line: lr.no, Offset: -1, Err: errors.New(`no "--- mutex:" or "--- contention:" header`)}
	}
	return finishContentionText(c, cycles, cps), nil
}

// finishContentionText converts the samples' cycles into delays.
func finishContentionText(c *Contention, cycles []int64, cps float64) *Contention {
	if cps == 0 && len(cycles) > 0 {
		c.Warnings = append(c.Warnings, Warning{File: c.Source.File, Line: c.Source.Line, Offset: -1,
			Msg: "no cycles/second line: delays read as nanoseconds"})
		cps = 1e9
	}
	for i, cyc := range cycles {
		c.Samples[i].Delay = cyclesToDuration(cyc, cps)
	}
	return c
}

// cyclesToDuration converts CPU cycles at cps cycles per second, saturating
// instead of overflowing.
func cyclesToDuration(cycles int64, cps float64) time.Duration {
	d := float64(cycles) / cps * float64(time.Second)
	if d >= float64(1<<63-1) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(d)
}

// parseContentionRecord parses "<cycles> <count> @ 0x... 0x...".
func parseContentionRecord(t []byte) (cycles, count int64, err error) {
	head, stack, found := bytes.Cut(t, []byte(" @"))
	f := bytes.Fields(head)
	if !found || len(f) != 2 {
		return 0, 0, fmt.Errorf("expected a record %q, got %q", "<cycles> <count> @ 0x...", clipText(t))
	}
	cycles, err1 := strconv.ParseInt(string(f[0]), 10, 64)
	count, err2 := strconv.ParseInt(string(f[1]), 10, 64)
	if err1 != nil || err2 != nil || cycles < 0 || count < 0 {
		return 0, 0, fmt.Errorf("bad record numbers %q", clipText(head))
	}
	for _, pc := range bytes.Fields(stack) {
		if _, err := parseHex0x(pc); err != nil {
			return 0, 0, fmt.Errorf("bad PC %q in record: %w", clipText(pc), err)
		}
	}
	return cycles, count, nil
}
