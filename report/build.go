package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ctxhole/ctxhole/detectors"
	"github.com/ctxhole/ctxhole/parser"
)

// longestWaitsShown bounds Summary.LongestWaits.
const longestWaitsShown = 5

// Build turns a parsed capture and its diagnosis into the Document every
// renderer works from. r may be nil (nothing diagnosed): the document then
// has the inputs, the summary and the goroutine groups, and no findings.
// Every string taken from the capture passes parser.CleanText here, once,
// so no renderer can forget to.
func Build(c *parser.Capture, r *detectors.Diagnosis, tool Tool) *Document {
	d := &Document{
		SchemaVersion: SchemaVersion,
		Tool:          tool,
		Inputs:        []Input{},
		Groups:        []Group{},
		Findings:      []Finding{},
		Summary: Summary{
			ByState:      map[string]int{},
			LongestWaits: []LongestWait{},
			Warnings:     []Warning{},
			BySeverity:   map[string]int{},
		},
	}
	if c == nil {
		c = &parser.Capture{}
	}
	// member locates every goroutine of a primary snapshot in d.Groups,
	// so that a chain link names the group it shows.
	member := map[*parser.Goroutine]int{}
	moment := map[*parser.Snapshot]int{}
	for i, s := range c.Moments() {
		moment[s] = i
	}
	d.Summary.Moments = len(moment)
	for i, s := range c.Snapshots {
		in := snapshotInput(s)
		d.Summary.Snapshots++
		d.Summary.Truncated = d.Summary.Truncated || s.Truncated
		d.Summary.Deadlock = d.Summary.Deadlock || s.Preamble.Deadlock()
		if m, ok := moment[s]; ok {
			in.Primary, in.Moment = true, m
			in.ByState = map[string]int{}
			d.Summary.Goroutines += s.Count()
			for _, g := range s.Goroutines {
				k := stateKey(g.Status, g.Reason)
				in.ByState[k] += g.Count
				d.Summary.ByState[k] += g.Count
			}
		}
		d.Inputs = append(d.Inputs, in)
		if !in.Primary {
			continue // its moment's richer capture holds the same goroutines
		}
		for _, grp := range s.Groups() {
			for _, m := range grp.Members {
				member[m] = len(d.Groups)
			}
			d.Groups = append(d.Groups, groupDoc(i, grp))
		}
	}
	for _, p := range c.Contention {
		d.Inputs = append(d.Inputs, Input{
			Kind:        KindContention,
			File:        clean(p.Source.File),
			Format:      string(p.Source.Format),
			Index:       p.Source.Index,
			Line:        p.Source.Line,
			CapturedAt:  timeString(p.Source.Time),
			ProfileKind: clean(p.Kind),
			Samples:     len(p.Samples),
		})
	}
	for _, t := range c.Traces {
		d.Inputs = append(d.Inputs, Input{
			Kind:            KindTrace,
			File:            clean(t.Source.File),
			Format:          string(t.Source.Format),
			Index:           t.Source.Index,
			Line:            t.Source.Line,
			CapturedAt:      timeString(t.Source.Time),
			Truncated:       t.Truncated,
			DurationS:       seconds(t.Duration),
			TraceGoroutines: len(t.Goroutines),
		})
		d.Summary.Truncated = d.Summary.Truncated || t.Truncated
	}
	for _, s := range c.LeakProfiles {
		d.Inputs = append(d.Inputs, Input{
			Kind:          KindLeakProfile,
			File:          clean(s.Source.File),
			Format:        string(s.Source.Format),
			Index:         s.Source.Index,
			Line:          s.Source.Line,
			CapturedAt:    timeString(s.Source.Time),
			Goroutines:    s.Count(),
			DeclaredTotal: s.DeclaredTotal,
		})
	}
	for _, w := range c.AllWarnings() {
		d.Summary.Warnings = append(d.Summary.Warnings, Warning{
			File: clean(w.File), Line: w.Line, Offset: w.Offset, Message: clean(w.Msg),
		})
	}
	d.Summary.LongestWaits = longestWaits(d.Groups, primarySnapshot(d))
	if r != nil {
		for i, f := range r.Findings {
			fd := findingDoc(i+1, f, member)
			fd.Root.BlockedSince = blockedSince(c, f.Root)
			d.Findings = append(d.Findings, fd)
			d.Summary.BySeverity[f.Severity.String()]++
		}
		uniqueIDs(d.Findings)
	}
	d.Summary.Findings = len(d.Findings)
	return d
}

