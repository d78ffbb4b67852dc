package detectors

// BuiltinSignatures returns a copy of the built-in signature tables, in the
// order the runtime analysis tries them. Tools that find the same holes by
// other means (ctxhole vet reads source) take their categories and fixes
// from here, so that a static diagnostic and a runtime finding about one
// hole say the same thing.
func BuiltinSignatures() []Signature {
	return builtinSignatures()
}

// LeakFix is the fix a goroutine-leak finding carries (leaks are found by
// identity and growth, not by a signature row).
func LeakFix() Fix {
	return fixLeak
}

// ResourceFix is the fix a resource-leak finding of the given kind carries
// ("http-response-body", "sql.DB", "sql-tx", ...), false for an unknown
// kind.
func ResourceFix(kind string) (Fix, bool) {
	for _, r := range resourceRows() {
		if r.Kind == kind {
			return r.Fix, true
		}
	}
	return Fix{}, false
}
