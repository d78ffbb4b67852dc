package vet

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// GRPCStream reports gRPC client streams opened on a context with no
// deadline: context.Background(), TODO(), or one derived from them by
// WithCancel or WithValue. gRPC has no default deadline, so RecvMsg on such
// a stream waits as long as the server keeps the HTTP/2 stream open.
// Streams are recognised by what the call returns (a value with RecvMsg,
// SendMsg and CloseSend: grpc.ClientStream and every generated stream
// client), so generated code needs no table.
var GRPCStream = &analysis.Analyzer{
	Name:     "grpcstream",
	Doc:      "report gRPC client streams opened on a context without deadline (grpc-stream-no-deadline)",
	URL:      "https://github.com/ctxhole/ctxhole#ctxhole-vet",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      runGRPCStream,
}

func runGRPCStream(pass *analysis.Pass) (any, error) {
	ix := newIndex(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	ins.Preorder([]ast.Node{(*ast.CallExpr)(nil)}, func(n ast.Node) {
		call := n.(*ast.CallExpr)
		if len(call.Args) == 0 || isTestFile(pass.Fset.File(call.Pos()).Name()) {
			return
		}
		fn := callee(pass.TypesInfo, call)
		if fn == nil || !isContext(pass.TypesInfo.TypeOf(call.Args[0])) {
			return
		}
		res := fn.Signature().Results()
		if res.Len() == 0 || !isClientStream(res.At(0).Type()) {
			return
		}
		k := ix.ctxKind(call.Args[0])
		if k != ctxBackground && k != ctxCancelOnly {
			return
		}
		report(pass, holeGRPCStream, call.Pos(), call.End(), nil,
			"gRPC stream %s opened on %s: RecvMsg waits as long as the server keeps the stream open",
			fn.Name(), k.describe())
	})
	return nil, nil
}

// isClientStream reports whether t has the methods of grpc.ClientStream
// that make it a client stream.
func isClientStream(t types.Type) bool {
	for _, m := range []string{"RecvMsg", "SendMsg", "CloseSend"} {
		obj, _, _ := types.LookupFieldOrMethod(t, true, nil, m)
		if _, ok := obj.(*types.Func); !ok {
			return false
		}
	}
	return true
}
