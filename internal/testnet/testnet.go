// Package testnet gives tests both ends of a real loopback TCP connection:
// the dependency that never answers, from which the live tests build
// goroutines blocked in "IO wait" the way a stuck service's are.
package testnet

import (
	"net"
	"testing"
)

// Pair returns the client and server ends of a loopback TCP connection.
// Both are closed when the test ends; the test is skipped on a machine
// without loopback networking.
func Pair(tb testing.TB) (client, server net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Skipf("no loopback: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatalf("dial loopback: %v", err)
	}
	server = <-accepted
	if server == nil {
		client.Close()
		tb.Fatal("accept on loopback failed")
	}
	tb.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}
