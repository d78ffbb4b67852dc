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
// decoded whole, so at most max bytes are read.
func readProto(r io.Reader, name string, max int64) (*Snapshot, *Contention, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > max {
		return nil, nil, &Error{File: name, Offset: max, Err: fmt.Errorf("binary input larger than the %d-byte limit", max)}
	}
	p, err := decodeProfile(data)
	if err != nil {
		return nil, nil, protoError(name, data, err)
	}
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
	snap := &Snapshot{Source: Source{File: name, Format: FormatGoroutineProto, Time: profileTime(p)}}
	leaked := p.SampleType[vi].Type == "goroutineleak"
	names := funcNames{}
	total := 0
	for i, s := range p.Sample {
		v := s.Value[vi]
		if v <= 0 {
			snap.Warnings = append(snap.Warnings, Warning{File: name, Offset: -1,
				Msg: fmt.Sprintf("skipped sample %d with goroutine count %d", i, v)})
			continue
		}
		n := int(min(v, math.MaxInt32))
		g := &Goroutine{Count: n, M: -1, Frames: protoFrames(s.Location, names), Labels: protoLabels(s)}
		g.Status, g.Reason = InferReason(g.Frames)
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
		c.Samples = append(c.Samples, ContentionSample{
			Count:  s.Value[ci],
			Delay:  time.Duration(s.Value[di]) * scale,
			Frames: protoFrames(s.Location, names),
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
	v := [2]string{UnvendorFunc(ElideTypeArgs(CleanText(fn.Name))), CleanText(fn.Filename)}
	m[fn] = v
	return v[0], v[1]
}

// protoFrames expands a sample's locations into frames, innermost first:
// a location with inlined calls has several lines, the inlined callee
// first, the physical frame last.
func protoFrames(locs []*profile.Location, names funcNames) []Frame {
	n := 0
	for _, loc := range locs {
		n += max(len(loc.Line), 1)
	}
	frames := make([]Frame, 0, n)
	for _, loc := range locs {
		if len(loc.Line) == 0 {
			frames = append(frames, Frame{Func: "?", PC: loc.Address})
			continue
		}
		for i, ln := range loc.Line {
			name, file := names.get(ln.Function)
			frames = append(frames, Frame{Func: name, File: file, Line: int(ln.Line), PC: loc.Address, Inlined: i < len(loc.Line)-1})
		}
	}
	return frames
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
