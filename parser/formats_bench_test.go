package parser

import (
	"bufio"
	"bytes"
	"sync"
	"testing"

	"github.com/google/pprof/profile"
)

// The benchmarks here measure the aggregated-format readers against a
// baseline doing the least any reader must do on the same bytes: splitting
// lines for the debug=1 text, decoding the protobuf for a profile. Compare
// the sub-benchmarks' ns/op: the ratio is the cost of building the model.

// fxDeep parks at stack depth d so that goroutines parked at different
// depths make different profile records.
func fxDeep(d int, release <-chan struct{}, parked *sync.WaitGroup) {
	if d > 0 {
		fxDeep(d-1, release, parked)
		return
	}
	parked.Done()
	<-release
}

// fxManyParked parks n goroutines spread over distinct stacks of depth up
// to 64, and returns the goroutine profile at the debug level.
func fxManyParked(b *testing.B, n int) (debug1, proto []byte) {
	b.Helper()
	release := make(chan struct{})
	var parked sync.WaitGroup
	parked.Add(n)
	for i := range n {
		go fxDeep(i%64, release, &parked)
	}
	parked.Wait()
	defer close(release)
	return fxProfile(b, "goroutine", 1), fxGunzip(b, fxProfile(b, "goroutine", 0))
}

func BenchmarkAggregatedFormats(b *testing.B) {
	debug1, proto := fxManyParked(b, 20000)
	b.Run("debug1/ctxhole", func(b *testing.B) {
		b.SetBytes(int64(len(debug1)))
		b.ReportAllocs()
		for b.Loop() {
			ss, err := readDebug1(bytes.NewReader(debug1), "bench")
			if err != nil || ss[0].Count() < 20000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("debug1/baseline-line-split", func(b *testing.B) {
		b.SetBytes(int64(len(debug1)))
		b.ReportAllocs()
		for b.Loop() {
			sc := bufio.NewScanner(bytes.NewReader(debug1))
			n := 0
			for sc.Scan() {
				n += len(sc.Bytes())
			}
			if n == 0 {
				b.Fatal("no lines")
			}
		}
	})
	b.Run("proto/ctxhole", func(b *testing.B) {
		b.SetBytes(int64(len(proto)))
		b.ReportAllocs()
		for b.Loop() {
			s, _, err := readProto(bytes.NewReader(proto), "bench", DefaultMaxDecompressed)
			if err != nil || s.Count() < 20000 {
				b.Fatal(err)
			}
		}
	})
	b.Run("proto/baseline-decode", func(b *testing.B) {
		b.SetBytes(int64(len(proto)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := profile.ParseUncompressed(bytes.Clone(proto)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
