package vet

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"path/filepath"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// HTTPClient reports outbound HTTP requests that nothing bounds: the
// client has no Timeout (http.DefaultClient, the http.Get helpers, an
// http.Client literal without Timeout) and the request carries no context
// or one without a deadline. Such a request waits as long as the server
// keeps the connection open.
var HTTPClient = &analysis.Analyzer{
	Name:      "httpclient",
	Doc:       "report HTTP requests on a client without Timeout and a context without deadline (http-client-no-timeout)",
	URL:       "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires:  []*analysis.Analyzer{inspect.Analyzer},
	Run:       runHTTPClient,
	FactTypes: []analysis.Fact{new(noTimeoutClient)},
}

// noTimeoutClient marks a package-level variable, a struct field or a
// function whose *http.Client has no Timeout wherever this package sets
// it, so that requests made on it from other packages are known too.
type noTimeoutClient struct {
	// Where says where the client is built ("pkg/file.go:12").
	Where string
}

// AFact marks noTimeoutClient as an analysis fact.
func (*noTimeoutClient) AFact() {}

func (f *noTimeoutClient) String() string { return "noTimeoutClient(" + f.Where + ")" }

// clientKind is what the source says about an http.Client's Timeout.
type clientKind struct {
	noTimeout bool
	where     string // what or where the client is ("http.DefaultClient", "main.go:93")
}

func runHTTPClient(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	hc := &httpClientPass{ix: ix, memo: map[types.Object]*clientKind{}}
	hc.exportFacts()
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	ins.WithStack([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		call := n.(*ast.CallExpr)
		if isTestFile(pass.Fset.File(call.Pos()).Name()) {
			return true
		}
		hc.check(call, stack)
		return true
	})
	return nil, nil
}

type httpClientPass struct {
	ix   *index
	memo map[types.Object]*clientKind
}

// exportFacts marks the package's client variables, fields and
// constructors that have no Timeout.
func (hc *httpClientPass) exportFacts() {
	pass := hc.ix.pass
	for obj := range hc.ix.assigns {
		v, ok := obj.(*types.Var)
		if !ok || v.Pkg() != pass.Pkg || !isHTTPClientType(v.Type()) {
			continue // facts go only on this package's objects
		}
		if !v.IsField() && v.Parent() != pass.Pkg.Scope() {
			continue
		}
		if k := hc.object(v, 0); k.noTimeout {
			pass.ExportObjectFact(v, &noTimeoutClient{Where: k.where})
		}
	}
	for fn, decl := range hc.ix.decls {
		res := fn.Signature().Results()
		if res.Len() == 0 || !isHTTPClientType(res.At(0).Type()) || decl.Body == nil {
			continue
		}
		if k := hc.returns(decl, 0); k.noTimeout {
			pass.ExportObjectFact(fn, &noTimeoutClient{Where: k.where})
		}
	}
}

func isHTTPClientType(t types.Type) bool { return isNamed(t, "net/http", "Client") }

// returns classifies the client a function returns: no Timeout only when
// every return statement returns such a client.
func (hc *httpClientPass) returns(decl *ast.FuncDecl, depth int) clientKind {
	var out clientKind
	n := 0
	all := true
	ast.Inspect(decl.Body, func(node ast.Node) bool {
		if _, ok := node.(*ast.FuncLit); ok {
			return false
		}
		r, ok := node.(*ast.ReturnStmt)
		if !ok || len(r.Results) == 0 {
			return true
		}
		n++
		k := hc.client(r.Results[0], depth+1)
		if !k.noTimeout {
			all = false
		} else if out.where == "" {
			out = k
		}
		return true
	})
	if n == 0 || !all {
		return clientKind{}
	}
	return out
}