// stateKey names a goroutine's state for Summary.ByState: the normalised
// wait reason when it is waiting, its status otherwise.
func stateKey(st parser.Status, reason string) string {
	if reason != "" {
		return clean(reason)
	}
	return st.String()
}

func snapshotInput(s *parser.Snapshot) Input {
	in := Input{
		Kind:          KindGoroutines,
		File:          clean(s.Source.File),
		Format:        string(s.Source.Format),
		Index:         s.Source.Index,
		Line:          s.Source.Line,
		CapturedAt:    timeString(s.Source.Time),
		Goroutines:    s.Count(),
		DeclaredTotal: s.DeclaredTotal,
		Truncated:     s.Truncated,
	}
	p := s.Preamble
	if len(p.Panic) > 0 || p.Fatal != "" || p.Signal != "" || p.TestTimeout != "" || len(p.RunningTests) > 0 {
		in.Preamble = &Preamble{
			Panic:        cleanAll(p.Panic),
			Fatal:        clean(p.Fatal),
			Signal:       clean(p.Signal),
			TestTimeout:  clean(p.TestTimeout),
			RunningTests: cleanAll(p.RunningTests),
			Deadlock:     p.Deadlock(),
		}
	}
	return in
}

func groupDoc(input int, grp *parser.Group) Group {
	g := Group{
		Input:               input,
		Count:               grp.Count,
		Status:              grp.Status.String(),
		State:               clean(grp.State),
		Reason:              clean(grp.Reason),
		WaitKnown:           grp.WaitKnown > 0,
		WaitKnownGoroutines: grp.WaitKnown,
		WaitMinS:            seconds(grp.WaitMin),
		WaitMaxS:            seconds(grp.WaitMax),
		GoroutineIDs:        append([]int64{}, grp.IDs...),
		LockedToThread:      grp.LockedToThread,
		Stack:               frames(grp.Frames),
		AppFrameIndex:       detectors.AppFrame(grp.Frames),
		Elided:              grp.Elided,
		CreatedBy:           createdBy(grp.CreatedBy),
		Labels:              sharedLabels(grp.Members),
	}
	if len(g.Stack) > 0 {
		top := g.Stack[0]
		g.TopFrame = &top
	}
	if g.AppFrameIndex >= 0 {
		app := g.Stack[g.AppFrameIndex]
		g.AppFrame = &app
	}
	return g
}

// sharedLabels returns the labels every goroutine of a group carries with
// the same value; nil when there are none.
func sharedLabels(members []*parser.Goroutine) []Label {
	if len(members) == 0 || len(members[0].Labels) == 0 {
		return nil
	}
	var out []Label
	for _, l := range members[0].Labels {
		shared := true
		for _, m := range members[1:] {
			if !slices.Contains(m.Labels, l) {
				shared = false
				break
			}
		}
		if shared {
			out = append(out, Label{Key: clean(l.Key), Value: clean(l.Value)})
		}
	}
	return out
}

// longestWaits picks the groups of snapshot input with the longest known
// waits, longest first, leaving out the runtime's own goroutines (GC
// workers, the finalizer, forced GC), which idle for as long as the process
// lives; ties keep document order, so the result is deterministic.
func longestWaits(groups []Group, input int) []LongestWait {
	var idx []int
	for i, g := range groups {
		if g.Input == input && g.WaitKnown && g.WaitMaxS > 0 && !runtimeOnly(g.Stack) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(groups[b].WaitMaxS, groups[a].WaitMaxS)
	})
	out := []LongestWait{}
	for _, i := range idx[:min(len(idx), longestWaitsShown)] {
		g := groups[i]
		lw := LongestWait{Input: g.Input, Goroutines: g.Count, State: g.State, WaitMaxS: g.WaitMaxS}
		if f := g.AppFrame; f != nil {
			lw.Function, lw.File, lw.Line = f.Function, f.File, f.Line
		} else if f := g.TopFrame; f != nil {
			lw.Function, lw.File, lw.Line = f.Function, f.File, f.Line
		}
		out = append(out, lw)
	}
	return out
}

