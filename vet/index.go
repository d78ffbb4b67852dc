package vet

import (
	"go/ast"
	"go/token"
	"go/types"
	"sort"

	"golang.org/x/tools/go/analysis"
)

// assignment is one value stored into a variable or field: Index is the
// result index when one call's results are spread over several variables
// (ctx, cancel := context.WithTimeout(...)), -1 otherwise.
type assignment struct {
	Value ast.Expr
	Index int
}

// index is what the analyzers learn about one package's source before
// they look at calls: every value stored into each variable and field, the
// fields and variables whose Timeout is set by assignment, and the
// package-level functions by object.
type index struct {
	pass *analysis.Pass
	// assigns maps a variable or struct field to the values stored in it
	// in this package (declarations, assignments, keyed composite
	// literal elements).
	assigns map[types.Object][]assignment
	// fieldSet records objects that have a field assigned after creation
	// (c.Timeout = 5*time.Second), by field name.
	fieldSet map[types.Object]map[string]bool
	// decls maps the package's functions and methods to their declarations.
	decls map[*types.Func]*ast.FuncDecl
	// params holds the parameters and named results of every function.
	params map[types.Object]bool
}

// newIndex walks the package once.
func newIndex(pass *analysis.Pass) *index {
	ix := &index{
		pass:     pass,
		assigns:  map[types.Object][]assignment{},
		fieldSet: map[types.Object]map[string]bool{},
		decls:    map[*types.Func]*ast.FuncDecl{},
		params:   map[types.Object]bool{},
	}
	info := pass.TypesInfo
	record := func(lhs ast.Expr, rhs ast.Expr, idx int) {
		switch l := ast.Unparen(lhs).(type) {
		case *ast.Ident:
			if obj := info.ObjectOf(l); obj != nil {
				ix.assigns[obj] = append(ix.assigns[obj], assignment{rhs, idx})
			}
		case *ast.SelectorExpr:
			if obj := info.ObjectOf(l.Sel); obj != nil {
				ix.assigns[obj] = append(ix.assigns[obj], assignment{rhs, idx})
			}
			if base := ix.object(l.X); base != nil {
				if ix.fieldSet[base] == nil {
					ix.fieldSet[base] = map[string]bool{}
				}
				ix.fieldSet[base][l.Sel.Name] = true
			}
		}
	}
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncType:
				for _, fl := range []*ast.FieldList{n.Params, n.Results} {
					if fl == nil {
						continue
					}
					for _, f := range fl.List {
						for _, name := range f.Names {
							if obj := info.Defs[name]; obj != nil {
								ix.params[obj] = true
							}
						}
					}
				}
			case *ast.FuncDecl:
				if fn, ok := info.Defs[n.Name].(*types.Func); ok {
					ix.decls[fn] = n
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i := range n.Lhs {
						record(n.Lhs[i], n.Rhs[i], -1)
					}
				} else if len(n.Rhs) == 1 {
					for i := range n.Lhs {
						record(n.Lhs[i], n.Rhs[0], i)
					}
				}
			case *ast.ValueSpec:
				if len(n.Names) == len(n.Values) {
					for i := range n.Names {
						record(n.Names[i], n.Values[i], -1)
					}
				} else if len(n.Values) == 1 {
					for i := range n.Names {
						record(n.Names[i], n.Values[0], i)
					}
				}
			case *ast.CompositeLit:
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							if fld, ok := info.Uses[id].(*types.Var); ok && fld.IsField() {
								ix.assigns[fld] = append(ix.assigns[fld], assignment{kv.Value, -1})
							}
						}
					}
				}
			}
			return true
		})
	}
	return ix
}

// object returns the variable or field an expression names (x, s.f,
// (x)), nil for anything else.
func (ix *index) object(e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := ix.pass.TypesInfo.ObjectOf(e).(*types.Var); ok {
			return v
		}
	case *ast.SelectorExpr:
		if v, ok := ix.pass.TypesInfo.ObjectOf(e.Sel).(*types.Var); ok {
			return v
		}
	case *ast.StarExpr:
		return ix.object(e.X)
	}
	return nil
}

// isParam reports whether v is a parameter or named result of a function
// of this package (its values come from callers this package may not see).
func (ix *index) isParam(v types.Object) bool { return ix.params[v] }

// inScope returns the variables visible at pos (innermost scope first, in
// declaration order within a scope) for which keep says yes; package-level
// variables are excluded.
func (ix *index) inScope(pos token.Pos, keep func(*types.Var) bool) []*types.Var {
	var out []*types.Var
	s := ix.pass.Pkg.Scope().Innermost(pos)
	for ; s != nil && s != ix.pass.Pkg.Scope() && s != types.Universe; s = s.Parent() {
		var here []*types.Var
		for _, name := range s.Names() {
			v, ok := s.Lookup(name).(*types.Var)
			if !ok || name == "_" || v.Pos() >= pos || !keep(v) {
				continue
			}
			here = append(here, v)
		}
		sort.Slice(here, func(i, j int) bool { return here[i].Pos() > here[j].Pos() })
		out = append(out, here...)
	}
	return out
}

// ctxInScope returns the expression for the context a call at pos should
// pass, "" when the enclosing functions have none: the latest context
// variable in scope (ctx), else the context of an *http.Request in scope
// (r.Context()).
func (ix *index) ctxInScope(pos token.Pos) string {
	if vs := ix.inScope(pos, func(v *types.Var) bool { return isContext(v.Type()) }); len(vs) > 0 {
		return vs[0].Name()
	}
	if vs := ix.inScope(pos, func(v *types.Var) bool {
		return isPointer(v.Type()) && isNamed(v.Type(), "net/http", "Request")
	}); len(vs) > 0 {
		return vs[0].Name() + ".Context()"
	}
	return ""
}

// ctxKindInScope classifies the context ctxInScope would pass: ctxUnknown
// when none, or when it is a parameter.
func (ix *index) ctxKindInScope(pos token.Pos) ctxKind {
	vs := ix.inScope(pos, func(v *types.Var) bool { return isContext(v.Type()) })
	if len(vs) == 0 || ix.isParam(vs[0]) {
		return ctxUnknown
	}
	as := ix.assigns[vs[0]]
	if len(as) != 1 {
		return ctxUnknown
	}
	return ix.ctxKind(as[0].Value)
}
