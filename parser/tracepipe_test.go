package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// traceFixtures returns every execution trace committed to the repository:
// the fixtures' captures and the traces of each Go release's format.
func traceFixtures(t *testing.T) []string {
	t.Helper()
	var paths []string
	for _, dir := range []string{
		testrepo.Path(t, "fixtures", "captures"),
		filepath.Join("testdata", "exectrace"),
	} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if isTraceFile(path) {
				paths = append(paths, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// isTraceFile reports whether the file starts with an execution trace's
// header.
func isTraceFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := f.Read(head)
	return strings.HasPrefix(string(head[:n]), "go 1.") && bytes.Contains(head[:n], []byte(" trace"))
}

// readBothWays reads data with and without the decoding pipeline, fails
// the test unless both give the same result (or the same error, at the
// same offset), and returns it.
func readBothWays(t *testing.T, data []byte, name string) (*Trace, error) {
	t.Helper()
	seq, seqErr := readTrace(bytes.NewReader(data), Source{File: name}, false)
	pipe, pipeErr := readTrace(bytes.NewReader(data), Source{File: name}, true)
	if (seqErr == nil) != (pipeErr == nil) {
		t.Fatalf("%s: sequential error %v, pipelined error %v", name, seqErr, pipeErr)
	}
	if seqErr != nil {
		var se, pe *Error
		if !errors.As(seqErr, &se) || !errors.As(pipeErr, &pe) {
			t.Fatalf("%s: sequential error %v, pipelined error %v", name, seqErr, pipeErr)
		}
		if se.Offset != pe.Offset || seqErr.Error() != pipeErr.Error() {
			// x/exp/trace does not always name the same fault of a
			// malformed trace: on one Go 1.19 input its converter said
			// "TimerGoroutine has wrong number of arguments" 47 times in
			// 50 sequential reads and "UserTaskEnd has wrong number of
			// arguments" 3 times. The pipelined error must be one the
			// sequential path gives too.
			if !sequentialCanGive(data, name, pipeErr.Error(), 500) {
				t.Fatalf("%s: sequential error %v, pipelined error %v (which 500 sequential reads never gave)", name, seqErr, pipeErr)
			}
		}
		return nil, seqErr
	}
	if !reflect.DeepEqual(seq, pipe) {
		t.Fatalf("%s: the pipelined result differs from the sequential one: %s", name, firstDifference(t, seq, pipe))
	}
	return pipe, nil
}

// firstDifference describes where two traces' JSON forms first differ.
func firstDifference(t *testing.T, a, b *Trace) string {
	t.Helper()
	ja, err := json.MarshalIndent(a, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	la, lb := strings.Split(string(ja), "\n"), strings.Split(string(jb), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + la[i] + " vs " + lb[i]
		}
	}
	if len(la) != len(lb) {
		return "lengths differ"
	}
	return "only in fields JSON leaves out"
}

// The pipelined analysis gives exactly what the sequential one gives, on
// every committed trace, whole, cut short and with flipped bytes: the same
// goroutines, blocks, edges, sites and figures, and the same warnings and
// errors at the same byte offsets.
func TestReadTracePipelinedSameAsSequential(t *testing.T) {
	paths := traceFixtures(t)
	if len(paths) < 6 {
		t.Fatalf("found %d trace fixtures, want the captures' and testdata's", len(paths))
	}
	rng := rand.New(rand.NewPCG(14, 14))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		tr, err := readBothWays(t, data, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tr.Truncated || tr.Events == 0 {
			t.Fatalf("%s: truncated %v, %d events", name, tr.Truncated, tr.Events)
		}
		cut := len(data) / 3
		if _, err := readBothWays(t, data[:cut], name+" cut"); err == nil && testing.Verbose() {
			t.Logf("%s: cut at %d analyzed in part", name, cut)
		}
		bad := bytes.Clone(data)
		for range 3 {
			i := 16 + rng.IntN(len(bad)-16)
			bad[i] ^= byte(1 + rng.IntN(255))
		}
		_, _ = readBothWays(t, bad, name+" flipped")
	}
}

// sequentialCanGive reports whether reading data without the pipeline
// gives the error text want in one of at most tries reads.
func sequentialCanGive(data []byte, name, want string, tries int) bool {
	for range tries {
		if _, err := readTrace(bytes.NewReader(data), Source{File: name}, false); err != nil && err.Error() == want {
			return true
		}
	}
	return false
}
