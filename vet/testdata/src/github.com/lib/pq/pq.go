// Package pq is a stub of github.com/lib/pq for the analyzer tests.
package pq

import "database/sql/driver"

type Connector struct{}

func (*Connector) Connect(interface{}) (driver.Conn, error) { return nil, nil }

func NewConnector(dsn string) (*Connector, error) { return &Connector{}, nil }
