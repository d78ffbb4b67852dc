package parser

import "strings"

// elideTypeArgs rewrites the type arguments of a generic function name to
// "[...]", as the runtime's tracebacks print them. Symbol tables — and so
// pprof profiles and `go tool pprof` output — name the compiler's shape
// instantiation instead ("main.drain[go.shape.string]",
// "main.(*queue[go.shape.int]).pop"); without this the same function would
// have two names, and the debug=2 dump and the proto profile of one moment
// would not group alike. Nested brackets ("F[go.shape.[]int]") are handled;
// a name without brackets is returned unchanged.
func elideTypeArgs(fn string) string {
	if strings.IndexByte(fn, '[') < 0 || strings.Contains(fn, "[...]") && strings.Count(fn, "[") == strings.Count(fn, "[...]") {
		return fn
	}
	var b strings.Builder
	b.Grow(len(fn))
	depth := 0
	for i := 0; i < len(fn); i++ {
		switch c := fn[i]; {
		case c == '[':
			if depth == 0 {
				b.WriteString("[...]")
			}
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	if depth > 0 { // unbalanced: keep what was printed
		return fn
	}
	return b.String()
}
