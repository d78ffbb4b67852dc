package parser

import (
	"bytes"
)

// The lines of a stack, as runtime.traceback2 and printcreatedby print
// them (indentation already trimmed):
//
//	pkg.(*T).Method[...](0x1, {0x2, 0x3}, 0x4?, _, ...)
//	/path/file.go:123 +0x1d fp=0x.. sp=0x.. pc=0x..
//	pkg.inlined(...)
//	created by pkg.f in goroutine 7
//	...3 frames elided...
//	...additional frames elided...
//	[originating from goroutine 12]:
//	goroutine running on other thread; stack unavailable
//	non-Go function at pc=0x4a1b2c

// funcLine splits a frame's function line into the name and the text
// between the argument parentheses. Arguments never contain parentheses,
// so the last "(" opens them. Function names contain no blanks, which tells
// a frame from a log line that happens to end in ")".
func funcLine(line []byte) (name, args []byte, ok bool) {
	n := len(line)
	if n < 3 || line[n-1] != ')' {
		return nil, nil, false
	}
	open := bytes.LastIndexByte(line, '(')
	if open <= 0 {
		return nil, nil, false
	}
	name = line[:open]
	if bytes.IndexByte(name, ' ') >= 0 || name[len(name)-1] == '.' {
		return nil, nil, false
	}
	return name, line[open+1 : n-1], true
}

// parseArgs appends the argument words of args to dst. Aggregates ("{...}")
// are flattened; "..." reports elided arguments. It reports ok == false on
// anything the runtime does not print, leaving dst as it was.
func parseArgs(dst []Arg, args []byte) (out []Arg, elided, ok bool) {
	start := len(dst)
	for i := 0; i < len(args); {
		switch c := args[i]; {
		case c == ' ' || c == ',' || c == '{' || c == '}':
			i++
		case c == '.':
			if !bytes.HasPrefix(args[i:], []byte("...")) {
				return dst[:start], false, false
			}
			elided = true
			i += 3
		case c == '_':
			dst = append(dst, Arg{Unused: true})
			i++
		case c == '0':
			v, n := parseHex(args[i:])
			if n == 0 {
				return dst[:start], false, false
			}
			i += n
			a := Arg{Value: v}
			if i < len(args) && args[i] == '?' {
				a.Uncertain = true
				i++
			}
			dst = append(dst, a)
		default:
			return dst[:start], false, false
		}
	}
	return dst, elided, true
}

// fileLine is a parsed source location line.
type fileLine struct {
	file   []byte
	line   int
	offset uint64
	pc     uint64
	hasPC  bool
}

// parseFileLine parses "file:line[ +0xoff][ fp=0x.. sp=0x.. pc=0x..]" and
// the cgo symbolizer's "file:line pc=0x..". Paths may contain blanks and
// colons (C:/...), so the line is read from its end, one blank-separated
// suffix at a time.
func parseFileLine(b []byte, fl *fileLine) bool {
	*fl = fileLine{}
	for range 4 {
		sp := bytes.LastIndexByte(b, ' ')
		if sp <= 0 {
			break
		}
		tok := b[sp+1:]
		if len(tok) < 4 {
			break
		}
		switch {
		case tok[0] == '+':
			v, n := parseHex(tok[1:])
			if n == 0 || n != len(tok)-1 {
				return false
			}
			fl.offset = v
		case string(tok[:3]) == "pc=":
			fl.pc, _ = parseHex(tok[3:])
			fl.hasPC = true
		case string(tok[:3]) == "sp=", string(tok[:3]) == "fp=":
		default:
			sp = -1
		}
		if sp < 0 {
			break
		}
		b = b[:sp]
		if tok[0] == '+' {
			break // the offset is the first suffix
		}
	}
	colon := bytes.LastIndexByte(b, ':')
	if colon <= 0 || colon == len(b)-1 {
		return false
	}
	v, n := parseDec(b[colon+1:])
	if n != len(b)-colon-1 {
		return false
	}
	fl.file = b[:colon]
	fl.line = int(v)
	return true
}

var (
	createdByPrefix  = []byte("created by ")
	inGoroutine      = []byte(" in goroutine ")
	originatingFrom  = []byte("[originating from goroutine ")
	stackUnavailable = []byte("goroutine running on other thread; stack unavailable")
	nonGoFunction    = []byte("non-Go function at pc=")
	additionalElided = []byte("...additional frames elided...")
)

// parseCreatedBy parses "created by F" and "created by F in goroutine N".
func parseCreatedBy(line []byte) (fn []byte, parent int64, ok bool) {
	if !bytes.HasPrefix(line, createdByPrefix) {
		return nil, 0, false
	}
	fn = line[len(createdByPrefix):]
	if i := bytes.Index(fn, inGoroutine); i > 0 {
		v, n := parseDec(fn[i+len(inGoroutine):])
		if n > 0 && i+len(inGoroutine)+n == len(fn) {
			parent = v
			fn = fn[:i]
		}
	}
	if len(fn) == 0 || bytes.IndexByte(fn, ' ') >= 0 {
		return nil, 0, false
	}
	return fn, parent, true
}

// parseElided parses "...N frames elided..." (Go 1.21+) and returns N, or
// -1 for "...additional frames elided..." (older runtimes, and ancestors).
func parseElided(line []byte) (int, bool) {
	if !bytes.HasPrefix(line, []byte("...")) || !bytes.HasSuffix(line, []byte(" elided...")) {
		return 0, false
	}
	if bytes.Equal(line, additionalElided) {
		return -1, true
	}
	v, n := parseDec(line[3:])
	if n == 0 || string(line[3+n:]) != " frames elided..." {
		return 0, false
	}
	return int(v), true
}

// parseOriginating parses "[originating from goroutine N]:".
func parseOriginating(line []byte) (int64, bool) {
	if !bytes.HasPrefix(line, originatingFrom) || !bytes.HasSuffix(line, []byte("]:")) {
		return 0, false
	}
	v, n := parseDec(line[len(originatingFrom):])
	if n == 0 || len(originatingFrom)+n != len(line)-2 {
		return 0, false
	}
	return v, true
}