// runtimeOnly reports whether a document stack is a system goroutine's
// (parser.RuntimeOnly).
func runtimeOnly(stack []Frame) bool {
	fs := make([]parser.Frame, len(stack))
	for i, f := range stack {
		fs[i] = parser.Frame{Func: f.Function, File: f.File, Line: f.Line}
	}
	return parser.RuntimeOnly(fs)
}

// primarySnapshot picks the snapshot the summary's longest waits and the
// table's groups describe: the richest capture of the latest moment (the
// state the process was last seen in, the one the detectors diagnose). It
// returns an index into d.Inputs, -1 when there is no snapshot.
func primarySnapshot(d *Document) int {
	best := -1
	for i, in := range d.Inputs {
		if in.Kind != KindGoroutines || !in.Primary {
			continue
		}
		if best < 0 || in.Moment >= d.Inputs[best].Moment {
			best = i
		}
	}
	return best
}

func findingDoc(rank int, f *detectors.Finding, member map[*parser.Goroutine]int) Finding {
	fd := Finding{
		Rank:              rank,
		Category:          string(f.Category),
		Severity:          f.Severity.String(),
		Confidence:        round(f.Confidence, 3),
		ConfidenceReasons: cleanAll(f.Reasons),
		Title:             clean(f.Title),
		Explanation:       cleanLines(f.Explanation),
		Goroutines:        f.Goroutines,
		GoroutineIDs:      append([]int64{}, f.IDs...),
		WaitKnown:         f.WaitKnown,
		WaitMinS:          seconds(f.WaitMin),
		WaitMaxS:          seconds(f.WaitMax),
		Root:              rootDoc(f),
		Chain:             []Link{},
		Evidence:          []Evidence{},
		Fix:               Fix{Summary: clean(f.Fix.Summary), Detail: cleanLines(f.Fix.Detail), Code: cleanLines(f.Fix.Code)},
		Contention:        []ContentionCite{},
		Score:             round(f.Score, 3),
	}
	if fd.ConfidenceReasons == nil {
		fd.ConfidenceReasons = []string{}
	}
	fd.Summary, fd.SummaryArgs = summarize(fd.Title)
	for _, l := range f.Chain {
		ld := linkDoc(l)
		if l.Group != nil && len(l.Group.Members) > 0 {
			if gi, ok := member[l.Group.First()]; ok {
				ld.Group = &gi
			}
		}
		fd.Chain = append(fd.Chain, ld)
	}
	for _, e := range f.Evidence {
		ed := Evidence{Kind: clean(e.Kind), Text: clean(e.Text), GoroutineID: e.GoroutineID}
		if e.Frame != nil {
			fr := frameDoc(*e.Frame)
			ed.Frame = &fr
		}
		fd.Evidence = append(fd.Evidence, ed)
	}
	if f.TraceEnd > 0 {
		end := int64(f.TraceEnd)
		fd.TraceEndNS = &end
	}
	fd.Resource = clean(f.Resource)
	if g := f.Growth; g != nil {
		fd.Growth = &Growth{From: g.From, To: g.To, Snapshots: g.Snapshots, RateKnown: g.RateKnown, PerMinute: round(g.PerMinute, 2)}
	}
	for _, c := range f.Contention {
		fd.Contention = append(fd.Contention, ContentionCite{
			Kind: clean(c.Kind), Function: clean(c.Function), File: clean(c.File), Line: c.Line,
			Count: c.Count, DelayS: seconds(c.Delay),
		})
	}
	fd.ID = findingID(fd.Category, fd.Root)
	return fd
}

