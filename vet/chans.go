package vet

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// ChanSend reports plain channel sends that can strand their goroutine:
// a send on an unbuffered channel (or one whose capacity the source does
// not show) in a goroutine started by a function that has a context (or in
// such a function itself), outside a select that also waits on ctx.Done()
// or a timer. When the receiver gives up on its deadline, the sender waits
// forever.
var ChanSend = &analysis.Analyzer{
	Name:     "chansend",
	Doc:      "report channel sends outside a select on ctx.Done() in goroutines of functions that have a context (chan-send-blocked)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      func(pass *analysis.Pass) (any, error) { return runChans(pass, true) },
}

// ChanRecv reports plain channel receives that can wait forever: a
// receive on an unbuffered channel or one of unknown capacity, in a
// function that has a context (or a goroutine it starts), outside a select
// on ctx.Done() or a timer, from a channel its producers do not close with
// defer. When the producer returns without sending, the receiver waits
// forever.
var ChanRecv = &analysis.Analyzer{
	Name:     "chanrecv",
	Doc:      "report channel receives outside a select on ctx.Done() in functions that have a context (chan-recv-blocked)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      func(pass *analysis.Pass) (any, error) { return runChans(pass, false) },
}

func runChans(pass *analysis.Pass, sends bool) (any, error) {
	ix := newIndex(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	spawned := spawnedByCtx(pass, ix, ins)
	closedAny := closedSignals(pass, ix, ins)
	cls := newChanClasses(pass, ix, ins)
	forever := foreverReceivers(pass, ix, ins, cls, closedAny)
	answers := answeredRequests(pass, ix, ins, cls)
	closed := producerClosed(pass, ix, ins, cls)
	awaited := spawnerReceives(pass, ix, ins, cls)
	loopSent := sentInLoop(ix, ins)
	filter := []ast.Node{(*ast.UnaryExpr)(nil)}
	if sends {
		filter = []ast.Node{(*ast.SendStmt)(nil)}
	}
	ins.WithStack(filter, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push || isTestFile(pass.Fset.File(n.Pos()).Name()) {
			return true
		}
		var ch ast.Expr
		switch n := n.(type) {
		case *ast.SendStmt:
			ch = n.Chan
		case *ast.UnaryExpr:
			if n.Op != token.ARROW {
				return true
			}
			ch = n.X
		}
		g := guards{pass: pass, ix: ix, closed: closedAny}
		if g.is(ch) || inGuardedSelect(g, n, stack) {
			return true
		}
		ctx := ix.ctxInScope(n.Pos())
		if ctx == "" && !spawned[enclosingDecl(pass, stack)] {
			return true
		}
		if ctx == "" {
			ctx = "the spawner's context"
		}
		capKind := chanCap(pass, ix, ch)
		if capKind == capBuffered {
			return true
		}
		if capKind == capUnknown && bufferedByCallers(pass, ix, cls, ch) && !(sends && loopSent[ix.object(ch)]) {
			return true // a buffer every caller provides, as for a buffered channel; one send into it
		}
		what := "unbuffered channel"
		if capKind == capUnknown {
			what = "channel of unknown capacity"
		}
		if k := cls.of(ix, ch); sends && k != nil && forever[k] {
			return true // a loop that serves it until shutdown receives it (a hub)
		}
		if s, ok := n.(*ast.SendStmt); ok && (answers[s] || awaited[s]) {
			return true // a reply its requester waits for; a result its spawner waits for
		}
		if sends {
			report(pass, holeChanSend, n.Pos(), n.End(), nil,
				"send on %s %s outside a select on %s: if the receiver gives up, this goroutine waits forever",
				what, types.ExprString(ch), doneOf(ctx))
			return true
		}
		if k := cls.of(ix, ch); k != nil && closed[k] || fromContextCall(pass, ix, ch) || eventSignal(pass, ch) {
			return true
		}
		report(pass, holeChanRecv, n.Pos(), n.End(), nil,
			"receive from %s %s outside a select on %s: if the producer returns without sending or closing, this waits forever",
			what, types.ExprString(ch), doneOf(ctx))
		return true
	})
	return nil, nil
}

