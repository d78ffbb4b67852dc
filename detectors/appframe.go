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
	"github.com/garyburd/redigo",
	"github.com/redis/rueidis",
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
	"github.com/golang/glog",
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
	"github.com/confluentinc/confluent-kafka-go",
	"github.com/mattn/go-sqlite3",
	"github.com/godror/godror",
	"github.com/go-goracle/goracle",
	"github.com/coreos/etcd",
	"github.com/aws/smithy-go",
	"github.com/elastic/",
	"github.com/olivere/elastic",
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

// libraryTable returns the library test parser.AppFrame takes: the known
// libraries and the extra prefixes a user's signature file names.
func libraryTable(extra []string) func(pkg string) bool {
	return func(pkg string) bool {
		if isKnownLibrary(pkg, extra) {
			return true
		}
		// A vendored copy is its module (the parser unvendors what it
		// reads; names built elsewhere may not be), and a gopkg.in path
		// is the GitHub library it redirects to.
		up := gopkgUpstream(parser.FuncPackage(parser.UnvendorFunc(pkg + ".F")))
		return up != pkg && isKnownLibrary(up, extra)
	}
}

// appFrame returns the index of the first application frame, or -1.
func appFrame(frames []parser.Frame, extra []string) int {
	return parser.AppFrame(frames, libraryTable(extra))
}

// AppFrame returns the index of the first application frame of a stack —
// not the runtime, the standard library or a library ctxhole knows — or -1.
// It is the one answer to "is this application code?": renderers use it to
// mark the frame a reader should look at first.
func AppFrame(frames []parser.Frame) int { return appFrame(frames, nil) }

// StackName names a stack by its most telling frame: its first application
// frame, else parser.TellingFrame; "" for an empty stack. Every output names
// a waker's or a waiter's stack this way.
func StackName(frames []parser.Frame) string {
	if i := AppFrame(frames); i >= 0 {
		return frames[i].Func
	}
	if i := parser.TellingFrame(frames); i >= 0 {
		return frames[i].Func
	}
	return ""
}

// IsAppFrame reports whether one frame is application code, by the rule
// AppFrame applies.
func IsAppFrame(f parser.Frame) bool { return parser.IsAppFrame(f, libraryTable(nil)) }
