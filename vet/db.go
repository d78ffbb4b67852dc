package vet

import (
	"go/ast"
	"go/constant"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// DB reports database calls the caller's deadline cannot reach:
// database/sql calls without the Context variant in a function that has a
// context; GORM chains on a *gorm.DB that does not come from WithContext;
// lib/pq DSNs (constant, or a constant format) without connect_timeout,
// whose start-up read ignores every context; and transactions begun
// without a deferred Rollback, which hold a pool connection when a path
// forgets to finish them.
var DB = &analysis.Analyzer{
	Name:     "dbctx",
	Doc:      "report database calls without a context, GORM chains without WithContext, lib/pq DSNs without connect_timeout and Begin without deferred Rollback (db-driver-no-ctx)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runDB,
}

// sqlTypes are the database/sql types whose methods have Context variants.
var sqlTypes = []string{"DB", "Tx", "Conn", "Stmt"}

// sqlNoCtx maps a database/sql method without a context to its Context
// variant.
var sqlNoCtx = map[string]string{
	"Query": "QueryContext", "QueryRow": "QueryRowContext", "Exec": "ExecContext",
	"Prepare": "PrepareContext", "Ping": "PingContext", "Begin": "BeginTx",
}

// gormFinishers are the *gorm.DB methods that run a statement.
var gormFinishers = map[string]bool{
	"Find": true, "First": true, "Take": true, "Last": true, "Create": true, "CreateInBatches": true,
	"Save": true, "Update": true, "Updates": true, "UpdateColumn": true, "UpdateColumns": true,
	"Delete": true, "Count": true, "Pluck": true, "Scan": true, "Row": true, "Rows": true, "Exec": true,
	"FirstOrCreate": true, "FirstOrInit": true, "FindInBatches": true, "Transaction": true,
}

const gormPath = "gorm.io/gorm|github.com/jinzhu/gorm"

func runDB(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	ins.WithStack([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push || isTestFile(pass.Fset.File(n.Pos()).Name()) {
			return true
		}
		call := n.(*ast.CallExpr)
		fn := callee(pass.TypesInfo, call)
		if fn == nil {
			return true
		}
		switch {
		case pkgPath(fn.Pkg()) == "database/sql":
			checkSQLCall(pass, ix, call, fn, stack)
		case pathMatch(pkgPath(fn.Pkg()), gormPath):
			checkGORM(pass, ix, call, fn)
		case isFunc(fn, "github.com/lib/pq", "NewConnector") && len(call.Args) == 1:
			checkPQDSN(pass, ix, call, call.Args[0])
		}
		return true
	})
	return nil, nil
}

func checkSQLCall(pass *analysis.Pass, ix *index, call *ast.CallExpr, fn *types.Func, stack []ast.Node) {
	if isFunc(fn, "database/sql", "Open") && len(call.Args) == 2 {
		if tv := pass.TypesInfo.Types[call.Args[0]]; tv.Value != nil && tv.Value.Kind() == constant.String &&
			constant.StringVal(tv.Value) == "postgres" {
			checkPQDSN(pass, ix, call, call.Args[1])
		}
		return
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return
	}
	isSQL := false
	for _, t := range sqlTypes {
		if isNamed(recv.Type(), "database/sql", t) {
			isSQL = true
		}
	}
	if !isSQL {
		return
	}
	if (fn.Name() == "Begin" || fn.Name() == "BeginTx") && !isNamed(recv.Type(), "database/sql", "Tx") {
		checkRollback(pass, ix, call, stack)
	}
	variant, ok := sqlNoCtx[fn.Name()]
	if !ok {
		return
	}
	ctx := ix.ctxInScope(call.Pos())
	if ctx == "" || ix.ctxKindInScope(call.Pos()) == ctxBackground {
		return // no context, or only a background one: the variant would change nothing
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	insert := ctx
	if len(call.Args) > 0 {
		insert += ", "
	}
	if fn.Name() == "Begin" {
		insert = ctx + ", nil"
	}
	fix := analysis.SuggestedFix{
		Message: "call " + variant + " with " + ctx,
		TextEdits: []analysis.TextEdit{
			{Pos: sel.Sel.Pos(), End: sel.Sel.End(), NewText: []byte(variant)},
			{Pos: call.Lparen + 1, End: call.Lparen + 1, NewText: []byte(insert)},
		},
	}
	report(pass, holeSQLNoCtx, call.Pos(), call.End(), []analysis.SuggestedFix{fix},
		"%s.%s runs on context.Background() although %s is in scope: the caller's deadline cannot cancel it (use %s)",
		recvName(recv.Type()), fn.Name(), ctx, variant)
}

func recvName(t types.Type) string {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return "sql." + n.Obj().Name()
	}
	return types.TypeString(t, nil)
}

// checkPQDSN reports a lib/pq DSN without connect_timeout when the source
// shows the whole DSN: a constant, a fmt.Sprintf with a constant format, or
// a local variable assigned one of those once.
func checkPQDSN(pass *analysis.Pass, ix *index, call *ast.CallExpr, dsn ast.Expr) {
	text, ok := constantDSN(pass, ix, dsn, 0)
	if !ok || strings.Contains(text, "connect_timeout") {
		return
	}
	report(pass, holeLibPQDSN, call.Pos(), call.End(), nil,
		"lib/pq DSN without connect_timeout: the connection start-up reads from the server with no deadline and ignores every context, so a server that accepts and never answers holds the pool slot forever")
}

func constantDSN(pass *analysis.Pass, ix *index, e ast.Expr, depth int) (string, bool) {
	if depth > 4 {
		return "", false
	}
	if tv := pass.TypesInfo.Types[e]; tv.Value != nil && tv.Value.Kind() == constant.String {
		return constant.StringVal(tv.Value), true
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		if fn := callee(pass.TypesInfo, x); isFunc(fn, "fmt", "Sprintf") && len(x.Args) > 0 {
			if tv := pass.TypesInfo.Types[x.Args[0]]; tv.Value != nil && tv.Value.Kind() == constant.String {
				return constant.StringVal(tv.Value), true
			}
		}
	case *ast.Ident:
		v, ok := pass.TypesInfo.ObjectOf(x).(*types.Var)
		if !ok || ix.isParam(v) {
			return "", false
		}
		if as := ix.assigns[v]; len(as) == 1 && as[0].Index < 0 {
			return constantDSN(pass, ix, as[0].Value, depth+1)
		}
	}
	return "", false
}

// checkRollback reports tx, err := db.Begin() whose function never defers
// a Rollback of tx (directly or in a deferred closure) and does not hand
// tx on (return it, store it, pass it to another function).
func checkRollback(pass *analysis.Pass, ix *index, call *ast.CallExpr, stack []ast.Node) {
	as, ok := stack[len(stack)-2].(*ast.AssignStmt)
	if !ok || len(as.Rhs) != 1 || len(as.Lhs) < 1 {
		return
	}
	txObj := ix.object(as.Lhs[0])
	if txObj == nil {
		return
	}
	if _, isLocal := as.Lhs[0].(*ast.Ident); !isLocal {
		return // stored in a field: finished elsewhere
	}
	var body *ast.BlockStmt
	for i := len(stack) - 2; i >= 0 && body == nil; i-- {
		switch f := stack[i].(type) {
		case *ast.FuncDecl:
			body = f.Body
		case *ast.FuncLit:
			body = f.Body
		}
	}
	if body == nil {
		return
	}
	rolledBack, handedOn := false, false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.DeferStmt:
			ast.Inspect(n, func(m ast.Node) bool {
				if c, ok := m.(*ast.CallExpr); ok {
					if s, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr); ok && s.Sel.Name == "Rollback" && ix.object(s.X) == txObj {
						rolledBack = true
					}
					for _, a := range c.Args {
						if ix.object(a) == txObj {
							rolledBack = true // deferred helper given the tx
						}
					}
				}
				return true
			})
		case *ast.ReturnStmt:
			for _, r := range n.Results {
				if ix.object(r) == txObj {
					handedOn = true
				}
			}
		case *ast.CallExpr:
			if n == call {
				return true
			}
			for _, a := range n.Args {
				if ix.object(a) == txObj {
					handedOn = true
				}
			}
		case *ast.AssignStmt:
			for _, r := range n.Rhs {
				if ix.object(r) == txObj && n != as {
					handedOn = true
				}
			}
		case *ast.CompositeLit:
			for _, el := range n.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					el = kv.Value
				}
				if ix.object(el) == txObj {
					handedOn = true
				}
			}
		}
		return true
	})
	if rolledBack || handedOn || finishedOnEveryReturn(pass, ix, body, as, txObj) {
		return
	}
	report(pass, holeTxNoRollback, call.Pos(), call.End(), nil,
		"transaction begun without a deferred %s.Rollback(): a path that returns early, or a panic, leaves the transaction open and its pool connection held",
		types.ExprString(as.Lhs[0]))
}

