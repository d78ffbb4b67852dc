package parser

import (
	"errors"
	"io"
)

// ReadTrace analyzes a Go execution trace in one streaming pass.
func ReadTrace(r io.Reader, src Source) (*Trace, error) {
	return nil, errors.New("execution trace analysis is not built yet")
}
