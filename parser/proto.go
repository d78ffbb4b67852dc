package parser

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// readProto reads a pprof protobuf profile (already gunzipped): a goroutine
// profile becomes a Snapshot, a mutex or block profile a Contention. Other
// profile kinds are rejected naming their sample types. A protobuf must be
// decoded whole, so at most min(max, maxProtoBytes) bytes are read; the
// top-level framing is checked as the bytes arrive (protoBudget), so data
// that is no profile (a gzip of zeros) or that declares an absurd field is
// rejected before it is buffered, and samples past maxSamplesPerProfile are
// dropped before decoding.
func readProto(r io.Reader, name string, max int64) (*Snapshot, *Contention, error) {
	max = min(max, maxProtoBytes)
	data, dropped, err := readProtoBudget(r, max)
	if err != nil {
		var (
			fe *protoFramingError
			pe *Error
		)
		switch {
		case errors.As(err, &pe):
			pe.File = name
			return nil, nil, pe
		case errors.As(err, &fe):
			return nil, nil, protoError(name, fe.data, fe.err)
		case errors.Is(err, errProtoTooLong):
			return nil, nil, &Error{File: name, Offset: max, Err: fmt.Errorf("binary input larger than the %d-byte limit", max)}
		}
		return nil, nil, err
	}
	p, err := decodeProfile(data)
	if err != nil {
		return nil, nil, protoError(name, data, err)
	}
	snap, prof, err := protoConvert(p, name)
	if dropped > 0 {
		w := Warning{File: name, Offset: -1, Msg: fmt.Sprintf(
			"more than %d samples in one profile: %d samples not read", maxSamplesPerProfile, dropped)}
		if snap != nil {
			snap.Truncated = true
			snap.Warnings = append(snap.Warnings, w)
		}
		if prof != nil {
			prof.Warnings = append(prof.Warnings, w)
		}
	}
	return snap, prof, err
}

// errProtoTooLong reports a binary input over the size limit.
var errProtoTooLong = errors.New("binary input too long")

// protoFramingError carries the bytes read when the framing check failed,
// for protoError to locate and describe.
type protoFramingError struct {
	data []byte
	err  error
}

func (e *protoFramingError) Error() string { return e.err.Error() }

// readProtoBudget reads a protobuf profile of at most max bytes (one more
// byte tells that it is longer), walking its top-level fields as they
// arrive: a broken tag, a field number a profile does not have or a field
// longer than maxProtoField stops the read at once. Sample fields (number
// 2) past maxSamplesPerProfile are left out of the returned bytes and
// counted.
func readProtoBudget(r io.Reader, max int64) (data []byte, dropped int, err error) {
	const field2Sample = 2
	var (
		buf     = make([]byte, 0, 64<<10)
		chunk   = make([]byte, 64<<10)
		off     int // start of the next field in buf
		samples int
		total   int64 // bytes read, dropped samples included
		eof     bool
	)
	for {
		// Walk the whole fields buf holds.
		for off < len(buf) {
			tag, n := protoVarint(buf[off:])
			if n <= 0 {
				if len(buf)-off >= 10 {
					return nil, 0, &protoFramingError{buf, errProtoTruncated}
				}
				break // the tag continues in the next chunk
			}
			field, wire := tag>>3, tag&7
			if field == 0 || field > 15 || (wire != 0 && wire != 2) {
				return nil, 0, &protoFramingError{buf, errors.New("bad field")} // protoFraming says which
			}
			var size int
			if wire == 0 {
				_, m := protoVarint(buf[off+n:])
				if m <= 0 {
					if len(buf)-off-n >= 10 {
						return nil, 0, &protoFramingError{buf, errProtoTruncated}
					}
					break
				}
				size = n + m
			} else {
				l, m := protoVarint(buf[off+n:])
				if m <= 0 {
					if len(buf)-off-n >= 10 {
						return nil, 0, &protoFramingError{buf, errProtoTruncated}
					}
					break
				}
				if l > maxProtoField {
					return nil, 0, &Error{Offset: total - int64(len(buf)-off), Err: fmt.Errorf(
						"pprof profile field %d declares %d bytes, over the %d-byte limit of one field", field, l, maxProtoField)}
				}
				size = n + m + int(l)
			}
			if off+size > len(buf) {
				break // the field continues in the next chunk
			}
			if field == field2Sample {
				samples++
				if samples > maxSamplesPerProfile {
					buf = append(buf[:off], buf[off+size:]...)
					dropped++
					continue
				}
			}
			off += size
		}
		if total > max {
			return nil, 0, errProtoTooLong
		}
		if eof {
			return buf, dropped, nil
		}
		n, rerr := r.Read(chunk[:min(int64(len(chunk)), max+1-total)])
		buf = append(buf, chunk[:n]...)
		total += int64(n)
		if rerr == io.EOF {
			eof = true
		} else if rerr != nil {
			return nil, 0, rerr
		}
	}
}

