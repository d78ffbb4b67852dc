package vet

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// ResourceLeak reports resources a function opens and can leave open, so
// that the goroutines behind them (a connection's readLoop and writeLoop,
// a *sql.DB's connectionOpener) outlive their user: an *http.Response whose
// Body is never closed, or whose deferred Close comes after a return that
// can be taken with the response open; and a *sql.DB opened in a function
// that has a request or context (per request) and neither closed nor
// handed on.
var ResourceLeak = &analysis.Analyzer{
	Name:     "resourceleak",
	Doc:      "report response bodies not closed on every path and per-request sql.Open without Close (resource-leak)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runResourceLeak,
}

// bodyReaders read a response body without taking it over: passing
// resp.Body to them does not hand the duty to close it on.
var bodyReaders = map[string]bool{
	"io.ReadAll": true, "io/ioutil.ReadAll": true, "io.Copy": true, "io.CopyN": true, "io.LimitReader": true,
	"encoding/json.NewDecoder": true, "encoding/xml.NewDecoder": true, "bufio.NewReader": true, "bufio.NewScanner": true,
	"io.ReadFull": true, "net/http.MaxBytesReader": true,
}

func runResourceLeak(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	ins.WithStack([]ast.Node{(*ast.AssignStmt)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push || isTestFile(pass.Fset.File(n.Pos()).Name()) {
			return true
		}
		as := n.(*ast.AssignStmt)
		if len(as.Rhs) != 1 || len(as.Lhs) < 1 {
			return true
		}
		call, ok := ast.Unparen(as.Rhs[0]).(*ast.CallExpr)
		if !ok {
			return true
		}
		id, ok := as.Lhs[0].(*ast.Ident)
		if !ok || id.Name == "_" {
			return true
		}
		obj := pass.TypesInfo.ObjectOf(id)
		body := enclosingBody(stack)
		if obj == nil || body == nil {
			return true
		}
		var errObj types.Object
		if len(as.Lhs) > 1 {
			if e, ok := as.Lhs[len(as.Lhs)-1].(*ast.Ident); ok {
				errObj = pass.TypesInfo.ObjectOf(e)
			}
		}
		t := obj.Type()
		switch {
		case isPointer(t) && isNamed(t, "net/http", "Response") && pooledRequest(callee(pass.TypesInfo, call)):
			checkBody(pass, ix, as, call, obj, errObj, body)
		case isPointer(t) && isNamed(t, "database/sql", "DB"):
			if fn := callee(pass.TypesInfo, call); (isFunc(fn, "database/sql", "Open") || isFunc(fn, "database/sql", "OpenDB")) &&
				ix.ctxInScope(call.Pos()) != "" {
				checkDBPerRequest(pass, ix, call, obj, body)
			}
		}
		return true
	})
	return nil, nil
}

// enclosingBody returns the body of the innermost function on the stack.
func enclosingBody(stack []ast.Node) *ast.BlockStmt {
	for i := len(stack) - 1; i >= 0; i-- {
		switch f := stack[i].(type) {
		case *ast.FuncDecl:
			return f.Body
		case *ast.FuncLit:
			return f.Body
		}
	}
	return nil
}

// uses is what a function does with a resource variable after opening it.
type uses struct {
	closePos  token.Pos // the first Close (deferred or not), NoPos if none
	deferred  bool
	handedOn  bool // returned, stored, or passed to a function that may close it
	reassigns int
}

// scanUses walks body for what happens to obj: closeSel is the selector
// path of the close call ("Body" for resp.Body.Close(), "" for db.Close()).
func scanUses(pass *analysis.Pass, ix *index, body *ast.BlockStmt, obj types.Object, closeSel string, after token.Pos) uses {
	var u uses
	isObj := func(e ast.Expr) bool { return ix.object(e) == obj }
	var visit func(n ast.Node, inDefer bool) bool
	visit = func(n ast.Node, inDefer bool) bool {
		switch n := n.(type) {
		case *ast.DeferStmt:
			ast.Inspect(n.Call, func(m ast.Node) bool { return visit(m, true) })
			return false
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Close" {
				x := sel.X
				if closeSel != "" {
					if s2, ok := ast.Unparen(x).(*ast.SelectorExpr); ok && s2.Sel.Name == closeSel {
						x = s2.X
					} else {
						x = nil
					}
				}
				if x != nil && isObj(x) && n.Pos() > after && (u.closePos == token.NoPos || n.Pos() < u.closePos) {
					u.closePos, u.deferred = n.Pos(), inDefer
				}
			}
			fn := callee(pass.TypesInfo, n)
			for _, a := range n.Args {
				if isObj(a) {
					u.handedOn = true
				}
				if s, ok := ast.Unparen(a).(*ast.SelectorExpr); ok && closeSel != "" && s.Sel.Name == closeSel && isObj(s.X) &&
					!bodyReaders[funcNameShort(fn)] {
					u.handedOn = true
				}
			}
		case *ast.ReturnStmt:
			for _, r := range n.Results {
				if isObj(r) {
					u.handedOn = true
				}
			}
		case *ast.AssignStmt:
			for i, r := range n.Rhs {
				if isObj(r) {
					u.handedOn = true
				}
				if i < len(n.Lhs) && isObj(n.Lhs[i]) && n.Pos() > after {
					u.reassigns++
				}
			}
		case *ast.CompositeLit:
			for _, el := range n.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					el = kv.Value
				}
				if isObj(el) {
					u.handedOn = true
				}
			}
		case *ast.SendStmt:
			if isObj(n.Value) {
				u.handedOn = true
			}
		}
		return true
	}
	ast.Inspect(body, func(n ast.Node) bool { return visit(n, false) })
	return u
}

