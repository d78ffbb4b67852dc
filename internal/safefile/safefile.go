// Package safefile creates the files ctxhole writes (exported findings,
// pprof exports, capture bundles) without ever clobbering what is there.
//
// Captures and the directories they are opened from are untrusted: a
// symlink planted where an output file is about to be written must not
// redirect the write to its target, an existing file must not be replaced
// unless the user asked for it, the input being analysed must never be the
// output, and a failed write must remove only what ctxhole itself created.
//
// Without Force a file is created with O_CREATE|O_EXCL, which fails on any
// existing name, dangling symlinks included, and never follows a symlink.
// With Force the content is written to a new temporary file beside the
// target and renamed over it: a symlink at the target is replaced, not
// followed, and a non-regular target (a device node, a FIFO, a directory)
// is refused.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned (wrapped) when the target exists and Force is off.
var ErrExists = errors.New("already exists (not overwritten; use --force to replace it)")

// ErrIsInput is returned (wrapped) when the target is one of the inputs.
var ErrIsInput = errors.New("is one of the inputs being read")

// Options control how a file is created.
type Options struct {
	// Force allows replacing an existing regular file (or a symlink, which
	// is replaced itself, never its target).
	Force bool
	// Inputs are files and directories being read; the target must not
	// be any of them, however it is named (os.SameFile), nor lie in an
	// input directory or its direct subdirectories.
	Inputs []string
	// Perm is the new file's permission; 0 means 0o644.
	Perm fs.FileMode
}

// File is a file being written. Commit makes it visible under its name;
// Abort removes what Create made. One of the two must be called.
type File struct {
	*os.File
	target string
	temp   bool        // written under a temporary name, renamed on Commit
	info   os.FileInfo // of the file Create made, to remove only that one
	done   bool
}

// Create opens a new file at path for writing under the rules of the
// package comment.
func Create(path string, opts Options) (*File, error) {
	if err := checkTarget(path, opts); err != nil {
		return nil, err
	}
	perm := opts.Perm
	if perm == 0 {
		perm = 0o644
	}
	if !opts.Force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s %w", path, ErrExists)
		}
		if err != nil {
			return nil, err
		}
		return newFile(f, path, false)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".ctxhole-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return newFile(f, path, true)
}

func newFile(f *os.File, target string, temp bool) (*File, error) {
	info, err := f.Stat()
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{File: f, target: target, temp: temp, info: info}, nil
}

// checkTarget refuses an input as the target, and with Force anything at
// the target that is not a regular file or a symlink.
func checkTarget(path string, opts Options) error {
	st, serr := os.Stat(path) // follows a symlink: its target may be an input
	dir := filepath.Dir(path)
	parent, derr := os.Stat(dir)
	grand, gerr := os.Stat(filepath.Dir(dir))
	for _, in := range opts.Inputs {
		ist, err := os.Stat(in)
		switch {
		case err != nil:
		case serr == nil && os.SameFile(st, ist):
			return fmt.Errorf("%s %w", path, ErrIsInput)
		case ist.IsDir() && (derr == nil && os.SameFile(parent, ist) || gerr == nil && os.SameFile(grand, ist)):
			// A directory input is read with its direct subdirectories.
			return fmt.Errorf("%s is inside %s, which %w", path, in, ErrIsInput)
		}
	}
	if !opts.Force {
		return nil // O_EXCL refuses anything that exists
	}
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Mode().IsRegular() || st.Mode()&fs.ModeSymlink != 0:
		return nil
	default:
		return fmt.Errorf("%s is a %s, not a regular file: not replaced", path, kind(st.Mode()))
	}
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// Commit closes the file and, for a forced write, renames it over the
// target. On error nothing ctxhole created is left behind.
func (f *File) Commit() error {
	if f.done {
		return errors.New("safefile: already committed or aborted")
	}
	if err := f.File.Close(); err != nil {
		f.remove()
		return err
	}
	f.done = true
	if !f.temp {
		return nil
	}
	if err := os.Rename(f.File.Name(), f.target); err != nil {
		os.Remove(f.File.Name())
		return err
	}
	return nil
}

// Abort closes the file and removes it: only the file Create made, never
// anything that was at the target before.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.File.Close()
	f.remove()
}

// remove deletes the file Create made if it is still the one at its name.
func (f *File) remove() {
	f.done = true
	name := f.File.Name()
	if there, err := os.Lstat(name); err == nil && os.SameFile(f.info, there) {
		os.Remove(name)
	}
}

// WriteFile writes data to a new file at path (see Create).
func WriteFile(path string, data []byte, opts Options) error {
	f, err := Create(path, opts)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