// protoConvert turns a decoded profile into a snapshot or a contention
// profile, by its sample types.
func protoConvert(p *profile.Profile, name string) (*Snapshot, *Contention, error) {
	var (
		types []string
		gi    = -1
		ci    = -1
		di    = -1
	)
	for i, st := range p.SampleType {
		types = append(types, st.Type+"/"+st.Unit)
		switch st.Type {
		case "goroutine", "goroutineleak":
			gi = i
		case "contentions":
			ci = i
		case "delay":
			di = i
		}
	}
	switch {
	case gi >= 0:
		return protoGoroutines(p, gi, name), nil, nil
	case ci >= 0 && di >= 0:
		return nil, protoContention(p, ci, di, name), nil
	}
	return nil, nil, &Error{File: name, Offset: -1, Err: fmt.Errorf(
		"%w: a pprof %s with sample types %s; ctxhole reads goroutine, mutex and block profiles",
		ErrUnknownFormat, profileKindName(p), CleanText(strings.Join(types, ", ")))}
}

// decodeProfile decodes a protobuf profile and checks its consistency. The
// decoder is third-party code fed untrusted bytes: a panic in it becomes an
// error rather than taking the analysis down.
func decodeProfile(data []byte) (p *profile.Profile, err error) {
	defer func() {
		if e := recover(); e != nil {
			p, err = nil, fmt.Errorf("pprof decoder failed: %v", e)
		}
	}()
	p, err = profile.ParseUncompressed(data)
	if err != nil {
		return nil, err
	}
	if err := p.CheckValid(); err != nil {
		return nil, err
	}
	return p, nil
}

// protoError explains why binary data did not decode. Data whose top-level
// protobuf framing is broken is located precisely; data that does not even
// start like a profile is reported as an unknown format.
func protoError(name string, data []byte, err error) error {
	off, ferr := protoFraming(data)
	if off == 0 && ferr != nil {
		return &Error{File: name, Offset: 0, Err: fmt.Errorf(
			"%w: binary data starting % x, neither gzip, a pprof profile nor an execution trace", ErrUnknownFormat, data[:min(len(data), 8)])}
	}
	if ferr != nil {
		return &Error{File: name, Offset: off, Err: fmt.Errorf("corrupt or truncated pprof profile: %w", ferr)}
	}
	// Every field is whole, yet the profile does not decode: a cut that
	// fell exactly on a field boundary (the string table, which the runtime
	// writes last, is missing or short) or a corrupt reference. Where more
	// data was expected is the end.
	return &Error{File: name, Offset: int64(len(data)), Err: fmt.Errorf(
		"corrupt or truncated pprof profile: its fields are whole but it does not decode (cut at a field boundary?): %w", err)}
}

// errProtoTruncated reports protobuf framing that runs past the end.
var errProtoTruncated = errors.New("data ends inside a field")

// protoFraming walks the top-level fields of a protobuf message and
// returns the offset of the first field whose framing is broken: an
// unknown wire type, a field number outside the Profile message, or a
// length running past the end.
func protoFraming(data []byte) (int64, error) {
	const maxProfileField = 15 // pprof's Profile message has fields 1-15
	for off := 0; off < len(data); {
		start := off
		tag, n := protoVarint(data[off:])
		if n <= 0 {
			return int64(start), errProtoTruncated
		}
		off += n
		field, wire := tag>>3, tag&7
		if field == 0 || field > maxProfileField {
			return int64(start), fmt.Errorf("field number %d is not part of a profile", field)
		}
		switch wire {
		case 0:
			_, n := protoVarint(data[off:])
			if n <= 0 {
				return int64(start), errProtoTruncated
			}
			off += n
		case 2:
			l, n := protoVarint(data[off:])
			if n <= 0 || l > uint64(len(data)-off-n) {
				return int64(start), errProtoTruncated
			}
			off += n + int(l)
		default:
			return int64(start), fmt.Errorf("wire type %d is not used by profiles", wire)
		}
	}
	return 0, nil
}

