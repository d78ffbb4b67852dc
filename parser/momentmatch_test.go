package parser

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctxhole/ctxhole/internal/testrepo"
)

// momentOf returns the instant (1, 2, 3) a moments-no-manifest file name
// names: goroutine-debug2.2.txt, goroutine.3.pb.gz.
func momentOf(name string) string {
	for _, part := range strings.Split(name, ".") {
		if len(part) == 1 && part >= "1" && part <= "9" {
			return part
		}
	}
	return ""
}

// Three instants each captured as debug=2, debug=1 and proto, without a
// manifest, under names that say nothing and in shuffled order: the
// moments are found by content (goroutines stack by stack, one capture per
// format), with the files' modification times as the capture left them or
// all reset by a copy. Each moment holds exactly the three captures of one
// instant.
func TestMomentsShuffledNames(t *testing.T) {
	src := testrepo.Path(t, "fixtures", "captures", "moments-no-manifest")
	files, err := filepath.Glob(filepath.Join(src, "goroutine*"))
	if err != nil || len(files) != 9 {
		t.Skipf("fixture absent: %d files, %v", len(files), err)
	}
	t0 := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	for _, mtimes := range []string{"as captured", "one copy time", "shuffled"} {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/%d", mtimes, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 7))
				dir := t.TempDir()
				perm := rng.Perm(len(files))
				instantOf := map[string]string{}
				for i, f := range files {
					data, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					name := fmt.Sprintf("capture-%02d", perm[i])
					dst := filepath.Join(dir, name)
					if err := os.WriteFile(dst, data, 0o644); err != nil {
						t.Fatal(err)
					}
					instant := momentOf(filepath.Base(f))
					instantOf[dst] = instant
					var mt time.Time
					switch mtimes {
					case "as captured": // 20 s apart, formats milliseconds apart
						mt = t0.Add(time.Duration(instant[0]-'0')*20*time.Second + time.Duration(i)*time.Millisecond)
					case "one copy time":
						mt = t0
					case "shuffled": // times that lie: content must win
						mt = t0.Add(time.Duration(rng.IntN(60)) * time.Second)
					}
					if err := os.Chtimes(dst, mt, mt); err != nil {
						t.Fatal(err)
					}
				}
				c, err := Load([]string{dir}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				groups := c.MomentCaptures()
				if len(groups) != 3 {
					t.Fatalf("%d moments, want 3", len(groups))
				}
				for _, m := range groups {
					if len(m) != 3 || m[0].Source.Format != FormatGoroutineText {
						t.Errorf("a moment of %d captures led by %s, want 3 led by the debug=2 dump", len(m), m[0].Source.Format)
					}
					for _, s := range m {
						if instantOf[s.Source.File] != instantOf[m[0].Source.File] {
							t.Errorf("moment of instant %s holds %s, a capture of instant %s",
								instantOf[m[0].Source.File], filepath.Base(s.Source.File), instantOf[s.Source.File])
						}
					}
				}
			})
		}
	}
}

// Matching by content: two moments holding as many goroutines but on
// other stacks stay two; a debug=1 capture joins the dump whose stacks it
// shares, not the first one of its total; a format appears once in a
// moment; file times break a tie between two moments a service did not
// change between.
func TestContentMomentGroups(t *testing.T) {
	stack := func(fn string) []Frame { return []Frame{{Func: fn, File: "/a.go", Line: 1}} }
	text := func(ids []int64, fns ...string) *Snapshot {
		s := &Snapshot{Source: Source{Format: FormatGoroutineText}}
		for i, fn := range fns {
			s.Goroutines = append(s.Goroutines, &Goroutine{ID: ids[i], Count: 1, Frames: stack(fn)})
		}
		return s
	}
	agg := func(f Format, counts map[string]int) *Snapshot {
		s := &Snapshot{Source: Source{Format: f}}
		for fn, n := range counts {
			s.Goroutines = append(s.Goroutines, &Goroutine{Count: n, Frames: stack(fn)})
		}
		return s
	}
	mod := func(s *Snapshot, sec int) *Snapshot {
		s.Source.ModTime = time.Unix(int64(1000+sec), 0)
		return s
	}
	t1 := text([]int64{1, 2, 3, 4}, "f", "f", "g", "g")
	t2 := text([]int64{1, 2, 5, 6}, "f", "f", "h", "h") // as many, other stacks
	d1 := agg(FormatGoroutineDebug1, map[string]int{"f": 2, "h": 2})
	d2 := agg(FormatGoroutineDebug1, map[string]int{"f": 2, "g": 2})
	got := contentMomentGroups([]*Snapshot{t1, t2, d1, d2})
	if len(got) != 2 || len(got[0]) != 2 || got[0][1] != d2 || got[1][1] != d1 {
		t.Errorf("moments %v, want [t1 d2] [t2 d1]", got)
	}

	// A service that did not change: two dumps with the same IDs and
	// stacks but 60 s apart by file time, each with its proto.
	u1, u2 := mod(text([]int64{1, 2}, "f", "g"), 0), mod(text([]int64{1, 2}, "f", "g"), 60)
	p2, p1 := mod(agg(FormatGoroutineProto, map[string]int{"f": 1, "g": 1}), 60), mod(agg(FormatGoroutineProto, map[string]int{"f": 1, "g": 1}), 0)
	got = contentMomentGroups([]*Snapshot{u1, u2, p2, p1})
	// u1 and u2 are the same dump twice by content: they may be one
	// moment, but each proto goes with its own time.
	for _, m := range got {
		var mts []int64
		for _, s := range m {
			mts = append(mts, s.Source.ModTime.Unix())
		}
		protos := 0
		for _, s := range m {
			if s.Source.Format == FormatGoroutineProto {
				protos++
			}
		}
		if protos > 1 {
			t.Errorf("a moment holds %d protos (file times %v)", protos, mts)
		}
	}
	if len(got) != 2 || got[0][0] != u1 || got[0][1] != p1 && (len(got[0]) < 3 || got[0][2] != p1) {
		t.Errorf("unchanged service: %d moments %v; want u1 with p1 first", len(got), got)
	}
}

// BenchmarkMomentGroups compares matching by content with the linear
// count/ID rule (the baseline) on the moments-no-manifest captures loaded
// once: nine untimed snapshots of three instants, 540 goroutines each at
// most.
func BenchmarkMomentGroups(b *testing.B) {
	dir := testrepo.Path(b, "fixtures", "captures", "moments-no-manifest")
	c, err := Load([]string{dir}, Options{})
	if err != nil {
		b.Skipf("fixture absent: %v", err)
	}
	for _, s := range c.Snapshots {
		s.Source.Time = time.Time{}
	}
	b.Run("indexed", func(b *testing.B) {
		for b.Loop() {
			indexedMomentGroups(c.Snapshots)
		}
	})
	b.Run("content", func(b *testing.B) {
		for b.Loop() {
			contentMomentGroups(c.Snapshots)
		}
	})
}