func doneOf(ctx string) string {
	if ctx == "the spawner's context" {
		return "a context's Done()"
	}
	return ctx + ".Done()"
}

// capacity kinds of a channel expression.
const (
	capUnknown = iota
	capUnbuffered
	capBuffered
)

// chanCap follows a channel expression to the make calls that create it:
// a variable or field whose every assignment in this package is a make of
// the same kind (buffered or not) has that kind.
func chanCap(pass *analysis.Pass, ix *index, e ast.Expr) int {
	return chanCapDepth(pass, ix, e, 0)
}

func chanCapDepth(pass *analysis.Pass, ix *index, e ast.Expr, depth int) int {
	if depth > 8 {
		return capUnknown
	}
	switch x := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok && id.Name == "make" {
			if _, builtin := pass.TypesInfo.Uses[id].(*types.Builtin); builtin {
				if len(x.Args) < 2 {
					return capUnbuffered
				}
				if tv := pass.TypesInfo.Types[x.Args[1]]; tv.Value != nil {
					if v, ok := constant.Int64Val(tv.Value); ok && v == 0 {
						return capUnbuffered
					}
				}
				return capBuffered
			}
		}
		return capUnknown
	case *ast.Ident, *ast.SelectorExpr:
		obj := ix.object(x)
		if obj == nil || ix.isParam(obj) {
			return capUnknown
		}
		as := ix.assigns[obj]
		if len(as) == 0 {
			return capUnknown
		}
		kind := -1
		for _, a := range as {
			if a.Index >= 0 {
				return capUnknown
			}
			k := chanCapDepth(pass, ix, a.Value, depth+1)
			if k == capUnknown || (kind >= 0 && k != kind) {
				return capUnknown
			}
			kind = k
		}
		return kind
	}
	return capUnknown
}

// fromContextCall reports whether a channel variable is the result of a
// call that is given a context (client.Watch(ctx, ...)), in every
// assignment to it (one per branch: closed, err = consumeGroup(ctx, ...)
// or consumePartitions(ctx, ...)): its producer is
// bound to that context and closes the channel when it is done.
func fromContextCall(pass *analysis.Pass, ix *index, e ast.Expr) bool {
	obj := ix.object(e)
	if obj == nil {
		if c, ok := ast.Unparen(e).(*ast.CallExpr); ok {
			return takesContext(pass, c)
		}
		return false
	}
	as := ix.assigns[obj]
	if len(as) == 0 {
		return false
	}
	for _, a := range as {
		c, ok := ast.Unparen(a.Value).(*ast.CallExpr)
		if !ok || !takesContext(pass, c) {
			return false
		}
	}
	return true
}

func takesContext(pass *analysis.Pass, c *ast.CallExpr) bool {
	for _, a := range c.Args {
		if isContext(pass.TypesInfo.TypeOf(a)) {
			return true
		}
	}
	return false
}

// guards recognises the channels that bound a wait: ctx.Done() and any
// other Done() method, time.After, time.Tick, a Timer's or Ticker's C,
// http.CloseNotifier's CloseNotify() (fires when the client goes), a
// variable holding one of those (done := ctx.Done()), and a struct{}
// channel the package closes to signal shutdown (s.closing).
type guards struct {
	pass   *analysis.Pass
	ix     *index
	closed map[types.Object]bool
}

func (g guards) is(ch ast.Expr) bool { return g.isDepth(ch, 0) }