// checkGORM reports a statement-running method on a *gorm.DB chain that
// does not pass through WithContext.
func checkGORM(pass *analysis.Pass, ix *index, call *ast.CallExpr, fn *types.Func) {
	if fn.Signature().Recv() == nil || !isNamed(fn.Signature().Recv().Type(), gormPath, "DB") || !gormFinishers[fn.Name()] {
		return
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	root, derived := gormChain(pass, ix, sel.X, 0, true)
	if derived || root == nil {
		return
	}
	ctx := ix.ctxInScope(call.Pos())
	if ctx == "" && handedIn(pass, ix, sel.X, 0) {
		// No context to pass, and a handle its owner was given: it runs
		// on whatever context the handle was built with (a caller's
		// db.WithContext(ctx) survives Begin, Table, Where...).
		return
	}
	var fixes []analysis.SuggestedFix
	if ctx != "" {
		fixes = []analysis.SuggestedFix{{
			Message:   "derive the chain from " + types.ExprString(root) + ".WithContext(" + ctx + ")",
			TextEdits: []analysis.TextEdit{{Pos: root.End(), End: root.End(), NewText: []byte(".WithContext(" + ctx + ")")}},
		}}
	}
	report(pass, holeGORM, call.Pos(), call.End(), fixes,
		"GORM %s on %s, which does not come from WithContext: the statement runs on context.Background() and no deadline reaches the driver",
		fn.Name(), types.ExprString(root))
}

// handedIn reports whether a *gorm.DB chain starts from a handle this
// function was given (a parameter, a field, a package variable, through
// locals assigned once) rather than one opened here (gorm.Open, a helper
// that opens one).
func handedIn(pass *analysis.Pass, ix *index, e ast.Expr, depth int) bool {
	if depth > 32 {
		return false
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		fn := callee(pass.TypesInfo, x)
		if fn == nil || fn.Signature().Recv() == nil || !isNamed(fn.Signature().Recv().Type(), gormPath, "DB") {
			return false // opened here
		}
		sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr)
		return ok && handedIn(pass, ix, sel.X, depth+1)
	case *ast.Ident, *ast.SelectorExpr:
		obj := ix.object(x)
		if obj == nil {
			return false
		}
		v, _ := obj.(*types.Var)
		if v == nil || ix.isParam(obj) || v.IsField() || v.Parent() == pass.Pkg.Scope() {
			return true
		}
		as := ix.assigns[obj]
		return len(as) == 1 && as[0].Index < 0 && handedIn(pass, ix, as[0].Value, depth+1)
	}
	return false
}