// protoVarint decodes a varint, returning its length, or 0 if it is
// truncated or too long.
func protoVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// profileKindName names a profile kind from its sample types, for the
// rejection message.
func profileKindName(p *profile.Profile) string {
	for _, st := range p.SampleType {
		switch st.Type {
		case "cpu", "samples":
			return "CPU profile"
		case "alloc_space", "inuse_space", "alloc_objects", "inuse_objects":
			return "heap profile"
		case "threadcreate":
			return "threadcreate profile"
		}
	}
	return "profile"
}

// protoGoroutines converts a goroutine (or goroutineleak) profile: one
// Goroutine per sample, standing for value goroutines.
func protoGoroutines(p *profile.Profile, vi int, name string) *Snapshot {
	snap := &Snapshot{Source: Source{File: name, Format: FormatGoroutineProto, Time: profileTime(p)}, groups: new(groupCache)}
	leaked := p.SampleType[vi].Type == "goroutineleak"
	snap.LeakProfile = leaked
	names := funcNames{}
	total := 0
	warnedDepth := false
	for i, s := range p.Sample {
		v := s.Value[vi]
		if v <= 0 {
			snap.Warnings = append(snap.Warnings, Warning{File: name, Offset: -1,
				Msg: fmt.Sprintf("skipped sample %d with goroutine count %d", i, v)})
			continue
		}
		n := int(min(v, math.MaxInt32))
		frames, elided := protoFrames(s.Location, names)
		g := &Goroutine{Count: n, M: -1, Frames: frames, Elided: elided, Labels: protoLabels(s)}
		if elided > 0 && !warnedDepth {
			warnedDepth = true
			snap.Warnings = append(snap.Warnings, Warning{File: name, Offset: -1, Msg: fmt.Sprintf(
				"sample %d has a stack of more than %d frames: the rest are not kept", i, maxFramesPerStack)})
		}
		g.Status, g.Reason = inferReason(g.Frames)
		if leaked {
			g.Status = StatusLeaked
		}
		snap.Goroutines = append(snap.Goroutines, g)
		total += n
	}
	snap.DeclaredTotal = total
	return snap
}

// protoContention converts a mutex or block profile.
func protoContention(p *profile.Profile, ci, di int, name string) *Contention {
	c := &Contention{
		Source:   Source{File: name, Format: FormatContentionProto, Time: profileTime(p)},
		Period:   p.Period,
		Duration: time.Duration(p.DurationNanos),
	}
	scale, ok := delayUnits[p.SampleType[di].Unit]
	if !ok {
		scale = 1
		c.Warnings = append(c.Warnings, Warning{File: name, Offset: -1,
			Msg: fmt.Sprintf("delay unit %q not understood; read as nanoseconds", CleanText(p.SampleType[di].Unit))})
	}
	names := funcNames{}
	for _, s := range p.Sample {
		frames, _ := protoFrames(s.Location, names) // a contention stack is 32 frames at most; a longer one is cut
		c.Samples = append(c.Samples, ContentionSample{
			Count:  s.Value[ci],
			Delay:  time.Duration(s.Value[di]) * scale,
			Frames: frames,
		})
	}
	c.Kind = contentionKind(c.Samples)
	if c.Kind == "" {
		// No sample says: an empty profile, where the kind matters little.
		c.Kind = "block"
		c.Warnings = append(c.Warnings, Warning{File: name, Offset: -1,
			Msg: "no sample shows whether this is a mutex or a block profile; taken as block"})
	}
	return c
}

// delayUnits are the delay units pprof writers use.
var delayUnits = map[string]time.Duration{
	"nanoseconds":  time.Nanosecond,
	"microseconds": time.Microsecond,
	"milliseconds": time.Millisecond,
	"seconds":      time.Second,
}

