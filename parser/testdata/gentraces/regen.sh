#!/bin/sh
# Regenerates ../pprof-traces from a real goroutine profile.
set -e
cd "$(dirname "$0")"
out=../pprof-traces
go run -trimpath . "$out/goroutine.pb.gz"
go tool pprof -traces "$out/goroutine.pb.gz" >"$out/traces.txt"
go tool pprof -traces -lines "$out/goroutine.pb.gz" >"$out/traces-lines.txt"
go tool pprof -traces -addresses "$out/goroutine.pb.gz" >"$out/traces-addresses.txt"