func (g guards) isDepth(ch ast.Expr, depth int) bool {
	if depth > 4 {
		return false
	}
	pass := g.pass
	switch x := ast.Unparen(ch).(type) {
	case *ast.CallExpr:
		fn := callee(pass.TypesInfo, x)
		if fn == nil {
			return false
		}
		return fn.Name() == "Done" || isFunc(fn, "time", "After") || isFunc(fn, "time", "Tick") ||
			isMethod(fn, "net/http", "CloseNotifier", "CloseNotify") // the request's end, before Request.Context
	case *ast.SelectorExpr:
		if x.Sel.Name == "C" {
			t := pass.TypesInfo.TypeOf(x.X)
			if isNamed(t, "time", "Timer") || isNamed(t, "time", "Ticker") {
				return true
			}
		}
	}
	obj := g.ix.object(ch)
	if obj == nil {
		return false
	}
	if g.closed[obj] {
		return true
	}
	if as := g.ix.assigns[obj]; len(as) == 1 && as[0].Index < 0 && !g.ix.isParam(obj) {
		return g.isDepth(as[0].Value, depth+1)
	}
	return false
}

// inGuardedSelect reports whether op is the communication of a select case
// whose select has a default or a case on a guard channel.
func inGuardedSelect(g guards, op ast.Node, stack []ast.Node) bool {
	for i := len(stack) - 2; i >= 1; i-- {
		cc, ok := stack[i].(*ast.CommClause)
		if !ok {
			continue
		}
		if cc.Comm == nil || !(cc.Comm.Pos() <= op.Pos() && op.End() <= cc.Comm.End()) {
			return false // in a case's body, not its communication
		}
		body, ok := stack[i-1].(*ast.BlockStmt)
		if !ok {
			return false
		}
		for _, s := range body.List {
			c := s.(*ast.CommClause)
			if c.Comm == nil {
				return true // default
			}
			guarded := false
			ast.Inspect(c.Comm, func(n ast.Node) bool {
				if u, ok := n.(*ast.UnaryExpr); ok && u.Op == token.ARROW && g.is(u.X) {
					guarded = true
				}
				return !guarded
			})
			if guarded {
				return true
			}
		}
		return false
	}
	return false
}

// closedSignals returns the struct{} channels the package closes anywhere
// (close(s.closing)): closing them is how it signals shutdown, so a wait
// on one is released by that close.
func closedSignals(pass *analysis.Pass, ix *index, ins *inspector.Inspector) map[types.Object]bool {
	out := map[types.Object]bool{}
	ins.Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		c := n.(*ast.CallExpr)
		id, ok := ast.Unparen(c.Fun).(*ast.Ident)
		if !ok || id.Name != "close" || len(c.Args) != 1 {
			return
		}
		if _, builtin := pass.TypesInfo.Uses[id].(*types.Builtin); !builtin {
			return
		}
		t, ok := pass.TypesInfo.TypeOf(c.Args[0]).Underlying().(*types.Chan)
		if !ok {
			return
		}
		if st, ok := t.Elem().Underlying().(*types.Struct); !ok || st.NumFields() != 0 {
			return
		}
		if obj := ix.object(c.Args[0]); obj != nil {
			out[obj] = true
		}
	})
	return out
}

// enclosingDecl returns the function declaration the innermost node of
// stack is in (nil inside function literals, which see their enclosing
// function's context through the scope).
func enclosingDecl(pass *analysis.Pass, stack []ast.Node) *types.Func {
	for i := len(stack) - 1; i >= 0; i-- {
		switch f := stack[i].(type) {
		case *ast.FuncLit:
			return nil
		case *ast.FuncDecl:
			fn, _ := pass.TypesInfo.Defs[f.Name].(*types.Func)
			return fn
		}
	}
	return nil
}

// spawnedByCtx returns the package's functions started with a go
// statement from a place where a context is in scope: go s.price(id, ch)
// in a handler.
func spawnedByCtx(pass *analysis.Pass, ix *index, ins *inspector.Inspector) map[*types.Func]bool {
	out := map[*types.Func]bool{}
	ins.Preorder([]ast.Node{(*ast.GoStmt)(nil)}, func(n ast.Node) {
		g := n.(*ast.GoStmt)
		fn := callee(pass.TypesInfo, g.Call)
		if fn == nil || fn.Pkg() != pass.Pkg || ix.ctxInScope(g.Pos()) == "" {
			return
		}
		out[fn] = true
	})
	return out
}

