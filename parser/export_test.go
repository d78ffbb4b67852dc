package parser

// Test helpers of package parser that the external test package
// (parser_test: benchmarks that run the whole analysis) uses too.
var (
	ProcessCPU   = processCPU
	PeakHeap     = peakHeap
	CountHeaders = countHeaders
)
