package script

import (
	"strconv"

	"github.com/yuin/gopher-lua/ast"
)

// avoidInPlaceCalls works around two gopher-lua compiler bugs in
// assignments, which LuaJIT does not have:
//
//   - a call assigned to a function's last parameter is compiled in place:
//     the function value is loaded into the parameter's register and the
//     arguments into the registers after it, which hold the function's
//     locals. So `function f(s) local n = 1; s = (s:gsub("a", "b")) end`
//     reads the function instead of s, overwrites n, or crashes the VM (nil
//     dereference). Parentheses around the call (the common idiom to drop
//     gsub's count) or a call that is not the last value trigger it;
//   - a multiple assignment to a name and a table field, whose values are
//     locals, stores the wrong value in the name (`x, t.k = a, b` sets x
//     to "k").
//
// Such an assignment is rewritten as
//
//	do
//	  local <o1>, <k1>, ..., <v1>, ..., <vn> = <table1>, <key1>, ..., <values>
//	  <target n> = <vn>; ...; <target 1> = <v1>
//	end
//
// which evaluates the table and key of each field target, then the values,
// and then assigns from right to left, as Lua does; every single
// assignment from a fresh local compiles correctly. The temporaries' names
// are not identifiers: no script can refer to them.
func avoidInPlaceCalls(stmts []ast.Stmt) {
	for i, st := range stmts {
		fixStmt(st)
		if as, ok := st.(*ast.AssignStmt); ok && miscompiled(as) {
			stmts[i] = spillAssign(as)
		}
	}
}

// miscompiled reports whether gopher-lua may compile the assignment wrong.
func miscompiled(as *ast.AssignStmt) bool {
	names, fields := 0, 0
	for i, target := range as.Lhs {
		switch target.(type) {
		case *ast.IdentExpr:
			names++
			if i >= len(as.Rhs) {
				continue
			}
			// A call compiled for exactly one result into a name (the
			// last value, unadjusted, gets fresh registers).
			call, ok := as.Rhs[i].(*ast.FuncCallExpr)
			if ok && (call.AdjustRet || i < len(as.Rhs)-1) {
				return true
			}
		case *ast.AttrGetExpr:
			fields++
		}
	}
	return names > 0 && fields > 0
}

func spillAssign(as *ast.AssignStmt) ast.Stmt {
	line, lastLine := as.Line(), as.LastLine()
	n := 0
	temp := func() *ast.IdentExpr {
		n++
		id := &ast.IdentExpr{Value: "(assign " + strconv.Itoa(n) + ")"}
		id.SetLine(line)
		id.SetLastLine(lastLine)
		return id
	}
	local := &ast.LocalAssignStmt{}
	bind := func(e ast.Expr) *ast.IdentExpr {
		id := temp()
		local.Names = append(local.Names, id.Value)
		local.Exprs = append(local.Exprs, e)
		return id
	}
	targets := make([]ast.Expr, len(as.Lhs))
	for i, target := range as.Lhs {
		field, ok := target.(*ast.AttrGetExpr)
		if !ok {
			targets[i] = target
			continue
		}
		t := &ast.AttrGetExpr{Object: bind(field.Object), Key: field.Key}
		switch field.Key.(type) {
		case *ast.StringExpr, *ast.NumberExpr:
		default:
			t.Key = bind(field.Key)
		}
		t.SetLine(field.Line())
		t.SetLastLine(field.LastLine())
		targets[i] = t
	}
	values := make([]*ast.IdentExpr, len(as.Lhs))
	for i := range values {
		values[i] = temp()
		local.Names = append(local.Names, values[i].Value)
	}
	local.Exprs = append(local.Exprs, as.Rhs...)
	local.SetLine(line)
	local.SetLastLine(lastLine)
	block := &ast.DoBlockStmt{Stmts: []ast.Stmt{local}}
	for i := len(targets) - 1; i >= 0; i-- {
		assign := &ast.AssignStmt{Lhs: []ast.Expr{targets[i]}, Rhs: []ast.Expr{values[i]}}
		assign.SetLine(line)
		assign.SetLastLine(lastLine)
		block.Stmts = append(block.Stmts, assign)
	}
	block.SetLine(line)
	block.SetLastLine(lastLine)
	return block
}

// fixStmt applies avoidInPlaceCalls to the blocks and function bodies
// inside st.
func fixStmt(st ast.Stmt) {
	switch s := st.(type) {
	case *ast.AssignStmt:
		fixExprs(s.Lhs)
		fixExprs(s.Rhs)
	case *ast.LocalAssignStmt:
		fixExprs(s.Exprs)
	case *ast.FuncCallStmt:
		fixExpr(s.Expr)
	case *ast.DoBlockStmt:
		avoidInPlaceCalls(s.Stmts)
	case *ast.WhileStmt:
		fixExpr(s.Condition)
		avoidInPlaceCalls(s.Stmts)
	case *ast.RepeatStmt:
		fixExpr(s.Condition)
		avoidInPlaceCalls(s.Stmts)
	case *ast.IfStmt:
		fixExpr(s.Condition)
		avoidInPlaceCalls(s.Then)
		avoidInPlaceCalls(s.Else)
	case *ast.NumberForStmt:
		fixExpr(s.Init)
		fixExpr(s.Limit)
		fixExpr(s.Step)
		avoidInPlaceCalls(s.Stmts)
	case *ast.GenericForStmt:
		fixExprs(s.Exprs)
		avoidInPlaceCalls(s.Stmts)
	case *ast.FuncDefStmt:
		if s.Name != nil {
			fixExpr(s.Name.Func)
			fixExpr(s.Name.Receiver)
		}
		fixExpr(s.Func)
	case *ast.ReturnStmt:
		fixExprs(s.Exprs)
	}
}

func fixExprs(es []ast.Expr) {
	for _, e := range es {
		fixExpr(e)
	}
}

// fixExpr reaches the function bodies nested in an expression.
func fixExpr(e ast.Expr) {
	switch x := e.(type) {
	case *ast.FunctionExpr:
		avoidInPlaceCalls(x.Stmts)
	case *ast.AttrGetExpr:
		fixExpr(x.Object)
		fixExpr(x.Key)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			fixExpr(f.Key)
			fixExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		fixExpr(x.Func)
		fixExpr(x.Receiver)
		fixExprs(x.Args)
	case *ast.LogicalOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.RelationalOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.StringConcatOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.ArithmeticOpExpr:
		fixExpr(x.Lhs)
		fixExpr(x.Rhs)
	case *ast.UnaryMinusOpExpr:
		fixExpr(x.Expr)
	case *ast.UnaryNotOpExpr:
		fixExpr(x.Expr)
	case *ast.UnaryLenOpExpr:
		fixExpr(x.Expr)
	}
}
