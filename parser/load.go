package parser

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// DefaultMaxDecompressed is the cap on bytes read out of a gzip stream (and
// on a binary profile held in memory) when Options.MaxDecompressed is 0.
const DefaultMaxDecompressed int64 = 1 << 30

// Options control how inputs are read.
type Options struct {
	// MaxDecompressed caps the bytes read out of a gzip stream, and the
	// size of a binary pprof profile, which must be held in memory whole;
	// 0 means DefaultMaxDecompressed. Exceeding it is an error, so a gzip
	// bomb costs at most this much work and no memory beyond a buffer.
	MaxDecompressed int64
	// Stdin is what the path "-" reads.
	Stdin io.Reader
	// ReadBudget bounds the input bytes Load reads at once when it reads
	// several inputs concurrently (a bundle's files): an input counts its
	// size, one larger than the budget is read alone, one of unknown size
	// (standard input, a FIFO) counts as the whole budget. 0 means
	// DefaultReadBudget.
	ReadBudget int64
	// Progress, when set, is told how far Load has come: bytes read over
	// every input (every MiB or so) and goroutines read (after each
	// input). Calls never overlap, but they come from the reading
	// goroutines: it must return quickly.
	Progress func(Progress)
}

// DefaultReadBudget is Options.ReadBudget's default: the input bytes read
// at once across concurrent reads.
const DefaultReadBudget int64 = 256 << 20

func (o Options) maxDecompressed() int64 {
	if o.MaxDecompressed > 0 {
		return o.MaxDecompressed
	}
	return DefaultMaxDecompressed
}

func (o Options) readBudget() int64 {
	if o.ReadBudget > 0 {
		return o.ReadBudget
	}
	return DefaultReadBudget
}

// ErrUnknownFormat is returned (wrapped in an *Error) for an input that is
// none of the formats ctxhole reads. Directory loading skips such files with
// a warning instead of failing.
var ErrUnknownFormat = errors.New("not a goroutine dump, a goroutine/mutex/block profile or a Go execution trace")

// Load reads every input into one Capture. A path is a file, a directory
// (each regular file in it and in its direct subdirectories, in name order;
// see listDir) or "-" for opts.Stdin. A file given by name that cannot be
// read is an error; inside a directory it is skipped with a warning. A
// directory's manifest.json (a capture bundle's index) is not read as a
// capture; the capture times it lists are set on the snapshots, profiles
// and traces of the files it names. A directory with nothing readable is
// an error.
//
// The inputs are read concurrently, on as many goroutines as there are
// cores and within opts.ReadBudget, and merged in input order: the result,
// warnings and errors included, is the one reading them one after another
// gives.
func Load(paths []string, opts Options) (*Capture, error) {
	return load(paths, opts, runtime.GOMAXPROCS(0))
}

// load is Load reading on at most workers goroutines.
func load(paths []string, opts Options, workers int) (*Capture, error) {
	if len(paths) == 0 {
		return nil, errors.New("no input given")
	}
	pl := planLoad(paths)
	pl.read(opts, workers)
	c := &Capture{}
	if err := pl.merge(c); err != nil {
		return nil, err
	}
	c.takeLeakProfiles()
	c.dateMoments()
	c.markLeakProfiles()
	return c, nil
}

// readFile reads one named file (a regular file, a FIFO, /dev/stdin...),
// counting its bytes into t.
func readFile(path string, opts Options, t *progressTracker) (*Capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Offset: -1, Err: err}
	}
	defer f.Close()
	part, err := Read(readerFor(f, path, t), path, opts)
	if err != nil {
		return nil, err
	}
	if fi, serr := f.Stat(); serr == nil && fi.Mode().IsRegular() {
		for _, s := range part.Snapshots {
			s.Source.ModTime = fi.ModTime()
		}
	}
	return part, nil
}

// readerFor returns r, counting into t when there is one.
func readerFor(r io.Reader, name string, t *progressTracker) io.Reader {
	if t == nil {
		return r
	}
	return &progressReader{r: r, file: name, t: t}
}