// producerClosed returns the classes (chanClasses) of the channels some
// function closes whatever way it returns: with defer close(ch), or with a
// close(ch) among its top-level statements that no return precedes (a
// producer that closes after its loop). Their receivers are released when
// the producer is done, whichever name it gives the channel.
func producerClosed(pass *analysis.Pass, ix *index, ins *inspector.Inspector, cls chanClasses) map[types.Object]bool {
	out := map[types.Object]bool{}
	closeOf := func(n ast.Node) ast.Expr {
		c, ok := n.(*ast.CallExpr)
		if !ok || len(c.Args) != 1 {
			return nil
		}
		if id, ok := ast.Unparen(c.Fun).(*ast.Ident); ok && id.Name == "close" {
			if _, builtin := pass.TypesInfo.Uses[id].(*types.Builtin); builtin {
				return c.Args[0]
			}
		}
		return nil
	}
	mark := func(e ast.Expr) {
		if k := cls.of(ix, e); k != nil {
			out[k] = true
		}
	}
	ins.Preorder([]ast.Node{(*ast.DeferStmt)(nil), (*ast.FuncDecl)(nil), (*ast.FuncLit)(nil)}, func(n ast.Node) {
		var body *ast.BlockStmt
		switch n := n.(type) {
		case *ast.DeferStmt:
			ast.Inspect(n, func(m ast.Node) bool {
				if e := closeOf(m); e != nil {
					mark(e)
				}
				return true
			})
			return
		case *ast.FuncDecl:
			body = n.Body
		case *ast.FuncLit:
			body = n.Body
		}
		if body == nil {
			return
		}
		for _, st := range body.List {
			if es, ok := st.(*ast.ExprStmt); ok {
				if e := closeOf(es.X); e != nil {
					mark(e)
					continue
				}
			}
			if returns(st) {
				return
			}
		}
	})
	return out
}

// returns reports whether a statement may leave its function: a return
// or a panic outside the function literals it holds.
func returns(st ast.Stmt) bool {
	found := false
	ast.Inspect(st, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			found = true
		case *ast.CallExpr:
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && id.Name == "panic" {
				found = true
			}
		}
		return !found
	})
	return found
}

// foreverReceivers returns the classes (chanClasses) of the channels some
// loop of the package receives from for the life of its owner: a for {}
// or for range loop that never leaves (no return, labelled break or goto,
// or panic in its body: a hub's run loop), or leaves only in a select case
// that receives a stop signal (case <-s.done: return). A send on such a
// channel waits only while the loop is busy, or once its owner has shut
// down, never for a receiver that gave up on a deadline. A channel some
// function returns is left out: its other receivers are out of sight.
func foreverReceivers(pass *analysis.Pass, ix *index, ins *inspector.Inspector, cls chanClasses, closed map[types.Object]bool) map[types.Object]bool {
	out := map[types.Object]bool{}
	mark := func(body *ast.BlockStmt, extra ast.Expr) {
		leaves := false
		var recvs []ast.Expr
		if extra != nil {
			recvs = append(recvs, extra)
		}
		// nested counts the statements between n and the loop that an
		// unlabelled break would leave instead of the loop.
		var walk func(n ast.Node, nested int)
		walk = func(n ast.Node, nested int) {
			ast.Inspect(n, func(m ast.Node) bool {
				if m == nil || leaves {
					return false
				}
				switch m := m.(type) {
				case *ast.FuncLit:
					return false
				case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
					if m != n {
						for _, c := range childNodes(m) {
							walk(c, nested+1)
						}
						return false
					}
				case *ast.CommClause:
					if ch := received(m.Comm); ch != nil && isStopSignal(pass, ix, closed, ch) {
						return false // leaving on shutdown
					}
				case *ast.ReturnStmt:
					leaves = true
				case *ast.BranchStmt:
					if m.Tok == token.GOTO || m.Tok == token.BREAK && (m.Label != nil || nested == 0) {
						leaves = true
					}
				case *ast.CallExpr:
					if id, ok := ast.Unparen(m.Fun).(*ast.Ident); ok && id.Name == "panic" {
						leaves = true
					}
				case *ast.UnaryExpr:
					if m.Op == token.ARROW {
						recvs = append(recvs, m.X)
					}
				}
				return !leaves
			})
		}
		walk(body, 0)
		if leaves {
			return
		}
		for _, r := range recvs {
			if k := cls.of(ix, r); k != nil && !cls.escapes(k) {
				out[k] = true
			}
		}
	}
	ins.Preorder([]ast.Node{(*ast.ForStmt)(nil), (*ast.RangeStmt)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.ForStmt:
			if n.Cond == nil {
				mark(n.Body, nil)
			}
		case *ast.RangeStmt:
			if isChan(pass.TypesInfo.TypeOf(n.X)) {
				mark(n.Body, n.X)
			}
		}
	})
	return out
}

