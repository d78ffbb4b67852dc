#!/bin/sh
# Records go1.N.trace with each toolchain (the go command downloads the older
# ones). Run from this directory.
set -e
for v in 1.19.13 1.21.13 1.22.12 1.23.12 1.25.14 1.26.8; do
	minor=$(echo "$v" | cut -d. -f2)
	GOTOOLCHAIN=go$v go run main.go "go1.$minor.trace"
done
