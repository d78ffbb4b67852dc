package vet

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/inspector"
)

// chanClasses groups the variables, fields and parameters of a package
// that hold the same channel: one stored into another (s.out = out, a
// keyed composite literal element Object{resCh: resCh}) or passed as an
// argument to a parameter of a function of the package (go s.run(ch),
// newObject(reqCh, resCh), func(ch chan T) {...}(ch)). A field stands for
// the channel of every value of its struct. The channel's sender and its
// receiver usually name it differently (a processor's syncRequestCh is a
// syncer's requestsCh); the classes let the rules about who receives
// follow it.
type chanClasses struct {
	parent map[types.Object]types.Object
	// args maps a channel parameter of a function of the package to the
	// arguments of its calls; a parameter of a function also used as a
	// value (a callback, a method value) has unseen callers and no entry.
	args map[types.Object][]ast.Expr
	// returned holds the variables and fields that some function returns:
	// their channel leaves the package's sight, to receivers it cannot
	// see.
	returned map[types.Object]bool
}

// escapes reports whether some member of class k is returned by a
// function: a caller this package does not see may receive from it, or
// stop receiving.
func (c chanClasses) escapes(k types.Object) bool {
	for obj := range c.returned {
		if c.find(obj) == k {
			return true
		}
	}
	return false
}

// find returns the representative of obj's class (obj itself when it was
// never joined to another).
func (c chanClasses) find(obj types.Object) types.Object {
	for {
		p, ok := c.parent[obj]
		if !ok || p == obj {
			return obj
		}
		if gp, ok := c.parent[p]; ok {
			c.parent[obj] = gp // path halving
		}
		obj = p
	}
}

func (c chanClasses) union(a, b types.Object) {
	ra, rb := c.find(a), c.find(b)
	if ra != rb {
		c.parent[ra] = rb
	}
}

// of returns the class of a channel expression, nil when it names no
// variable or field.
func (c chanClasses) of(ix *index, e ast.Expr) types.Object {
	if obj := ix.object(e); obj != nil {
		return c.find(obj)
	}
	return nil
}

func isChan(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Chan)
	return ok
}

func newChanClasses(pass *analysis.Pass, ix *index, ins *inspector.Inspector) chanClasses {
	c := chanClasses{parent: map[types.Object]types.Object{}, returned: map[types.Object]bool{}, args: map[types.Object][]ast.Expr{}}
	called := map[*ast.Ident]bool{} // function names in call position
	paramsOf := map[types.Object]*types.Func{}
	ins.Preorder([]ast.Node{(*ast.ReturnStmt)(nil)}, func(n ast.Node) {
		for _, r := range n.(*ast.ReturnStmt).Results {
			if obj := ix.object(r); obj != nil && isChan(obj.Type()) {
				c.returned[obj] = true
			}
		}
	})
	for obj, as := range ix.assigns {
		if !isChan(obj.Type()) {
			continue
		}
		for _, a := range as {
			if a.Index >= 0 {
				continue
			}
			if src := ix.object(a.Value); src != nil && isChan(src.Type()) {
				c.union(obj, src)
			}
		}
	}
	params := func(ft *ast.FuncType) []types.Object {
		var out []types.Object
		for _, f := range ft.Params.List {
			if len(f.Names) == 0 {
				out = append(out, nil)
			}
			for _, name := range f.Names {
				out = append(out, pass.TypesInfo.Defs[name])
			}
		}
		return out
	}
	ins.Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		var ps []types.Object
		var fn *types.Func
		if lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
			ps = params(lit.Type)
		} else if fn = callee(pass.TypesInfo, call); fn != nil {
			if d := ix.decls[fn]; d != nil {
				ps = params(d.Type)
			}
			switch f := ast.Unparen(call.Fun).(type) {
			case *ast.Ident:
				called[f] = true
			case *ast.SelectorExpr:
				called[f.Sel] = true
			}
		}
		variadic := call.Ellipsis.IsValid()
		for i, arg := range call.Args {
			if i >= len(ps) || ps[i] == nil || !isChan(ps[i].Type()) || variadic {
				continue
			}
			c.args[ps[i]] = append(c.args[ps[i]], arg)
			if fn != nil {
				paramsOf[ps[i]] = fn
			}
			if src := ix.object(arg); src != nil && isChan(src.Type()) {
				c.union(ps[i], src)
			}
		}
	})
	// A function used other than by calling it has callers this package
	// does not see.
	escaped := map[*types.Func]bool{}
	for id, obj := range pass.TypesInfo.Uses {
		if fn, ok := obj.(*types.Func); ok && !called[id] {
			escaped[fn] = true
		}
	}
	for p, fn := range paramsOf {
		if escaped[fn] {
			delete(c.args, p)
		}
	}
	return c
}

