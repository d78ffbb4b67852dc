package parser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// loadPlan is what Load will read, in input order: the files to read
// (possibly concurrently) and, between them, what reading them one after
// another would have done at that point (a directory's listing warnings, a
// path that cannot be opened, the end of a directory). Merging the plan in
// order after the reads gives the sequential result.
type loadPlan struct {
	items []loadItem
	jobs  []*readJob // the items' files, in order
}

// loadItem is one step of a plan; exactly one field is set.
type loadItem struct {
	err    error     // a path that cannot be loaded: Load fails here
	warns  []Warning // warnings recorded at this point
	job    *readJob  // a file to read
	dirEnd *dirLoad  // the end of a directory's files
}

// readJob is one file to read and, once read, its result.
type readJob struct {
	path  string
	stdin bool
	// size is the file's size, -1 when unknown (standard input, FIFOs).
	size int64
	// dir is the directory the file was found in, nil for a path given
	// by name (whose failure fails Load).
	dir *dirLoad
	// stamp is the capture time the bundle's manifest gives the file.
	stamp   time.Time
	stamped bool

	part *Capture
	err  error
}

// dirLoad counts a directory's files as they are merged.
type dirLoad struct {
	dir         string
	read, tried int
	firstErr    error
}

// planLoad lists what Load reads for paths. It stops at the first path
// that cannot be loaded: reading one after another would not go further.
func planLoad(paths []string) *loadPlan {
	pl := &loadPlan{}
	for _, p := range paths {
		if err := pl.addPath(p); err != nil {
			pl.items = append(pl.items, loadItem{err: err})
			break
		}
	}
	return pl
}

func (pl *loadPlan) addJob(j *readJob) {
	pl.items = append(pl.items, loadItem{job: j})
	pl.jobs = append(pl.jobs, j)
}

func (pl *loadPlan) addPath(path string) error {
	if path == "-" {
		pl.addJob(&readJob{path: "-", stdin: true, size: -1})
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return &Error{File: path, Offset: -1, Err: err}
	}
	if fi.IsDir() {
		return pl.addDir(path)
	}
	pl.addJob(&readJob{path: path, size: regularSize(fi)})
	return nil
}

// addDir plans a capture directory: every regular file in dir and in its
// direct subdirectories, sorted by path (listDir), with the capture times
// of its manifest.
func (pl *loadPlan) addDir(dir string) error {
	files, warns, err := listDir(dir)
	if err != nil {
		return &Error{File: dir, Offset: -1, Err: err}
	}
	man, err := ReadManifest(dir)
	if err != nil {
		warns = append(warns, skipWarning(filepath.Join(dir, ManifestName), err))
	}
	warns = append(warns, manifestWarnings(dir, man)...)
	if len(warns) > 0 {
		pl.items = append(pl.items, loadItem{warns: warns})
	}
	d := &dirLoad{dir: dir}
	for _, rel := range files {
		if rel == ManifestName {
			continue
		}
		j := &readJob{path: filepath.Join(dir, rel), dir: d, size: -1}
		if fi, err := os.Stat(j.path); err == nil {
			j.size = regularSize(fi)
		}
		j.stamp, j.stamped = man.CaptureTime(filepath.ToSlash(rel))
		pl.addJob(j)
	}
	pl.items = append(pl.items, loadItem{dirEnd: d})
	return nil
}

// regularSize is a regular file's size, -1 for anything else.
func regularSize(fi os.FileInfo) int64 {
	if fi.Mode().IsRegular() {
		return fi.Size()
	}
	return -1
}

// read reads every job of the plan: on up to workers goroutines, taking
// jobs in order, each holding its size (at most the budget; unknown sizes
// hold the whole budget) of opts.ReadBudget while it reads. Once a file
// given by name fails, the jobs after it are not read: Load fails there.
func (pl *loadPlan) read(opts Options, workers int) {
	if len(pl.jobs) == 0 {
		return
	}
	var total int64
	for _, j := range pl.jobs {
		if j.size < 0 {
			total = 0
			break
		}
		total += j.size
	}
	t := newProgressTracker(opts.Progress, total)
	budget := opts.readBudget()
	sem := semaphore.NewWeighted(budget)
	var (
		next   atomic.Int64
		stopAt atomic.Int64 // jobs past this index are not read
		wg     sync.WaitGroup
	)
	stopAt.Store(int64(len(pl.jobs)))
	for range max(1, min(workers, len(pl.jobs))) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(pl.jobs)) || i > stopAt.Load() {
					return
				}
				j := pl.jobs[i]
				w := budget
				if j.size >= 0 {
					w = min(max(j.size, 1), budget)
				}
				_ = sem.Acquire(context.Background(), w) // never fails: nothing cancels it
				j.run(opts, t)
				sem.Release(w)
				if j.err != nil && j.dir == nil {
					for {
						cur := stopAt.Load()
						if i >= cur || stopAt.CompareAndSwap(cur, i) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// run reads the job's file.
func (j *readJob) run(opts Options, t *progressTracker) {
	if j.stdin {
		if opts.Stdin == nil {
			j.err = &Error{File: "-", Offset: -1, Err: errors.New("standard input is not available")}
			return
		}
		j.part, j.err = Read(readerFor(opts.Stdin, "-", t), "-", opts)
	} else {
		j.part, j.err = readFile(j.path, opts, t)
	}
	if j.err == nil {
		t.done(j.path, j.part)
	}
}

// merge adds the plan's results to c in input order, as reading the inputs
// one after another would have: the first failing path given by name, or
// the first directory with nothing readable, is the error.
func (pl *loadPlan) merge(c *Capture) error {
	for _, it := range pl.items {
		switch {
		case it.err != nil:
			return it.err
		case it.warns != nil:
			c.Warnings = append(c.Warnings, it.warns...)
		case it.job != nil && it.job.dir == nil:
			if it.job.err != nil {
				return it.job.err
			}
			c.merge(it.job.part)
		case it.job != nil:
			j, d := it.job, it.job.dir
			d.tried++
			if j.err != nil {
				if d.firstErr == nil {
					d.firstErr = j.err
				}
				c.Warnings = append(c.Warnings, skipWarning(j.path, j.err))
				continue
			}
			if j.stamped {
				stampTime(j.part, j.stamp)
			}
			c.merge(j.part)
			d.read++
		case it.dirEnd != nil:
			if d := it.dirEnd; d.read == 0 {
				if d.tried == 0 {
					return &Error{File: d.dir, Offset: -1, Err: errors.New("directory holds no capture files")}
				}
				return &Error{File: d.dir, Offset: -1, Err: fmt.Errorf("no readable capture among %d files; first: %w", d.tried, d.firstErr)}
			}
		}
	}
	return nil
}
