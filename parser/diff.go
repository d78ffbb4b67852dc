package parser

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Change says how a goroutine group changed between two snapshots.
type Change string

// Changes, in the order a diff lists them.
const (
	ChangeGrew     Change = "grew"
	ChangeAppeared Change = "appeared"
	ChangeShrank   Change = "shrank"
	ChangeVanished Change = "vanished"
	ChangeSame     Change = "same"
)

var changeOrder = map[Change]int{ChangeGrew: 0, ChangeAppeared: 1, ChangeShrank: 2, ChangeVanished: 3, ChangeSame: 4}

// SnapshotDiff is what changed between two goroutine snapshots of one
// process: the groups that appeared, vanished, grew or shrank. Groups are
// matched by Group.Key, so goroutine IDs and argument words do not
// matter, only what the goroutines are doing.
type SnapshotDiff struct {
	From, To *Snapshot
	// Elapsed is To's capture time minus From's, when both are known.
	Elapsed      time.Duration
	ElapsedKnown bool
	Entries      []DiffEntry
	// Before and After are the snapshots' goroutine totals, less the
	// runtime's own goroutines when only one of them lists those.
	Before, After int
	// RuntimeLeftOut counts the runtime's own goroutines (GC workers, the
	// finalizer, forced GC: stacks that are the runtime's only) left out
	// because only one snapshot lists them: a SIGQUIT or crash dump does,
	// net/http/pprof's debug=2 does not, so they would read as appeared
	// or vanished when nothing changed.
	RuntimeLeftOut int
}

// DiffEntry is one group's change.
type DiffEntry struct {
	Change        Change
	Before, After int
	// Group is the group in To, or in From when it vanished.
	Group *Group
	// PerMinute is the growth rate (negative when shrinking) when the
	// snapshots' times are known.
	PerMinute float64
}

// Delta returns After - Before.
func (e DiffEntry) Delta() int { return e.After - e.Before }

// Diff compares two snapshots. Entries come out with the groups that grew
// most first, then those that appeared, shrank and vanished, then the
// unchanged ones.
func Diff(from, to *Snapshot) *SnapshotDiff {
	d := &SnapshotDiff{From: from, To: to, Before: from.Count(), After: to.Count()}
	if !from.Source.Time.IsZero() && !to.Source.Time.IsZero() && to.Source.Time.After(from.Source.Time) {
		d.Elapsed = to.Source.Time.Sub(from.Source.Time)
		d.ElapsedKnown = true
	}
	// Copies: leaveOutRuntime deletes from them, and the snapshots keep
	// their groups for the analysis and the report.
	fromGroups, toGroups := slices.Clone(from.Groups()), slices.Clone(to.Groups())
	if listsRuntime(fromGroups) != listsRuntime(toGroups) {
		fromGroups = d.leaveOutRuntime(fromGroups, &d.Before)
		toGroups = d.leaveOutRuntime(toGroups, &d.After)
	}
	before := make(map[string]*Group)
	for _, g := range fromGroups {
		before[g.Key()] = g
	}
	for _, g := range toGroups {
		k := g.Key()
		e := DiffEntry{After: g.Count, Group: g}
		if old, ok := before[k]; ok {
			e.Before = old.Count
			delete(before, k)
		}
		d.Entries = append(d.Entries, d.classify(e))
	}
	for _, g := range before {
		d.Entries = append(d.Entries, d.classify(DiffEntry{Before: g.Count, Group: g}))
	}
	slices.SortFunc(d.Entries, func(a, b DiffEntry) int {
		if c := cmp.Compare(changeOrder[a.Change], changeOrder[b.Change]); c != 0 {
			return c
		}
		if c := cmp.Compare(abs(b.Delta()), abs(a.Delta())); c != 0 {
			return c
		}
		if c := cmp.Compare(b.After, a.After); c != 0 {
			return c
		}
		return cmp.Compare(a.Group.Key(), b.Group.Key())
	})
	return d
}

// listsRuntime reports whether a snapshot lists the runtime's own
// goroutines.
func listsRuntime(groups []*Group) bool {
	return slices.ContainsFunc(groups, runtimeOwn)
}

// runtimeOwn reports whether a group is of the runtime's own goroutines,
// those net/http/pprof leaves out: a stack that is the runtime's alone,
// started by a runtime function other than runtime.main (the runtime's
// isSystemGoroutine).
func runtimeOwn(g *Group) bool { return systemStack(g.Frames) }

// systemStack reports whether frames are those of one of the runtime's own
// goroutines (see runtimeOwn).
func systemStack(frames []Frame) bool {
	if !RuntimeOnly(frames) {
		return false
	}
	start := frames[len(frames)-1].Func
	return strings.HasPrefix(start, "runtime.") && start != "runtime.main"
}

// leaveOutRuntime drops the runtime's own goroutines from groups and from
// their snapshot's total, counting them in d.RuntimeLeftOut.
func (d *SnapshotDiff) leaveOutRuntime(groups []*Group, total *int) []*Group {
	return slices.DeleteFunc(groups, func(g *Group) bool {
		if !runtimeOwn(g) {
			return false
		}
		d.RuntimeLeftOut += g.Count
		*total -= g.Count
		return true
	})
}

func (d *SnapshotDiff) classify(e DiffEntry) DiffEntry {
	switch {
	case e.Before == 0:
		e.Change = ChangeAppeared
	case e.After == 0:
		e.Change = ChangeVanished
	case e.After > e.Before:
		e.Change = ChangeGrew
	case e.After < e.Before:
		e.Change = ChangeShrank
	default:
		e.Change = ChangeSame
	}
	if d.ElapsedKnown {
		e.PerMinute = float64(e.Delta()) / d.Elapsed.Minutes()
	}
	return e
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
