package parser

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"unicode/utf16"
)

// fxUTF16 encodes s as UTF-16 in the byte order, with its BOM.
func fxUTF16(s string, order binary.AppendByteOrder) []byte {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2+2*len(units))
	out = order.AppendUint16(out, 0xfeff)
	for _, u := range units {
		out = order.AppendUint16(out, u)
	}
	return out
}

func TestUTF16Reader(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		name string
		in   []byte // without BOM
		want string
	}{
		{"ascii", fxUTF16("goroutine 1 [running]:\n", le)[2:], "goroutine 1 [running]:\n"},
		{"surrogate pair", fxUTF16("label 🔥 é", le)[2:], "label 🔥 é"},
		{"lone high surrogate", []byte{0x3d, 0xd8, 'a', 0}, "\uFFFDa"},
		{"lone low surrogate", []byte{0x25, 0xdd, 'a', 0}, "\uFFFDa"},
		{"odd trailing byte", []byte{'a', 0, 'b'}, "a\uFFFD"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(newUTF16Reader(bufio.NewReader(bytes.NewReader(tt.in)), le))
			if err != nil || string(got) != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// Longer than one conversion chunk, big-endian.
	long := strings.Repeat("goroutine 7 [chan receive]:\n", 1000)
	got, err := io.ReadAll(newUTF16Reader(bufio.NewReader(bytes.NewReader(fxUTF16(long, binary.BigEndian)[2:])), binary.BigEndian))
	if err != nil || string(got) != long {
		t.Errorf("long big-endian text: %d bytes, %v", len(got), err)
	}
}

// Captures saved by Windows PowerShell (UTF-16LE, CRLF) or by an editor
// adding a UTF-8 BOM read like the plain capture.
func TestReadEncodings(t *testing.T) {
	fxStart(t)
	for _, src := range []struct {
		name string
		data []byte
	}{{"debug=2", fxProfile(t, "goroutine", 2)}, {"debug=1", fxProfile(t, "goroutine", 1)}} {
		plain, err := Read(bytes.NewReader(src.data), "plain", Options{})
		if err != nil {
			t.Fatal(err)
		}
		crlf := strings.ReplaceAll(string(src.data), "\n", "\r\n")
		for _, enc := range []struct {
			name string
			data []byte
		}{
			{"utf-8 bom", append(bytes.Clone(bomUTF8), src.data...)},
			{"utf-16le crlf", fxUTF16(crlf, binary.LittleEndian)},
			{"utf-16be", fxUTF16(string(src.data), binary.BigEndian)},
			{"gzip utf-16le", fxGzip(t, fxUTF16(crlf, binary.LittleEndian))},
		} {
			t.Run(src.name+"/"+enc.name, func(t *testing.T) {
				c, err := Read(bytes.NewReader(enc.data), "enc", Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Snapshots) != 1 {
					t.Fatalf("%d snapshots", len(c.Snapshots))
				}
				got, want := c.Snapshots[0], plain.Snapshots[0]
				if got.Source.Format != want.Source.Format || got.Count() != want.Count() || len(got.Goroutines) != len(want.Goroutines) {
					t.Errorf("%s with %d goroutines in %d records, want %s with %d in %d",
						got.Source.Format, got.Count(), len(got.Goroutines), want.Source.Format, want.Count(), len(want.Goroutines))
				}
				if recv := fxFind(got.Goroutines, "fxRecv"); len(recv) == 0 || recv[0].Frames[0].Func == "" {
					t.Errorf("fxRecv goroutines not read: %v", recv)
				}
			})
		}
	}
}
