package vet

import (
	"fmt"
	"go/token"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/ctxhole/ctxhole/detectors"
)

// A hole is one kind of timeout hole as source shows it, tied to the
// runtime signature row that would diagnose the same hole in a dump: the
// diagnostic carries that row's category ID and fix, so "ctxhole vet" and
// "ctxhole analyze" say the same thing about one hole.
type hole struct {
	// Category is the runtime category ID the diagnostic carries.
	Category detectors.Category
	// Signatures are the IDs of built-in signature rows whose fix applies,
	// tried in order (a later row is a fallback for tables that do not
	// have the first yet); Library, if set, is tried first: the first row
	// of that library with the hole's category.
	Library    string
	Signatures []string
	// Leak marks holes whose fix is the goroutine-leak fix (leaks have no
	// signature row).
	Leak bool
	// Resource names the resource-leak kind whose fix applies
	// ("http-response-body"): resource leaks are found by resource rows,
	// not signature rows.
	Resource string
}

// The holes the analyzers report.
var (
	holeHTTPClient   = hole{Category: detectors.CatHTTPClientNoTimeout, Signatures: []string{"net/http.client.roundTrip"}}
	holeHTTPServer   = hole{Category: detectors.CatHTTPServerNoTimeout, Signatures: []string{"net/http.server.read"}}
	holeSQLNoCtx     = hole{Category: detectors.CatDBDriverNoCtx, Signatures: []string{"database/sql.pool"}}
	holeGORM         = hole{Category: detectors.CatDBDriverNoCtx, Signatures: []string{"gorm.pgx", "pgx5.read"}}
	holeLibPQDSN     = hole{Category: detectors.CatDBDriverNoCtx, Signatures: []string{"lib/pq.startup"}}
	holeTxNoRollback = hole{Category: detectors.CatResourceLeak, Resource: "sql-tx"}
	holeBodyLeak     = hole{Category: detectors.CatResourceLeak, Resource: "http-response-body"}
	holeDBPerRequest = hole{Category: detectors.CatResourceLeak, Resource: "sql.DB"}
	holeChanSend     = hole{Category: detectors.CatChanSendBlocked, Signatures: []string{"runtime.chansend"}}
	holeChanRecv     = hole{Category: detectors.CatChanRecvBlocked, Signatures: []string{"runtime.chanrecv"}}
	holeGRPCStream   = hole{Category: detectors.CatGRPCStreamNoDeadline, Signatures: []string{"grpc.client.recv"}}
	holeRedis        = hole{Category: detectors.CatIONoDeadline, Signatures: []string{"github.com/redis/go-redis/v9.read"}}
	holeOTel         = hole{Category: detectors.CatIONoDeadline, Signatures: []string{"otel.batch.enqueue"}}
	holeSemaphore    = hole{Category: detectors.CatMutexConvoy, Library: "golang.org/x/sync/semaphore", Signatures: []string{"sync.Mutex"}}
	holeSingleflight = hole{Category: detectors.CatMutexConvoy, Library: "golang.org/x/sync/singleflight", Signatures: []string{"sync.Mutex"}}
	holeLostCancel   = hole{Category: detectors.CatGoroutineLeak, Leak: true}
)

// fix returns the runtime fix for the hole and the signature row it came
// from ("" for leaks).
func (h hole) fix() (detectors.Fix, string, error) {
	if h.Leak {
		return detectors.LeakFix(), "", nil
	}
	if h.Resource != "" {
		f, ok := detectors.ResourceFix(h.Resource)
		if !ok {
			return detectors.Fix{}, "", fmt.Errorf("vet: no resource row %q", h.Resource)
		}
		return f, "resource:" + h.Resource, nil
	}
	sigs := detectors.BuiltinSignatures()
	if h.Library != "" {
		for _, s := range sigs {
			if s.Library == h.Library && s.Category != "" && !s.Background {
				return s.Fix, s.ID, nil
			}
		}
	}
	for _, id := range h.Signatures {
		for _, s := range sigs {
			if s.ID == id {
				return s.Fix, s.ID, nil
			}
		}
	}
	return detectors.Fix{}, "", fmt.Errorf("vet: no built-in signature %v for %s", h.Signatures, h.Category)
}

// allHoles lists every hole, so a test can check each resolves to a
// built-in signature row.
var allHoles = []hole{
	holeHTTPClient, holeHTTPServer, holeSQLNoCtx, holeGORM, holeLibPQDSN, holeTxNoRollback,
	holeChanSend, holeChanRecv, holeGRPCStream, holeRedis, holeOTel, holeSemaphore,
	holeSingleflight, holeLostCancel, holeBodyLeak, holeDBPerRequest,
}

// report emits a diagnostic for the hole at [pos, end): the message is the
// category ID, what the source shows, and the runtime fix's summary.
func report(pass *analysis.Pass, h hole, pos, end token.Pos, fixes []analysis.SuggestedFix, format string, args ...any) {
	f, _, err := h.fix()
	msg := fmt.Sprintf(format, args...)
	var b strings.Builder
	b.WriteString(string(h.Category))
	b.WriteString(": ")
	b.WriteString(msg)
	if err == nil && f.Summary != "" {
		b.WriteString("; fix: ")
		b.WriteString(f.Summary)
	}
	pass.Report(analysis.Diagnostic{
		Pos:            pos,
		End:            end,
		Category:       string(h.Category),
		Message:        b.String(),
		SuggestedFixes: fixes,
	})
}
