package detectors

import (
	"strings"

	"github.com/ctxhole/ctxhole/parser"
)

// knownLibraryPrefixes are import-path prefixes of third-party code that is
// never "the application": the libraries of the signature tables and the
// plumbing they sit on.
var knownLibraryPrefixes = []string{
	"golang.org/x/",
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/golang/protobuf",
	"github.com/grpc-ecosystem/",
	"github.com/lib/pq",
	"github.com/jackc/",
	"gorm.io/",
	"github.com/go-sql-driver/mysql",
	"github.com/denisenkom/go-mssqldb",
	"github.com/microsoft/go-mssqldb",
	"github.com/ClickHouse/",
	"go.mongodb.org/",
	"github.com/redis/go-redis",
	"github.com/go-redis/redis",
	"github.com/gomodule/redigo",
	"github.com/Shopify/sarama",
	"github.com/IBM/sarama",
	"github.com/segmentio/kafka-go",
	"github.com/nats-io/",
	"github.com/rabbitmq/amqp091-go",
	"github.com/streadway/amqp",
	"go.opentelemetry.io/",
	"go.opencensus.io/",
	"github.com/gocolly/colly",
	"github.com/gorilla/",
	"github.com/go-chi/chi",
	"github.com/gin-gonic/gin",
	"github.com/labstack/echo",
	"github.com/gofiber/",
	"github.com/valyala/fasthttp",
	"github.com/julienschmidt/httprouter",
	"github.com/prometheus/",
	"github.com/sirupsen/logrus",
	"go.uber.org/",
	"k8s.io/",
	"sigs.k8s.io/",
	"github.com/aws/aws-sdk-go",
	"cloud.google.com/go",
	"github.com/hashicorp/",
	"go.etcd.io/",
	"github.com/robfig/cron",
	"github.com/fsnotify/fsnotify",
	"github.com/patrickmn/go-cache",
}

// stdlibRoots are the first elements of the standard library's import
// paths. "No dot in the first element" is not enough: modules named without
// a dot ("myservice/internal/db") are application code.
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

// isStdlib reports whether an import path belongs to the standard library.
func isStdlib(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return stdlibRoots[first]
}

// isKnownLibrary reports whether an import path belongs to a library
// ctxhole knows (or the user's signature file names).
func isKnownLibrary(pkg string, extra []string) bool {
	for _, p := range knownLibraryPrefixes {
		if strings.HasPrefix(pkg, p) {
			return true
		}
	}
	for _, p := range extra {
		if p != "" && strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

// isLibraryFrame reports whether a frame is runtime, standard library or a
// known library.
func isLibraryFrame(f parser.Frame, extra []string) bool {
	pkg := f.Package()
	if pkg == "" {
		// Unqualified names ("panic", "non-Go function"): runtime territory.
		return true
	}
	return isStdlib(pkg) || isKnownLibrary(pkg, extra)
}

// appFrame returns the index of the first application frame, or -1.
func appFrame(frames []parser.Frame, extra []string) int {
	for i, f := range frames {
		if !isLibraryFrame(f, extra) {
			return i
		}
	}
	return -1
}

// AppFrame returns the index of the first application frame of a stack —
// not the runtime, the standard library or a library ctxhole knows — or -1.
// Renderers use it to mark the frame a reader should look at first.
func AppFrame(frames []parser.Frame) int { return appFrame(frames, nil) }