// received returns the channel a select case's communication receives
// from (<-ch, v := <-ch, v, ok = <-ch), nil for a send or default.
func received(comm ast.Stmt) ast.Expr {
	var e ast.Expr
	switch c := comm.(type) {
	case *ast.ExprStmt:
		e = c.X
	case *ast.AssignStmt:
		if len(c.Rhs) == 1 {
			e = c.Rhs[0]
		}
	}
	if u, ok := ast.Unparen(e).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
		return u.X
	}
	return nil
}

// eventSignal reports whether a received channel is an event another
// type promises: a method's receive-only chan struct{} (msg.Acked(),
// conn.Closed()), which carries no value and is closed when the event
// happens, as ctx.Done() is. Waiting on it waits for that object's life
// cycle, not for a producer that may return without sending.
func eventSignal(pass *analysis.Pass, ch ast.Expr) bool {
	c, ok := ast.Unparen(ch).(*ast.CallExpr)
	if !ok {
		return false
	}
	fn := callee(pass.TypesInfo, c)
	if fn == nil || fn.Signature().Recv() == nil {
		return false
	}
	t, ok := pass.TypesInfo.TypeOf(ch).(*types.Chan)
	if !ok || t.Dir() != types.RecvOnly {
		return false
	}
	st, ok := t.Elem().Underlying().(*types.Struct)
	return ok && st.NumFields() == 0
}

// bufferedByCallers reports whether a channel parameter is given a
// buffered channel (a make with a capacity, as chanCap sees it) by every
// call of its function in the package, whose callers are all in sight.
func bufferedByCallers(pass *analysis.Pass, ix *index, cls chanClasses, ch ast.Expr) bool {
	obj := ix.object(ch)
	if obj == nil || !ix.isParam(obj) {
		return false
	}
	args := cls.args[obj]
	if len(args) == 0 {
		return false
	}
	for _, a := range args {
		if ix.object(a) == obj {
			continue // handed on by the function itself (a recursive round)
		}
		if chanCap(pass, ix, a) != capBuffered {
			return false
		}
	}
	return true
}

// sentInLoop returns the variables and parameters some send inside a
// loop uses (a loop anywhere around it, in its function or an enclosing
// one): their sends may outnumber any buffer.
func sentInLoop(ix *index, ins *inspector.Inspector) map[types.Object]bool {
	out := map[types.Object]bool{}
	ins.WithStack([]ast.Node{(*ast.SendStmt)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		obj := ix.object(n.(*ast.SendStmt).Chan)
		if obj == nil {
			return true
		}
		for _, s := range stack {
			switch s.(type) {
			case *ast.ForStmt, *ast.RangeStmt:
				out[obj] = true
			}
		}
		return true
	})
	return out
}

// childNodes returns the direct children of a loop, switch or select
// statement.
func childNodes(n ast.Node) []ast.Node {
	var out []ast.Node
	ast.Inspect(n, func(m ast.Node) bool {
		if m == n {
			return true
		}
		if m != nil {
			out = append(out, m)
		}
		return false
	})
	return out
}
