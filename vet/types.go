package vet

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/types/typeutil"
)

// pkgPath returns a package's import path with any vendor prefix removed,
// so that vendored copies of a library are recognised as the library.
func pkgPath(p *types.Package) string {
	if p == nil {
		return ""
	}
	path := p.Path()
	if i := strings.LastIndex(path, "/vendor/"); i >= 0 {
		path = path[i+len("/vendor/"):]
	}
	return path
}

// isNamed reports whether t (or what t points to) is the named type
// path.name; path may end in "/..." to match any major version directory
// ("github.com/redis/go-redis/..." matches ".../v9").
func isNamed(t types.Type, path, name string) bool {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	n, ok := t.(*types.Named)
	if !ok {
		return false
	}
	o := n.Obj()
	return o.Name() == name && pathMatch(pkgPath(o.Pkg()), path)
}

// pathMatch compares an import path with a pattern that may end in "/..."
// (any path below) or list alternatives separated by "|".
func pathMatch(path, pattern string) bool {
	for _, p := range strings.Split(pattern, "|") {
		if rest, ok := strings.CutSuffix(p, "/..."); ok {
			if path == rest || strings.HasPrefix(path, rest+"/") {
				return true
			}
			continue
		}
		if path == p {
			return true
		}
	}
	return false
}

// isContext reports whether t is context.Context.
func isContext(t types.Type) bool {
	return t != nil && isNamed(t, "context", "Context") && !isPointer(t)
}

func isPointer(t types.Type) bool {
	_, ok := types.Unalias(t).(*types.Pointer)
	return ok
}

// callee returns the function or method a call statically calls, nil for
// calls of function values, conversions and builtins.
func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return fn
}

// isFunc reports whether fn is the package-level function path.name.
func isFunc(fn *types.Func, path, name string) bool {
	if fn == nil || fn.Name() != name || !pathMatch(pkgPath(fn.Pkg()), path) {
		return false
	}
	return fn.Signature().Recv() == nil
}

// isMethod reports whether fn is the method recv.name of a type in path
// (pointer or value receiver, or an interface method of that named type).
func isMethod(fn *types.Func, path, recv, name string) bool {
	if fn == nil || fn.Name() != name {
		return false
	}
	r := fn.Signature().Recv()
	if r == nil {
		return false
	}
	return isNamed(r.Type(), path, recv)
}

// funcName prints fn the way a goroutine dump names it:
// "database/sql.(*DB).Query", "net/http.Get".
func funcName(fn *types.Func) string {
	if fn == nil {
		return ""
	}
	path := ""
	if fn.Pkg() != nil {
		path = fn.Pkg().Path()
	}
	r := fn.Signature().Recv()
	if r == nil {
		return path + "." + fn.Name()
	}
	t := types.Unalias(r.Type())
	star := ""
	if p, ok := t.(*types.Pointer); ok {
		star = "*"
		t = types.Unalias(p.Elem())
	}
	name := "?"
	if n, ok := t.(*types.Named); ok {
		name = n.Obj().Name()
	}
	if star != "" {
		return path + ".(*" + name + ")." + fn.Name()
	}
	return path + "." + name + "." + fn.Name()
}

// FuncName prints the function a call expression calls the way a
// goroutine dump names it, "" when the call is dynamic. Drivers use it to
// compare a diagnostic's call with a runtime finding's frames.
func FuncName(info *types.Info, call *ast.CallExpr) string {
	return funcName(callee(info, call))
}

// isTestFile reports whether the file holding n is a _test.go file; the
// analyzers skip tests, whose servers and clients live for one test.
func isTestFile(name string) bool {
	return strings.HasSuffix(name, "_test.go")
}
