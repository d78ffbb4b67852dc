// Package singleflight is a stub of golang.org/x/sync/singleflight for the analyzer tests.
package singleflight

type Group struct{}

func (g *Group) Do(key string, fn func() (interface{}, error)) (interface{}, error, bool) {
	v, err := fn()
	return v, err, false
}
