package report

import (
	"strings"

	"github.com/ctxhole/ctxhole/parser"
)

// stdlibRoots are the first path elements of the standard library's import
// paths. A path whose first element has no dot is not enough: modules named
// without a dot ("myservice/internal/db") are application code.
var stdlibRoots = map[string]bool{
	"archive": true, "bufio": true, "builtin": true, "bytes": true, "cmp": true,
	"compress": true, "container": true, "context": true, "crypto": true,
	"database": true, "debug": true, "embed": true, "encoding": true,
	"errors": true, "expvar": true, "flag": true, "fmt": true, "go": true,
	"hash": true, "html": true, "image": true, "index": true, "internal": true,
	"io": true, "iter": true, "log": true, "maps": true, "math": true,
	"mime": true, "net": true, "os": true, "path": true, "plugin": true,
	"reflect": true, "regexp": true, "runtime": true, "slices": true,
	"sort": true, "strconv": true, "strings": true, "structs": true,
	"sync": true, "syscall": true, "testing": true, "text": true, "time": true,
	"unicode": true, "unique": true, "unsafe": true, "vendor": true, "weak": true,
}

// libraryPrefixes are import-path prefixes of widely used libraries whose
// frames are never "the application": the drivers and clients ctxhole
// knows, and the x/ repositories.
var libraryPrefixes = []string{
	"golang.org/x/",
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/lib/pq",
	"github.com/jackc/",
	"gorm.io/",
	"github.com/go-sql-driver/mysql",
	"github.com/microsoft/go-mssqldb",
	"github.com/denisenkom/go-mssqldb",
	"github.com/ClickHouse/",
	"github.com/redis/go-redis",
	"github.com/go-redis/redis",
	"github.com/gomodule/redigo",
	"github.com/IBM/sarama",
	"github.com/Shopify/sarama",
	"github.com/segmentio/kafka-go",
	"go.mongodb.org/mongo-driver",
	"github.com/nats-io/",
	"github.com/rabbitmq/amqp091-go",
	"go.opentelemetry.io/",
}

// isAppFunc reports whether fn (a qualified function name) belongs to the
// application rather than the runtime, the standard library or a library
// from libraryPrefixes.
func isAppFunc(fn string) bool {
	pkg := parser.FuncPackage(fn)
	if pkg == "" {
		return false
	}
	first, _, _ := strings.Cut(pkg, "/")
	if stdlibRoots[first] {
		return false
	}
	for _, p := range libraryPrefixes {
		if strings.HasPrefix(pkg, p) {
			return false
		}
	}
	return true
}

// appFrameIndex returns the index of the first application frame, -1 if
// there is none.
func appFrameIndex(frames []parser.Frame) int {
	for i, f := range frames {
		if isAppFunc(f.Func) {
			return i
		}
	}
	return -1
}
