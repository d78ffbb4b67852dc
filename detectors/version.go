package detectors

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/ctxhole/ctxhole/parser"
)

// moduleVersion reads the version of a module from the file paths of a
// stack's frames: a module-cache path or a -trimpath build names it
// ("github.com/jackc/pgx/v5@v5.7.1/pgconn/pgconn.go"); a vendored copy or a
// GOPATH build does not. It reports false when no frame names one.
func moduleVersion(frames []parser.Frame, module string) (string, bool) {
	key := module + "@"
	for _, f := range frames {
		at := strings.Index(f.File, key)
		if at < 0 {
			continue
		}
		v := f.File[at+len(key):]
		if end := strings.IndexByte(v, '/'); end >= 0 {
			v = v[:end]
		}
		if semver.IsValid(v) {
			return v, true
		}
	}
	return "", false
}

// watcherLimit splits a Signature.WatcherUntil ("module@version").
func watcherLimit(until string) (module, version string) {
	module, version, _ = strings.Cut(until, "@")
	return module, version
}

// versionBefore reports whether semantic version v is older than limit.
func versionBefore(v, limit string) bool {
	return semver.Compare(v, limit) < 0
}

// watcherUnknownReason says why a row's watcher goroutine was not looked
// for: the library's version watches without one, or the capture does not
// say which version it is.
func watcherUnknownReason(s *Signature, v string, known bool) string {
	module, limit := watcherLimit(s.WatcherUntil)
	if known {
		return fmt.Sprintf("%s %s watches the context without a goroutine (since %s): no watcher to count", module, v, limit)
	}
	return fmt.Sprintf("the capture does not name the %s version; from %s on it watches the context without a goroutine, so no watcher was counted", module, limit)
}