// answeredRequests returns the sends that answer a request: a send on a
// reply channel inside a loop that takes requests from another channel
// (for req := range reqCh { ... resCh <- res }), where every send of a
// request in the package is followed, in the same block, by a plain
// receive from the reply channel (reqCh <- req; res := <-resCh; or one
// channel both ways: stop <- true; <-stop). The
// requester cannot give up between the two, so the reply always has its
// receiver: the loop serves one reply per request.
func answeredRequests(pass *analysis.Pass, ix *index, ins *inspector.Inspector, cls chanClasses) map[*ast.SendStmt]bool {
	// Sends of requests, by the request channel's class: do they all
	// wait for the reply on that class?
	type sendSite struct {
		block *ast.BlockStmt
		at    int // index of the statement holding the send in block
		pos   token.Pos
	}
	sites := map[types.Object][]sendSite{}
	ins.WithStack([]ast.Node{(*ast.SendStmt)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		k := cls.of(ix, n.(*ast.SendStmt).Chan)
		if k == nil {
			return true
		}
		for i := len(stack) - 2; i >= 0; i-- {
			if _, ok := stack[i].(*ast.FuncLit); ok {
				break
			}
			b, ok := stack[i].(*ast.BlockStmt)
			if !ok {
				continue
			}
			if i > 0 {
				if _, ok := stack[i-1].(*ast.SelectStmt); ok {
					continue // a select's body: the statement is the select
				}
			}
			for j, s := range b.List {
				if s == stack[i+1] {
					sites[k] = append(sites[k], sendSite{b, j, n.Pos()})
				}
			}
			break
		}
		return true
	})
	// waitsFor: every request sent outside the serving loop is followed
	// by a plain receive of the reply.
	waitsFor := func(req, reply types.Object, loop ast.Node) bool {
		n := 0
		for _, s := range sites[req] {
			if loop.Pos() <= s.pos && s.pos < loop.End() {
				continue // the loop's own replies (one channel both ways)
			}
			n++
			found := false
			for _, st := range s.block.List[s.at+1:] {
				ast.Inspect(st, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.FuncLit, *ast.SelectStmt:
						return false
					case *ast.UnaryExpr:
						if n.Op == token.ARROW && cls.of(ix, n.X) == reply {
							found = true
						}
					}
					return !found
				})
				if found {
					break
				}
			}
			if !found {
				return false
			}
		}
		return n > 0
	}
	out := map[*ast.SendStmt]bool{}
	serve := func(body *ast.BlockStmt, reqs []types.Object) {
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.UnaryExpr:
				if n.Op == token.ARROW {
					if k := cls.of(ix, n.X); k != nil {
						reqs = append(reqs, k)
					}
				}
			}
			return true
		})
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.SendStmt:
				reply := cls.of(ix, n.Chan)
				if reply == nil {
					return true
				}
				for _, req := range reqs {
					if waitsFor(req, reply, body) {
						out[n] = true
					}
				}
			}
			return true
		})
	}
	ins.Preorder([]ast.Node{(*ast.ForStmt)(nil), (*ast.RangeStmt)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.ForStmt:
			serve(n.Body, nil)
		case *ast.RangeStmt:
			if isChan(pass.TypesInfo.TypeOf(n.X)) {
				if k := cls.of(ix, n.X); k != nil {
					serve(n.Body, []types.Object{k})
					return
				}
			}
			serve(n.Body, nil)
		}
	})
	return out
}