// client classifies an expression of type *http.Client or http.Client.
func (hc *httpClientPass) client(e ast.Expr, depth int) clientKind {
	if depth > 8 {
		return clientKind{}
	}
	pass := hc.ix.pass
	switch e := ast.Unparen(e).(type) {
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			return hc.client(e.X, depth+1)
		}
	case *ast.CompositeLit:
		if !isHTTPClientType(pass.TypesInfo.TypeOf(e)) {
			return clientKind{}
		}
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Timeout" {
					if tv, ok := pass.TypesInfo.Types[kv.Value]; ok && tv.Value != nil && tv.Value.String() == "0" {
						break
					}
					return clientKind{}
				}
			}
		}
		return clientKind{noTimeout: true, where: hc.where(e.Pos())}
	case *ast.SelectorExpr:
		if obj := pass.TypesInfo.ObjectOf(e.Sel); obj != nil {
			if v, ok := obj.(*types.Var); ok && v.Pkg() != nil && v.Pkg().Path() == "net/http" && v.Name() == "DefaultClient" {
				return clientKind{noTimeout: true, where: "http.DefaultClient"}
			}
			if base := hc.ix.object(e.X); base != nil && hc.ix.fieldSet[base]["Timeout"] {
				return clientKind{}
			}
			return hc.object(obj, depth+1)
		}
	case *ast.Ident:
		if obj := pass.TypesInfo.ObjectOf(e); obj != nil {
			return hc.object(obj, depth+1)
		}
	case *ast.CallExpr:
		fn := callee(pass.TypesInfo, e)
		if fn == nil {
			return clientKind{}
		}
		var f noTimeoutClient
		if pass.ImportObjectFact(fn, &f) {
			return clientKind{noTimeout: true, where: f.Where}
		}
		if decl := hc.ix.decls[fn]; decl != nil && decl.Body != nil {
			return hc.returns(decl, depth+1)
		}
	}
	return clientKind{}
}

// object classifies a variable or field holding a client: no Timeout when
// another package's fact says so, or when every value this package stores
// in it has none and nothing sets its Timeout afterwards.
func (hc *httpClientPass) object(obj types.Object, depth int) clientKind {
	if k, ok := hc.memo[obj]; ok {
		if k == nil {
			return clientKind{} // a cycle
		}
		return *k
	}
	var f noTimeoutClient
	if obj.Pkg() != hc.ix.pass.Pkg && hc.ix.pass.ImportObjectFact(obj, &f) {
		return clientKind{noTimeout: true, where: f.Where}
	}
	if hc.ix.isParam(obj) || hc.ix.fieldSet[obj]["Timeout"] {
		return clientKind{}
	}
	hc.memo[obj] = nil
	as := hc.ix.assigns[obj]
	out := clientKind{}
	for i, a := range as {
		if a.Index >= 0 {
			out = clientKind{}
			break
		}
		k := hc.client(a.Value, depth+1)
		if !k.noTimeout {
			out = clientKind{}
			break
		}
		if i == 0 {
			out = k
		}
	}
	hc.memo[obj] = &out
	return out
}

