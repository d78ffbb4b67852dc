package tui

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"
)

// localFile finds a frame's file on this machine. Dumps name files as the
// binary was built: absolute paths, or with -trimpath module-relative ones
// ("github.com/org/svc/internal/db.go", "github.com/lib/pq@v1.12.3/conn.go",
// "net/http/server.go"). Those are looked up in the main module around the
// working directory, the module cache and GOROOT.
func localFile(file string) (string, bool) {
	if file == "" {
		return "", false
	}
	if isFile(file) {
		return file, true
	}
	if filepath.IsAbs(file) {
		return "", false
	}
	if dir, mod, ok := mainModule(); ok && strings.HasPrefix(file, mod+"/") {
		if p := filepath.Join(dir, strings.TrimPrefix(file, mod+"/")); isFile(p) {
			return p, true
		}
	}
	if strings.Contains(file, "@") {
		if cache := goEnv("GOMODCACHE"); cache != "" {
			if p := filepath.Join(cache, escapeModulePath(file)); isFile(p) {
				return p, true
			}
		}
	}
	first, _, _ := strings.Cut(file, "/")
	if !strings.Contains(first, ".") {
		if root := goEnv("GOROOT"); root != "" {
			if p := filepath.Join(root, "src", file); isFile(p) {
				return p, true
			}
		}
	}
	return "", false
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