// isStopSignal reports whether a received channel is a shutdown signal: a
// chan struct{} variable or field the package closes (closedSignals) or
// that is never assigned the result of a call (s.done, quit), as opposed
// to a request's ctx.Done(). A loop that leaves only when it fires serves
// its channels for the life of its owner.
func isStopSignal(pass *analysis.Pass, ix *index, closed map[types.Object]bool, e ast.Expr) bool {
	obj := ix.object(e)
	if obj == nil {
		return false
	}
	if closed[obj] {
		return true
	}
	t, ok := obj.Type().Underlying().(*types.Chan)
	if !ok {
		return false
	}
	if st, ok := t.Elem().Underlying().(*types.Struct); !ok || st.NumFields() != 0 {
		return false
	}
	for _, a := range ix.assigns[obj] {
		c, ok := ast.Unparen(a.Value).(*ast.CallExpr)
		if !ok {
			continue // another variable or field
		}
		if id, ok := ast.Unparen(c.Fun).(*ast.Ident); !ok || id.Name != "make" {
			return false // from a call: ctx.Done(), time.After
		}
	}
	return !ix.isParam(obj)
}

// spawnerReceives returns the sends of a goroutine started as go func()
// {...}() that sends once (no loop around the send in the literal) to a
// channel its spawner then receives from on every path: the statements
// after the go statement reach, before any return, a plain receive from
// it, or a select each of whose cases receives from it (in its
// communication or its body: case <-ctx.Done(): conn.Close(); <-errch).
// The send always finds its receiver.
func spawnerReceives(pass *analysis.Pass, ix *index, ins *inspector.Inspector, cls chanClasses) map[*ast.SendStmt]bool {
	out := map[*ast.SendStmt]bool{}
	ins.WithStack([]ast.Node{(*ast.SendStmt)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		send := n.(*ast.SendStmt)
		k := cls.of(ix, send.Chan)
		if k == nil {
			return true
		}
		for i := len(stack) - 2; i >= 0; i-- {
			switch st := stack[i].(type) {
			case *ast.ForStmt, *ast.RangeStmt:
				return true // may send more than once
			case *ast.FuncLit:
				if i < 2 {
					return true
				}
				call, ok := stack[i-1].(*ast.CallExpr)
				if !ok || call.Fun != st {
					return true
				}
				g, ok := stack[i-2].(*ast.GoStmt)
				if !ok || i < 3 {
					return true
				}
				b, ok := stack[i-3].(*ast.BlockStmt)
				if !ok {
					return true
				}
				for j, s := range b.List {
					if s != g {
						continue
					}
					for _, after := range b.List[j+1:] {
						if alwaysReceives(ix, cls, after, k) {
							out[send] = true
							return true
						}
						if returns(after) {
							return true
						}
					}
				}
				return true
			}
		}
		return true
	})
	return out
}

// alwaysReceives reports whether a statement receives from class k on
// every path through it: a plain receive (<-ch, v := <-ch, for range
// ch), or a select each of whose cases receives from it.
func alwaysReceives(ix *index, cls chanClasses, st ast.Stmt, k types.Object) bool {
	recvOf := func(e ast.Expr) bool {
		u, ok := ast.Unparen(e).(*ast.UnaryExpr)
		return ok && u.Op == token.ARROW && cls.of(ix, u.X) == k
	}
	switch st := st.(type) {
	case *ast.ExprStmt:
		return recvOf(st.X)
	case *ast.AssignStmt:
		return len(st.Rhs) == 1 && recvOf(st.Rhs[0])
	case *ast.RangeStmt:
		return cls.of(ix, st.X) == k
	case *ast.SelectStmt:
		for _, c := range st.Body.List {
			cc := c.(*ast.CommClause)
			if ch := received(cc.Comm); ch != nil && cls.of(ix, ch) == k {
				continue
			}
			ok := false
			for _, b := range cc.Body {
				if alwaysReceives(ix, cls, b, k) {
					ok = true
					break
				}
				if returns(b) {
					break
				}
			}
			if !ok {
				return false
			}
		}
		return len(st.Body.List) > 0
	}
	return false
}