// rootDoc describes a finding's root goroutine. Its function is the one
// the root is blocked in as the detectors name it (the depth-0 link of the
// chain: the blocking call, e.g. lib/pq's start-up), falling back to the
// first application frame, then the top frame.
func rootDoc(f *detectors.Finding) Root {
	r := f.Root
	rd := Root{
		GoroutineID: r.GoroutineID,
		State:       clean(r.State),
		WaitKnown:   r.WaitKnown,
		WaitS:       seconds(r.Wait),
		Stack:       frames(r.Frames),
		AppFrame:    r.AppFrame,
		Grade:       gradeName(r.Grade),
		Basis:       clean(r.Basis),
	}
	if rd.AppFrame < -1 || rd.AppFrame >= len(rd.Stack) {
		rd.AppFrame = -1
	}
	switch {
	case len(f.Chain) > 0 && f.Chain[0].Function != "":
		l := f.Chain[0]
		rd.Function, rd.File, rd.Line = clean(l.Function), clean(l.File), l.Line
	case rd.AppFrame >= 0:
		fr := rd.Stack[rd.AppFrame]
		rd.Function, rd.File, rd.Line = fr.Function, fr.File, fr.Line
	case len(rd.Stack) > 0:
		fr := rd.Stack[0]
		rd.Function, rd.File, rd.Line = fr.Function, fr.File, fr.Line
	}
	if r.Timed {
		ns := int64(r.Since)
		rd.SinceNS = &ns
	}
	if !r.BlockedAt.IsZero() {
		at := r.BlockedAt.UTC()
		rd.BlockedAt = &at
	}
	return rd
}

func linkDoc(l detectors.Link) Link {
	ld := Link{
		Depth:        l.Depth,
		Relation:     string(l.Relation),
		Grade:        gradeName(l.Grade),
		Category:     string(l.Category),
		Goroutines:   l.Goroutines,
		GoroutineIDs: append([]int64{}, l.IDs...),
		Function:     clean(l.Function),
		File:         clean(l.File),
		Line:         l.Line,
		State:        clean(l.State),
		WaitKnown:    l.WaitKnown,
		WaitMaxS:     seconds(l.WaitMax),
		Timed:        l.Timed,
		Wakes:        []Wake{},
	}
	if l.Object != 0 {
		ld.Object = fmt.Sprintf("%#x", l.Object)
	}
	if l.Timed {
		start := int64(l.Start)
		ld.StartNS = &start
		if l.End < 0 {
			ld.NeverWoken = true
		} else {
			end := int64(l.End)
			ld.EndNS = &end
		}
	}
	for _, w := range l.Wakes {
		if w == nil {
			continue
		}
		wd := Wake{
			Kind:           w.Kind.String(),
			Reason:         clean(w.Reason),
			Count:          w.Count,
			WaiterFunction: firstFunc(w.WaiterFrames),
			WakerFunction:  firstFunc(w.WakerFrames),
			FirstNS:        int64(w.First),
			LastNS:         int64(w.Last),
			MaxWaitNS:      int64(w.MaxWait),
			TotalWaitNS:    int64(w.TotalWait),
			Waiters:        append([]int64{}, w.Waiters...),
			Wakers:         append([]int64{}, w.Wakers...),
		}
		if p := w.WakerPrior; p != nil && p.End > p.Start {
			ns := int64(p.End - p.Start)
			wd.WakerPriorNS = &ns
			switch {
			case p.Syscall:
				wd.WakerPriorWhat = "system call"
			case p.Reason != "":
				wd.WakerPriorWhat = clean(p.Reason)
			default:
				wd.WakerPriorWhat = "block"
			}
		}
		ld.Wakes = append(ld.Wakes, wd)
	}
	return ld
}

// firstFunc names a wake edge's stack (detectors.StackName).
func firstFunc(fs []parser.Frame) string { return clean(detectors.StackName(fs)) }

func frames(fs []parser.Frame) []Frame {
	out := make([]Frame, len(fs))
	for i, f := range fs {
		out[i] = frameDoc(f)
	}
	return out
}

func frameDoc(f parser.Frame) Frame {
	return Frame{Function: clean(f.Func), File: clean(f.File), Line: f.Line}
}

func createdBy(c *parser.CreatedBy) *CreatedBy {
	if c == nil {
		return nil
	}
	return &CreatedBy{Function: clean(c.Func), File: clean(c.File), Line: c.Line, ParentGoroutine: c.Parent}
}

func clean(s string) string { return parser.CleanText(s) }

// gradeName names an evidence grade; a link or root the detectors left
// ungraded claims nothing it could not show, so it reads as inferred.
func gradeName(g detectors.Grade) string {
	if g == "" {
		return string(detectors.GradeInferred)
	}
	return string(g)
}

// cleanLines cleans each line of a multi-line text (an explanation, a code
// example), keeping the line breaks CleanText would remove.
func cleanLines(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}

func cleanAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

func seconds(d time.Duration) float64 { return d.Seconds() }

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// round rounds x to digits decimals, so that a computed 0.85 is written
// 0.85 and not 0.8500000000000001.
func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
