package parser

import (
	"os"
	"path/filepath"
	"testing"
)

// realworldDir returns the real-world dumps directory, the repository
// root's sibling "shared/realworld", skipping the test when absent.
func realworldDir(t *testing.T) string {
	t.Helper()
	rw := realworldDirOrEmpty()
	if rw == "" {
		t.Skip("no real-world dumps (../shared/realworld beside the repository)")
	}
	return rw
}

// TestReadTextRealWorld reads dumps captured by other people: every
// header becomes a goroutine, nothing is skipped.
func TestReadTextRealWorld(t *testing.T) {
	tests := []struct {
		file    string
		n       int
		reasons map[string]int // goroutines per normalised reason
		check   func(t *testing.T, s *Snapshot)
	}{
		{file: "18-concourse-atc-swirly-example-huge-debug2.txt", n: 195,
			// Go 1.4 printed "semacquire" for Cond and WaitGroup waits.
			reasons: map[string]int{"sync.Cond.Wait": 11, "sync.WaitGroup.Wait": 1, "semacquire": 0, "IO wait": 40, "chan receive": 89, "select": 52},
			check: func(t *testing.T, s *Snapshot) {
				g := s.Goroutines[1]
				if g.ID != 1 || g.Reason != "chan receive" || !g.WaitKnown || g.Wait.Minutes() != 1308 {
					t.Errorf("goroutine 1: %+v", g)
				}
				unknown := 0
				for _, g := range s.Goroutines {
					if g.Status == StatusWaiting && !g.WaitKnown {
						unknown++
					}
				}
				if unknown != 35 {
					t.Errorf("%d waiting goroutines without a printed duration, want 35", unknown)
				}
			}},
		{file: "21-colly-crawler-chan-send-pileup-debug2-excerpt.txt", n: 13,
			reasons: map[string]int{"chan send": 4, "IO wait": 3, "select": 5},
			check: func(t *testing.T, s *Snapshot) {
				for _, g := range s.Goroutines {
					if g.Reason == "chan send" && (g.CreatedBy == nil || g.CreatedBy.Parent == 0) {
						t.Errorf("goroutine %d: creator %+v", g.ID, g.CreatedBy)
					}
				}
				var sends int
				for _, grp := range GroupGoroutines(s.Goroutines) {
					if grp.Reason == "chan send" {
						sends++
						if grp.Count != 4 {
							t.Errorf("chan send group of %d, want 4 (parents differ, identity does not)", grp.Count)
						}
					}
				}
				if sends != 1 {
					t.Errorf("%d chan send groups, want 1", sends)
				}
			}},
	}
	dir := realworldDir(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Skip(err)
			}
			s := readOne(t, raw)
			if len(s.Goroutines) != tt.n {
				t.Errorf("%d goroutines, want %d", len(s.Goroutines), tt.n)
			}
			if len(s.Warnings) != 0 || s.Truncated {
				t.Errorf("warnings %v truncated %v", s.Warnings, s.Truncated)
			}
			got := map[string]int{}
			for _, g := range s.Goroutines {
				got[g.Reason]++
				if len(g.Frames) == 0 {
					t.Errorf("goroutine %d without frames", g.ID)
				}
			}
			for r, n := range tt.reasons {
				if got[r] != n {
					t.Errorf("%d goroutines waiting for %q, want %d", got[r], r, n)
				}
			}
			tt.check(t, s)
		})
	}
}