// funcNameShort names fn as "pkgpath.Name" for package functions.
func funcNameShort(fn *types.Func) string {
	if fn == nil || fn.Pkg() == nil || fn.Signature().Recv() != nil {
		return ""
	}
	return pkgPath(fn.Pkg()) + "." + fn.Name()
}

func checkBody(pass *analysis.Pass, ix *index, as *ast.AssignStmt, call *ast.CallExpr, resp, errObj types.Object, body *ast.BlockStmt) {
	u := scanUses(pass, ix, body, resp, "Body", as.End())
	if u.handedOn || u.reassigns > 0 {
		return
	}
	if u.closePos == token.NoPos {
		report(pass, holeBodyLeak, call.Pos(), call.End(), nil,
			"the response body is never closed: the connection (and its readLoop and writeLoop goroutines) stays out of the pool until the server closes it")
		return
	}
	if ret := returnBetween(pass, body, as.End(), u.closePos, errObj, resp); ret != nil {
		report(pass, holeBodyLeak, call.Pos(), call.End(), nil,
			"the return at line %d leaves the response body open: Body.Close comes after it (line %d); close right after the error check",
			pass.Fset.Position(ret.Pos()).Line, pass.Fset.Position(u.closePos).Line)
	}
}

// returnBetween finds a return statement of body (not of a nested function
// literal) between from and to that is not inside an if statement testing
// the call's error or the resource for nil (the resource is nil there).
func returnBetween(pass *analysis.Pass, body *ast.BlockStmt, from, to token.Pos, errObj, obj types.Object) *ast.ReturnStmt {
	var found *ast.ReturnStmt
	var walk func(n ast.Node, guarded bool)
	walk = func(n ast.Node, guarded bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			if found != nil {
				return false
			}
			switch m := m.(type) {
			case *ast.FuncLit:
				return false
			case *ast.IfStmt:
				if m.Pos() > from && m.Pos() < to {
					g := guarded || mentions(pass, m.Cond, errObj) || isNilTest(pass, m.Cond, obj)
					if m.Init != nil {
						walk(m.Init, guarded)
					}
					walk(m.Body, g)
					if m.Else != nil {
						walk(m.Else, guarded)
					}
					return false
				}
			case *ast.ReturnStmt:
				if !guarded && m.Pos() > from && m.Pos() < to {
					found = m
				}
			}
			return true
		})
	}
	walk(body, false)
	return found
}

// isNilTest reports whether cond is obj == nil (alone or in a || chain).
func isNilTest(pass *analysis.Pass, cond ast.Expr, obj types.Object) bool {
	b, ok := ast.Unparen(cond).(*ast.BinaryExpr)
	if !ok || obj == nil {
		return false
	}
	switch b.Op {
	case token.LOR:
		return isNilTest(pass, b.X, obj) || isNilTest(pass, b.Y, obj)
	case token.EQL:
		isNil := func(e ast.Expr) bool {
			id, ok := ast.Unparen(e).(*ast.Ident)
			return ok && id.Name == "nil" && pass.TypesInfo.Types[e].IsNil()
		}
		isObj := func(e ast.Expr) bool {
			id, ok := ast.Unparen(e).(*ast.Ident)
			return ok && pass.TypesInfo.ObjectOf(id) == obj
		}
		return isObj(b.X) && isNil(b.Y) || isNil(b.X) && isObj(b.Y)
	}
	return false
}

// mentions reports whether e refers to obj.
func mentions(pass *analysis.Pass, e ast.Expr, obj types.Object) bool {
	if obj == nil || e == nil {
		return false
	}
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && pass.TypesInfo.ObjectOf(id) == obj {
			found = true
		}
		return !found
	})
	return found
}

func checkDBPerRequest(pass *analysis.Pass, ix *index, call *ast.CallExpr, db types.Object, body *ast.BlockStmt) {
	u := scanUses(pass, ix, body, db, "", call.End())
	if u.handedOn || u.closePos != token.NoPos {
		return
	}
	report(pass, holeDBPerRequest, call.Pos(), call.End(), nil,
		"sql.Open in a function that serves a request or context, never closed: each call leaves a *sql.DB with its connectionOpener goroutine and idle connections behind")
}

// pooledRequest reports whether fn sends a request through a Transport,
// whose pooled connection an unclosed body keeps (Client methods, the
// http.Get helpers, RoundTrip); http.ReadResponse on a connection the
// caller owns is not.
func pooledRequest(fn *types.Func) bool {
	if fn == nil || pkgPath(fn.Pkg()) != "net/http" {
		return false
	}
	if r := fn.Signature().Recv(); r != nil {
		return isNamed(r.Type(), "net/http", "Client") || fn.Name() == "RoundTrip"
	}
	_, helper := helperMethods[fn.Name()]
	return helper
}