// gormChain walks a chain of *gorm.DB method calls down to its root
// expression; derived is true when a WithContext call (or a variable
// assigned from one) is on the way, or the chain starts at a parameter of
// the function being checked (its caller may have derived it; a *gorm.DB
// handed to a constructor and stored in a field is not: paramsDerived is
// false there). root is nil when the chain cannot be followed.
func gormChain(pass *analysis.Pass, ix *index, e ast.Expr, depth int, paramsDerived bool) (root ast.Expr, derived bool) {
	if depth > 32 {
		return nil, false
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		fn := callee(pass.TypesInfo, x)
		if fn == nil || fn.Signature().Recv() == nil || !isNamed(fn.Signature().Recv().Type(), gormPath, "DB") {
			return nil, false
		}
		if fn.Name() == "WithContext" {
			return nil, true
		}
		sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr)
		if !ok {
			return nil, false
		}
		return gormChain(pass, ix, sel.X, depth+1, paramsDerived)
	case *ast.Ident, *ast.SelectorExpr:
		obj := ix.object(x)
		if obj == nil {
			return nil, false
		}
		if ix.isParam(obj) {
			return x, paramsDerived
		}
		v, _ := obj.(*types.Var)
		if v != nil && !v.IsField() && v.Parent() != pass.Pkg.Scope() {
			// A local: follow its single assignment.
			as := ix.assigns[obj]
			if len(as) != 1 {
				return nil, false
			}
			if _, d := gormChain(pass, ix, as[0].Value, depth+1, paramsDerived); d {
				return nil, true
			}
			return x, false
		}
		// A field or package variable: derived only if every value this
		// package stores in it is.
		for _, a := range ix.assigns[obj] {
			if _, d := gormChain(pass, ix, a.Value, depth+1, false); !d {
				return x, false
			}
		}
		if len(ix.assigns[obj]) > 0 {
			return nil, true
		}
		return x, false
	}
	return nil, false
}

