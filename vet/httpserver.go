package vet

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// HTTPServer reports HTTP servers that never time out a connection: an
// http.Server literal with neither ReadHeaderTimeout nor ReadTimeout (a
// client that sends half a request header holds a goroutine and a
// connection forever), and the http.ListenAndServe / Serve helpers, which
// use a zero Server. Where the package streams responses (http.Flusher,
// http.ResponseController) and the server has no WriteTimeout, the
// diagnostic says so: a client that stops reading holds the handler.
var HTTPServer = &analysis.Analyzer{
	Name:     "httpserver",
	Doc:      "report http.Server without ReadHeaderTimeout and the ListenAndServe helpers (http-server-no-timeout)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runHTTPServer,
}

// serveHelpers are the net/http functions that serve with a zero Server.
var serveHelpers = map[string]bool{"ListenAndServe": true, "ListenAndServeTLS": true, "Serve": true, "ServeTLS": true}

func runHTTPServer(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	streams := streamsResponses(pass, ins)
	ins.WithStack([]ast.Node{(*ast.CompositeLit)(nil), (*ast.CallExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push || isTestFile(pass.Fset.File(n.Pos()).Name()) {
			return true
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			fn := callee(pass.TypesInfo, n)
			if fn != nil && fn.Signature().Recv() == nil && pkgPath(fn.Pkg()) == "net/http" && serveHelpers[fn.Name()] {
				report(pass, holeHTTPServer, n.Pos(), n.End(), nil,
					"http.%s serves with a zero http.Server: no ReadHeaderTimeout, ReadTimeout, WriteTimeout or IdleTimeout, so a slow or idle client holds a connection and a goroutine forever",
					fn.Name())
			}
		case *ast.CompositeLit:
			if !isNamed(pass.TypesInfo.TypeOf(n), "net/http", "Server") || isPointer(pass.TypesInfo.TypeOf(n)) {
				return true
			}
			set := map[string]bool{}
			for _, el := range n.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						if tv, ok := pass.TypesInfo.Types[kv.Value]; ok && tv.Value != nil && tv.Value.String() == "0" {
							continue
						}
						set[id.Name] = true
					}
				}
			}
			if len(n.Elts) > 0 {
				if _, keyed := n.Elts[0].(*ast.KeyValueExpr); !keyed {
					return true // positional literal: every field is given
				}
			}
			if v := assignedTo(pass, ix, stack); v != nil {
				for name := range ix.fieldSet[v] {
					set[name] = true
				}
			}
			if set["ReadHeaderTimeout"] || set["ReadTimeout"] {
				return true
			}
			var extra string
			if streams && !set["WriteTimeout"] {
				extra = "; this package streams responses and WriteTimeout is not set either, so a client that stops reading holds its handler"
			}
			report(pass, holeHTTPServer, n.Pos(), n.End(), nil,
				"http.Server without ReadHeaderTimeout or ReadTimeout: a client that sends part of a request header holds a connection and a goroutine forever (slowloris)%s",
				extra)
		}
		return true
	})
	return nil, nil
}

// assignedTo returns the variable a composite literal (or its address) is
// stored in by the statement holding it: srv := &http.Server{...}.
func assignedTo(pass *analysis.Pass, ix *index, stack []ast.Node) types.Object {
	for i := len(stack) - 2; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.UnaryExpr:
			if p.Op == token.AND {
				continue
			}
		case *ast.ParenExpr:
			continue
		case *ast.AssignStmt:
			if len(p.Lhs) == len(p.Rhs) {
				for j, r := range p.Rhs {
					if r.Pos() <= stack[len(stack)-1].Pos() && stack[len(stack)-1].End() <= r.End() {
						return ix.object(p.Lhs[j])
					}
				}
			}
		case *ast.ValueSpec:
			for j, r := range p.Values {
				if j < len(p.Names) && r.Pos() <= stack[len(stack)-1].Pos() && stack[len(stack)-1].End() <= r.End() {
					return pass.TypesInfo.Defs[p.Names[j]]
				}
			}
		}
		return nil
	}
	return nil
}

// streamsResponses reports whether the package flushes responses as it
// writes them (a type assertion to http.Flusher, or
// http.NewResponseController).
func streamsResponses(pass *analysis.Pass, ins *inspector.Inspector) bool {
	found := false
	ins.Preorder([]ast.Node{(*ast.TypeAssertExpr)(nil), (*ast.CallExpr)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.TypeAssertExpr:
			if n.Type != nil && isNamed(pass.TypesInfo.TypeOf(n.Type), "net/http", "Flusher") {
				found = true
			}
		case *ast.CallExpr:
			if fn := callee(pass.TypesInfo, n); isFunc(fn, "net/http", "NewResponseController") {
				found = true
			}
		}
	})
	return found && !strings.HasSuffix(pass.Pkg.Path(), "_test")
}
