package vet

import (
	"go/ast"
	"go/types"
)

// ctxKind is what the source says about a context's deadline.
type ctxKind int

const (
	// ctxUnknown: a parameter, a field, a call this package cannot see.
	ctxUnknown ctxKind = iota
	// ctxBackground: context.Background() or TODO(), or derived from one
	// by WithValue or WithoutCancel: never cancelled, no deadline.
	ctxBackground
	// ctxCancelOnly: derived from a background context by WithCancel:
	// cancelled only when the code says so, no deadline.
	ctxCancelOnly
	// ctxRequest: an incoming request's context (r.Context()), cancelled
	// when the client goes away, with no deadline of its own.
	ctxRequest
	// ctxDeadline: WithTimeout or WithDeadline.
	ctxDeadline
)

// noDeadline reports whether a context of this kind certainly has no
// deadline.
func (k ctxKind) noDeadline() bool {
	return k == ctxBackground || k == ctxCancelOnly || k == ctxRequest
}

// describe says in a few words what the context is.
func (k ctxKind) describe() string {
	switch k {
	case ctxBackground:
		return "a background context (no deadline, never cancelled)"
	case ctxCancelOnly:
		return "a context derived from Background with no deadline"
	case ctxRequest:
		return "the request's context, which has no deadline"
	case ctxDeadline:
		return "a context with a deadline"
	}
	return "a context of unknown deadline"
}

// ctxKind classifies a context expression by following local variables
// to their single assignment and context constructors to their parent.
func (ix *index) ctxKind(e ast.Expr) ctxKind {
	return ix.ctxKindDepth(e, 0)
}

func (ix *index) ctxKindDepth(e ast.Expr, depth int) ctxKind {
	if depth > 8 || e == nil {
		return ctxUnknown
	}
	info := ix.pass.TypesInfo
	switch e := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		fn := callee(info, e)
		switch {
		case isFunc(fn, "context", "Background"), isFunc(fn, "context", "TODO"):
			return ctxBackground
		case isFunc(fn, "context", "WithTimeout"), isFunc(fn, "context", "WithDeadline"),
			isFunc(fn, "context", "WithTimeoutCause"), isFunc(fn, "context", "WithDeadlineCause"):
			return ctxDeadline
		case isFunc(fn, "context", "WithValue"):
			if len(e.Args) > 0 {
				return ix.ctxKindDepth(e.Args[0], depth+1)
			}
		case isFunc(fn, "context", "WithoutCancel"):
			return ctxBackground
		case isFunc(fn, "context", "WithCancel"), isFunc(fn, "context", "WithCancelCause"):
			if len(e.Args) > 0 {
				switch k := ix.ctxKindDepth(e.Args[0], depth+1); k {
				case ctxBackground:
					return ctxCancelOnly
				default:
					return k
				}
			}
		case isMethod(fn, "net/http", "Request", "Context"):
			return ctxRequest
		}
	case *ast.Ident:
		obj := info.ObjectOf(e)
		v, ok := obj.(*types.Var)
		if !ok || ix.isParam(v) {
			return ctxUnknown
		}
		as := ix.assigns[v]
		if len(as) != 1 {
			return ctxUnknown
		}
		return ix.ctxKindDepth(as[0].Value, depth+1)
	}
	return ctxUnknown
}