// unlockFuncs are where a mutex profile's stacks start: the runtime records
// mutex contention at the unlock that ended it. Block profile stacks start
// at the blocking call instead.
var unlockFuncs = map[string]bool{
	"sync.(*Mutex).Unlock":              true,
	"sync.(*Mutex).unlockSlow":          true,
	"internal/sync.(*Mutex).Unlock":     true,
	"internal/sync.(*Mutex).unlockSlow": true,
	"sync.(*RWMutex).Unlock":            true,
	"sync.(*RWMutex).RUnlock":           true,
	"sync.(*RWMutex).rUnlockSlow":       true,
	"runtime.unlock":                    true,
	"runtime.unlockWithRank":            true,
	"runtime.unlock2":                   true,
	"runtime._LostContendedRuntimeLock": true,
	"sync.runtime_Semrelease":           true,
	"internal/sync.runtime_Semrelease":  true,
	"runtime.semrelease1":               true,
}

// contentionKind tells a mutex profile from a block profile by where the
// stacks start, since both have the same sample types and period. It
// returns "" when there is no sample to tell by.
func contentionKind(samples []ContentionSample) string {
	if len(samples) == 0 {
		return ""
	}
	for _, s := range samples {
		for i := 0; i < len(s.Frames) && i < 3; i++ {
			if unlockFuncs[s.Frames[i].Func] {
				return "mutex"
			}
		}
	}
	return "block"
}

// profileTime returns the profile's capture time, zero if it has none.
func profileTime(p *profile.Profile) time.Time {
	if p.TimeNanos <= 0 {
		return time.Time{}
	}
	return time.Unix(0, p.TimeNanos).UTC()
}

// funcNames caches the cleaned name and file of each function of a
// profile: a function recurs in many samples and is cleaned once.
type funcNames map[*profile.Function][2]string

func (m funcNames) get(fn *profile.Function) (name, file string) {
	if fn == nil {
		return "?", ""
	}
	if v, ok := m[fn]; ok {
		return v[0], v[1]
	}
	v := [2]string{UnvendorFunc(elideTypeArgs(CleanText(fn.Name))), CleanText(fn.Filename)}
	m[fn] = v
	return v[0], v[1]
}

// protoFrames expands a sample's locations into frames, innermost first:
// a location with inlined calls has several lines, the inlined callee
// first, the physical frame last.
func protoFrames(locs []*profile.Location, names funcNames) (frames []Frame, elided int) {
	n := 0
	for _, loc := range locs {
		n += max(len(loc.Line), 1)
	}
	if n > maxFramesPerStack {
		elided, n = n-maxFramesPerStack, maxFramesPerStack
	}
	frames = make([]Frame, 0, n)
	for _, loc := range locs {
		if len(loc.Line) == 0 {
			frames = append(frames, Frame{Func: "?", PC: loc.Address})
		}
		for i, ln := range loc.Line {
			if len(frames) == n {
				break
			}
			name, file := names.get(ln.Function)
			frames = append(frames, Frame{Func: name, File: file, Line: int(ln.Line), PC: loc.Address, Inlined: i < len(loc.Line)-1})
		}
		if len(frames) == n {
			break
		}
	}
	return frames, elided
}

// protoLabels returns a sample's labels sorted by key (then value); a key
// with several values gives several labels, numeric labels print their
// value and unit.
func protoLabels(s *profile.Sample) []Label {
	var labels []Label
	for k, vs := range s.Label {
		for _, v := range vs {
			labels = append(labels, Label{Key: CleanText(k), Value: CleanText(v)})
		}
	}
	for k, vs := range s.NumLabel {
		units := s.NumUnit[k]
		for i, v := range vs {
			val := strconv.FormatInt(v, 10)
			if i < len(units) && units[i] != "" {
				val += " " + units[i]
			}
			labels = append(labels, Label{Key: CleanText(k), Value: CleanText(val)})
		}
	}
	sortLabels(labels)
	return labels
}

// sortLabels sorts labels by key, then value, so output is deterministic.
func sortLabels(labels []Label) {
	slices.SortFunc(labels, func(a, b Label) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Value, b.Value))
	})
}
