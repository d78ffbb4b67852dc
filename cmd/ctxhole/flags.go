package main

import (
	"flag"
	"io"
	"strings"
)

// parseInterspersed parses fs from args allowing flags after positional
// arguments, as people type them ("ctxhole analyze dump.txt -o json").
// "--" ends flag parsing. It returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag; "--" is consumed by it,
		// so a rest that came after "--" is all positional.
		if consumedDoubleDash(args, rest) {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// consumedDoubleDash reports whether flag parsing of args stopped because
// of a "--" just before rest.
func consumedDoubleDash(args, rest []string) bool {
	i := len(args) - len(rest) - 1
	return i >= 0 && args[i] == "--"
}

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints its usage to w.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		io.WriteString(w, "usage: ctxhole "+name+" "+synopsis+"\n\nflags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// isHelp reports whether err is the flag package's -h/--help signal.
func isHelp(err error) bool {
	return err == flag.ErrHelp || strings.Contains(err.Error(), "help requested")
}
