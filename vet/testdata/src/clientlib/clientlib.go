// Package clientlib builds HTTP clients another package uses: the facts
// about them cross the package boundary.
package clientlib

import (
	"net/http"
	"time"
)

// Shared has no Timeout.
var Shared = &http.Client{}

// Bounded has one.
var Bounded = &http.Client{Timeout: 5 * time.Second}

// New returns a client without Timeout.
func New() *http.Client { return &http.Client{} }

// NewBounded returns a client with one.
func NewBounded() *http.Client { return &http.Client{Timeout: time.Second} }

// Config is set by its users.
type Config struct {
	HTTPClient *http.Client
}
