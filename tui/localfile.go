package tui

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/ctxhole/ctxhole/parser"
)

// sourceRoot is a directory "e" may open files from. Frames name files
// the capture chose: only files that resolve (symlinks followed) inside a
// root are handed to the editor, and the root is named on screen.
type sourceRoot struct {
	name string // "main module github.com/org/svc", "module cache", "GOROOT"
	dir  string
	mod  string // module path, for the main module
}

func (r sourceRoot) String() string { return r.name + " " + r.dir }

// defaultSourceRoots returns the roots of this machine: the main module
// around the working directory, the module cache and GOROOT's src.
func defaultSourceRoots() []sourceRoot {
	var roots []sourceRoot
	if dir, mod, ok := mainModule(); ok {
		roots = append(roots, sourceRoot{name: "main module " + mod, dir: dir, mod: mod})
	}
	if cache := goEnv("GOMODCACHE"); cache != "" {
		roots = append(roots, sourceRoot{name: "module cache", dir: cache})
	}
	if root := goEnv("GOROOT"); root != "" {
		roots = append(roots, sourceRoot{name: "GOROOT", dir: filepath.Join(root, "src")})
	}
	return roots
}

// errNotLocal reports a frame file that is not on this machine under any
// source root.
var errNotLocal = errors.New("is not on this machine")

// resolveSource finds a frame's file on this machine. Dumps name files as
// the binary was built: absolute paths, or with -trimpath module-relative
// ones ("github.com/org/svc/internal/db.go",
// "github.com/lib/pq@v1.12.3/conn.go", "net/http/server.go"), looked up in
// the main module, the module cache and GOROOT. A name relative to the
// working directory is never used as such: a hostile dump naming
// "+!touch pwned" must not reach the editor. The result is absolute, free
// of symlinks and inside the root returned.
func resolveSource(file string, roots []sourceRoot) (string, sourceRoot, error) {
	if file == "" {
		return "", sourceRoot{}, errors.New("the frame names no file")
	}
	var cands []string
	if filepath.IsAbs(file) {
		cands = append(cands, file)
	} else {
		first, _, _ := strings.Cut(file, "/")
		for _, r := range roots {
			switch {
			case r.mod != "" && strings.HasPrefix(file, r.mod+"/"):
				cands = append(cands, filepath.Join(r.dir, strings.TrimPrefix(file, r.mod+"/")))
			case r.mod == "" && strings.Contains(file, "@"):
				cands = append(cands, filepath.Join(r.dir, escapeModulePath(file)))
			case r.mod == "" && parser.IsStdlib(first):
				cands = append(cands, filepath.Join(r.dir, file))
			}
		}
	}
	var outside string
	for _, c := range cands {
		real, err := filepath.EvalSymlinks(c)
		if err != nil || !isFile(real) {
			continue
		}
		if real, err = filepath.Abs(real); err != nil {
			continue
		}
		for _, r := range roots {
			if within(real, r.dir) {
				return real, r, nil
			}
		}
		outside = real
	}
	if outside != "" {
		names := make([]string, len(roots))
		for i, r := range roots {
			names[i] = r.String()
		}
		return "", sourceRoot{}, fmt.Errorf("%s resolves to %s, outside the source roots (%s): not opened",
			file, outside, strings.Join(names, "; "))
	}
	return "", sourceRoot{}, fmt.Errorf("%s %w", file, errNotLocal)
}

// within reports whether path (absolute, symlinks resolved) lies inside
// dir once dir's own symlinks are resolved.
func within(path, dir string) bool {
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	if d, err := filepath.Abs(dir); err == nil {
		dir = d
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// localFile resolves file against this machine's source roots.
func localFile(file string) (string, bool) {
	p, _, err := resolveSource(file, defaultSourceRoots())
	return p, err == nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// mainModule returns the directory and module path of the go.mod nearest
// above the working directory.
func mainModule() (dir, mod string, ok bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", "", false
	}
	for dir = wd; ; dir = filepath.Dir(dir) {
		if mod, ok = modulePath(filepath.Join(dir, "go.mod")); ok {
			return dir, mod, true
		}
		if filepath.Dir(dir) == dir {
			return "", "", false
		}
	}
}

// modulePath reads the module directive of a go.mod file.
func modulePath(gomod string) (string, bool) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), true
		}
	}
	return "", false
}

// escapeModulePath applies the module cache's case encoding: an upper-case
// letter becomes "!" and its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// goEnv returns a go environment variable: from the environment when set,
// else from `go env` (run only when "e" needs it).
func goEnv(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