// listDir returns the regular files of dir and of its direct
// subdirectories as paths relative to dir, in name order, with warnings
// for what it leaves out. A bundle is untrusted: a symbolic link is
// followed only when it resolves inside dir (a link to /etc or to a huge
// file elsewhere is skipped with a warning), and only regular files are
// read (no FIFOs or devices, which could block or never end).
func listDir(dir string) ([]string, []Warning, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, nil, err
	}
	var (
		files []string
		warns []Warning
	)
	skip := func(path, msg string) {
		warns = append(warns, Warning{File: path, Offset: -1, Msg: "skipped: " + CleanText(msg)})
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		fi, err := statInside(root, path)
		if err != nil {
			skip(path, err.Error())
			continue
		}
		switch {
		case fi.Mode().IsRegular():
			files = append(files, e.Name())
		case fi.IsDir():
			sub, err := os.ReadDir(path)
			if err != nil {
				skip(path, err.Error())
				continue
			}
			for _, se := range sub {
				sp := filepath.Join(path, se.Name())
				sfi, err := statInside(root, sp)
				switch {
				case err != nil:
					skip(sp, err.Error())
				case sfi.Mode().IsRegular():
					files = append(files, filepath.Join(e.Name(), se.Name()))
				default:
					skip(sp, "only files directly in a directory or its subdirectories are read")
				}
			}
		default:
			skip(path, "not a regular file")
		}
	}
	return files, warns, nil
}

// errLeavesDir reports a symbolic link in a directory that points outside
// it.
var errLeavesDir = errors.New("symbolic link leaves the directory")

// statInside stats path, following a symbolic link only when its target
// (every link resolved) lies inside root, itself free of symlinks.
func statInside(root, path string) (os.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return fi, err
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil, fmt.Errorf("%w (to %s)", errLeavesDir, target)
	}
	return os.Stat(target)
}

// skipWarning turns the error that made a file unreadable into the warning
// that records the skip, keeping its position.
func skipWarning(path string, err error) Warning {
	w := Warning{File: path, Offset: -1}
	var pe *Error
	if errors.As(err, &pe) {
		w.Line, w.Offset = pe.Line, pe.Offset
		err = pe.Err
	}
	w.Msg = "skipped: " + CleanText(err.Error())
	return w
}

// stampTime sets t, a capture time from a bundle manifest, on the sources
// read from one file that carry no time of their own (a pprof profile's own
// timestamp or a log timestamp is more precise and is kept).
func stampTime(part *Capture, t time.Time) {
	for _, s := range part.Snapshots {
		if s.Source.Time.IsZero() {
			s.Source.Time = t
		}
	}
	for _, p := range part.Contention {
		if p.Source.Time.IsZero() {
			p.Source.Time = t
		}
	}
	for _, tr := range part.Traces {
		if tr.Source.Time.IsZero() {
			tr.Source.Time = t
		}
	}
}

// merge appends everything read into part to c.
func (c *Capture) merge(part *Capture) {
	c.Snapshots = append(c.Snapshots, part.Snapshots...)
	c.Contention = append(c.Contention, part.Contention...)
	c.Traces = append(c.Traces, part.Traces...)
	c.Warnings = append(c.Warnings, part.Warnings...)
}

// manifestWarnings reports what the bundle's capture could not take: a
// fetch that failed (an endpoint the service does not expose) or a capture
// that came back empty (mutex or block profiling never enabled). The
// capture went on without them; the report must say so.
func manifestWarnings(dir string, m *Manifest) []Warning {
	if m == nil {
		return nil
	}
	var ws []Warning
	for _, f := range m.Files {
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.Error != "" {
			ws = append(ws, Warning{File: path, Offset: -1, Msg: "not captured: " + CleanText(f.Error)})
		}
		if f.Empty {
			msg := "captured empty"
			if f.Note != "" {
				msg += ": " + CleanText(f.Note)
			}
			ws = append(ws, Warning{File: path, Offset: -1, Msg: msg})
		}
	}
	return ws
}