func (hc *httpClientPass) where(pos token.Pos) string {
	p := hc.ix.pass.Fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

// helperMethods are the net/http helpers that build a request with no
// context, with the request method they use.
var helperMethods = map[string]string{
	"Get": "http.MethodGet", "Head": "http.MethodHead", "Post": "http.MethodPost", "PostForm": "http.MethodPost",
}

// check looks at one call.
func (hc *httpClientPass) check(call *ast.CallExpr, stack []ast.Node) {
	pass := hc.ix.pass
	fn := callee(pass.TypesInfo, call)
	if fn == nil || pkgPath(fn.Pkg()) != "net/http" {
		return
	}
	if method, ok := helperMethods[fn.Name()]; ok && fn.Signature().Recv() == nil {
		report(pass, holeHTTPClient, call.Pos(), call.End(), hc.helperFix(call, stack, "http.DefaultClient", fn.Name(), method),
			"http.%s uses http.DefaultClient, which has no Timeout, and sends the request with no context: it waits as long as the server keeps the connection open",
			fn.Name())
		return
	}
	if fn.Signature().Recv() == nil || !isHTTPClientType(fn.Signature().Recv().Type()) {
		return
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	k := hc.client(sel.X, 0)
	if !k.noTimeout {
		return
	}
	recv := types.ExprString(sel.X)
	if method, ok := helperMethods[fn.Name()]; ok {
		report(pass, holeHTTPClient, call.Pos(), call.End(), hc.helperFix(call, stack, recv, fn.Name(), method),
			"%s.%s on a client without Timeout (%s) sends the request with no context: it waits as long as the server keeps the connection open",
			recv, fn.Name(), k.where)
		return
	}
	if fn.Name() != "Do" || len(call.Args) != 1 {
		return
	}
	why := hc.request(call.Args[0])
	if why == "" {
		return
	}
	report(pass, holeHTTPClient, call.Pos(), call.End(), nil,
		"%s.Do on a client without Timeout (%s) with %s: it waits as long as the server keeps the connection open",
		recv, k.where, why)
}

// request says why a request has no deadline ("" when it may have one).
func (hc *httpClientPass) request(e ast.Expr) string {
	ix := hc.ix
	info := ix.pass.TypesInfo
	for range 8 {
		switch x := ast.Unparen(e).(type) {
		case *ast.Ident:
			v, ok := info.ObjectOf(x).(*types.Var)
			if !ok || ix.isParam(v) {
				return ""
			}
			as := ix.assigns[v]
			if len(as) != 1 {
				return ""
			}
			e = as[0].Value
			continue
		case *ast.CallExpr:
			fn := callee(info, x)
			switch {
			case isFunc(fn, "net/http", "NewRequest"):
				return "a request built by http.NewRequest (no context)"
			case isFunc(fn, "net/http", "NewRequestWithContext") && len(x.Args) > 0:
				if k := ix.ctxKind(x.Args[0]); k.noDeadline() {
					return "a request on " + k.describe()
				}
			}
		}
		return ""
	}
	return ""
}

// helperFix rewrites `resp, err := c.Get(url)` (and Head, Post, PostForm)
// into a request built with the context in scope, keeping err's flow:
//
//	var resp *http.Response
//	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
//	if err == nil {
//		resp, err = c.Do(req)
//	}
//
// Nil when the call is not the whole right-hand side of such a statement or
// no context is in scope.
func (hc *httpClientPass) helperFix(call *ast.CallExpr, stack []ast.Node, client, name, method string) []analysis.SuggestedFix {
	pass := hc.ix.pass
	if len(stack) < 2 {
		return nil
	}
	as, ok := stack[len(stack)-2].(*ast.AssignStmt)
	if !ok || as.Tok != token.DEFINE || len(as.Lhs) != 2 || len(as.Rhs) != 1 || as.Rhs[0] != call {
		return nil
	}
	if _, ok := stack[len(stack)-3].(*ast.BlockStmt); !ok {
		return nil // e.g. an if statement's init: no room for statements
	}
	respID, ok1 := as.Lhs[0].(*ast.Ident)
	errID, ok2 := as.Lhs[1].(*ast.Ident)
	if !ok1 || !ok2 || respID.Name == "_" || errID.Name == "_" {
		return nil
	}
	ctx := hc.ix.ctxInScope(call.Pos())
	if ctx == "" {
		return nil
	}
	reqName := "req"
	scope := pass.Pkg.Scope().Innermost(call.Pos())
	if scope == nil || !importsHTTP(pass, call.Pos()) {
		return nil
	}
	for i := 2; ; i++ {
		if _, obj := scope.LookupParent(reqName, call.Pos()); obj == nil {
			break
		}
		reqName = fmt.Sprintf("req%d", i)
	}
	src := func(e ast.Expr) string {
		var b bytes.Buffer
		if err := format.Node(&b, pass.Fset, e); err != nil {
			return types.ExprString(e)
		}
		return b.String()
	}
	var b bytes.Buffer
	if pass.TypesInfo.Defs[respID] != nil {
		fmt.Fprintf(&b, "var %s *http.Response\n", respID.Name)
	}
	body := "nil"
	var header string
	switch name {
	case "Post":
		if len(call.Args) != 3 {
			return nil
		}
		body = src(call.Args[2])
		header = fmt.Sprintf("%s.Header.Set(\"Content-Type\", %s)\n", reqName, src(call.Args[1]))
	case "PostForm":
		return nil // the body needs strings.NewReader: not always imported
	default:
		if len(call.Args) != 1 {
			return nil
		}
	}
	fmt.Fprintf(&b, "%s, %s := http.NewRequestWithContext(%s, %s, %s, %s)\n", reqName, errID.Name, ctx, method, src(call.Args[0]), body)
	fmt.Fprintf(&b, "if %s == nil {\n%s%s, %s = %s.Do(%s)\n}", errID.Name, header, respID.Name, errID.Name, client, reqName)
	return []analysis.SuggestedFix{{
		Message: "build the request with " + ctx + " (http.NewRequestWithContext) and send it with Do",
		TextEdits: []analysis.TextEdit{{
			Pos: as.Pos(), End: as.End(), NewText: b.Bytes(),
		}},
	}}
}

// importsHTTP reports whether the file at pos imports net/http under its
// own name, so that a fix can write http.NewRequestWithContext.
func importsHTTP(pass *analysis.Pass, pos token.Pos) bool {
	for _, f := range pass.Files {
		if f.FileStart <= pos && pos < f.FileEnd {
			for _, imp := range f.Imports {
				if imp.Path.Value == `"net/http"` && (imp.Name == nil || imp.Name.Name == "http") {
					return true
				}
			}
		}
	}
	return false
}