// finishedOnEveryReturn reports whether every return after the Begin
// statement as (other than those testing Begin's error) follows, in its
// own block, a Rollback or Commit of tx: explicit rollbacks on each path.
func finishedOnEveryReturn(pass *analysis.Pass, ix *index, body *ast.BlockStmt, as *ast.AssignStmt, tx types.Object) bool {
	var errObj types.Object
	if len(as.Lhs) > 1 {
		if e, ok := as.Lhs[len(as.Lhs)-1].(*ast.Ident); ok {
			errObj = pass.TypesInfo.ObjectOf(e)
		}
	}
	finishes := func(n ast.Node) bool {
		found := false
		ast.Inspect(n, func(m ast.Node) bool {
			if c, ok := m.(*ast.CallExpr); ok {
				if s, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr); ok && (s.Sel.Name == "Rollback" || s.Sel.Name == "Commit") && ix.object(s.X) == tx {
					found = true
				}
			}
			return !found
		})
		return found
	}
	// Only what runs on every path through a statement finishes the
	// paths after it: a call statement or assignment, an if's init; a
	// Rollback inside a branch does not.
	finishesUnconditionally := func(st ast.Stmt) bool {
		switch st := st.(type) {
		case *ast.ExprStmt, *ast.AssignStmt, *ast.DeclStmt:
			return finishes(st)
		case *ast.IfStmt:
			return st.Init != nil && finishes(st.Init)
		}
		return false
	}
	ok, any := true, false
	var walk func(b *ast.BlockStmt, guarded, finished bool)
	walk = func(b *ast.BlockStmt, guarded, finished bool) {
		for i, st := range b.List {
			if i > 0 && b.List[i-1].Pos() > as.End() && finishesUnconditionally(b.List[i-1]) {
				finished = true
			}
			if st.End() <= as.End() {
				continue
			}
			switch st := st.(type) {
			case *ast.ReturnStmt:
				if guarded {
					continue
				}
				any = true
				if !finished && !finishes(st) {
					ok = false
				}
			case *ast.IfStmt:
				// The error test right after Begin: tx is nil in it.
				afterBegin := i > 0 && b.List[i-1] == ast.Stmt(as) && mentions(pass, st.Cond, errObj)
				initDone := st.Init != nil && finishes(st.Init)
				walk(st.Body, guarded || afterBegin, finished || initDone)
				if e, isBlock := st.Else.(*ast.BlockStmt); isBlock {
					walk(e, guarded, finished || initDone)
				}
			case *ast.BlockStmt:
				walk(st, guarded, finished)
			case *ast.ForStmt:
				walk(st.Body, guarded, finished)
			case *ast.RangeStmt:
				walk(st.Body, guarded, finished)
			}
		}
	}
	walk(body, false, false)
	return ok && any
}
