package vet

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"path/filepath"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

const redisPath = "github.com/redis/go-redis/...|github.com/go-redis/redis/..."

// Redis reports go-redis clients configured to wait forever (ReadTimeout
// or WriteTimeout set to a negative constant: -1 means no deadline on the
// socket) and pipelines run on a background context, which no deadline
// reaches.
var Redis = &analysis.Analyzer{
	Name:     "redis",
	Doc:      "report go-redis options with negative read/write timeouts and pipelines on a background context (io-no-deadline)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runRedis,
}

// redisOptions are the go-redis option structs with read/write timeouts.
var redisOptions = []string{"Options", "ClusterOptions", "UniversalOptions", "FailoverOptions", "RingOptions"}

func runRedis(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	ins.Preorder([]ast.Node{(*ast.CompositeLit)(nil), (*ast.CallExpr)(nil)}, func(n ast.Node) {
		if isTestFile(pass.Fset.File(n.Pos()).Name()) {
			return
		}
		switch n := n.(type) {
		case *ast.CompositeLit:
			t := pass.TypesInfo.TypeOf(n)
			isOpts := false
			for _, name := range redisOptions {
				if isNamed(t, redisPath, name) {
					isOpts = true
				}
			}
			if !isOpts {
				return
			}
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				id, ok := kv.Key.(*ast.Ident)
				if !ok || (id.Name != "ReadTimeout" && id.Name != "WriteTimeout") {
					continue
				}
				tv := pass.TypesInfo.Types[kv.Value]
				if tv.Value == nil || tv.Value.Kind() != constant.Int || constant.Sign(tv.Value) >= 0 {
					continue
				}
				report(pass, holeRedis, kv.Pos(), kv.End(), nil,
					"go-redis %s: %s disables the socket deadline: a command waits for the reply as long as the server keeps the connection open, unless its context has a deadline",
					id.Name, tv.Value.String())
			}
		case *ast.CallExpr:
			fn := callee(pass.TypesInfo, n)
			if fn == nil || !pathMatch(pkgPath(fn.Pkg()), redisPath) || len(n.Args) == 0 || fn.Signature().Recv() == nil {
				return
			}
			switch fn.Name() {
			case "Pipelined", "TxPipelined":
			case "Exec":
				if !isNamed(fn.Signature().Recv().Type(), redisPath, "Pipeline") &&
					!isNamed(fn.Signature().Recv().Type(), redisPath, "Pipeliner") {
					return
				}
			default:
				return
			}
			if k := ix.ctxKind(n.Args[0]); k == ctxBackground || k == ctxCancelOnly {
				report(pass, holeRedis, n.Pos(), n.End(), nil,
					"go-redis pipeline %s on %s: the pipeline's reads wait as long as the server (or ReadTimeout) allows, and callers queue behind its connection",
					fn.Name(), k.describe())
			}
		}
	})
	return nil, nil
}

// SyncCtx reports golang.org/x/sync waits that no deadline reaches: a
// semaphore.Acquire on a background context (the caller queues until a
// slot frees, however long that takes) and a singleflight call whose
// shared function runs on context.Background() (every caller sharing the
// key waits as long as it takes).
var SyncCtx = &analysis.Analyzer{
	Name:     "syncctx",
	Doc:      "report semaphore.Acquire and singleflight calls on a background context (mutex-convoy)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runSyncCtx,
}

func runSyncCtx(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	ins.Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		if isTestFile(pass.Fset.File(call.Pos()).Name()) {
			return
		}
		fn := callee(pass.TypesInfo, call)
		switch {
		case isMethod(fn, "golang.org/x/sync/semaphore", "Weighted", "Acquire") && len(call.Args) == 2:
			if k := ix.ctxKind(call.Args[0]); k == ctxBackground || k == ctxCancelOnly {
				report(pass, holeSemaphore, call.Pos(), call.End(), nil,
					"semaphore.Acquire on %s: the caller queues until a slot frees, however long the holders take",
					k.describe())
			}
		case (isMethod(fn, "golang.org/x/sync/singleflight", "Group", "Do") ||
			isMethod(fn, "golang.org/x/sync/singleflight", "Group", "DoChan")) && len(call.Args) == 2:
			lit, ok := ast.Unparen(call.Args[1]).(*ast.FuncLit)
			if !ok {
				return
			}
			var bg ast.Node
			ast.Inspect(lit.Body, func(m ast.Node) bool {
				if c, ok := m.(*ast.CallExpr); ok && bg == nil {
					if f := callee(pass.TypesInfo, c); isFunc(f, "context", "Background") || isFunc(f, "context", "TODO") {
						bg = c
					}
				}
				return bg == nil
			})
			if bg != nil {
				report(pass, holeSingleflight, call.Pos(), call.End(), nil,
					"singleflight %s runs its function on context.Background() (%s): every caller sharing the key waits as long as it takes",
					fn.Name(), posString(pass, bg.Pos()))
			}
		}
	})
	return nil, nil
}

// OTelBlocking reports batch span processors built WithBlocking(): when
// the exporter falls behind or its collector hangs, the queue fills and
// every span.End() in the service blocks.
var OTelBlocking = &analysis.Analyzer{
	Name:     "otelblocking",
	Doc:      "report OpenTelemetry batch span processors built WithBlocking() (io-no-deadline)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runOTel,
}

func runOTel(pass *analysis.Pass) (any, error) {
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	ins.Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		if isTestFile(pass.Fset.File(call.Pos()).Name()) {
			return
		}
		if isFunc(callee(pass.TypesInfo, call), "go.opentelemetry.io/otel/sdk/trace", "WithBlocking") {
			report(pass, holeOTel, call.Pos(), call.End(), nil,
				"trace.WithBlocking(): when the exporter falls behind or its collector hangs, the batch queue fills and every span.End() blocks its request")
		}
	})
	return nil, nil
}

func posString(pass *analysis.Pass, pos token.Pos) string {
	p := pass.Fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}
