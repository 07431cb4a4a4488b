package script

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// pcall calls fn(args...) protected and under the event budget, leaving nret
// results (all of them when nret is lua.MultRet) on the stack. It returns
// how many values were left. Nested calls (Lua → Go → Lua) share the budget
// of the outermost call.
func (h *Host) pcall(a *app, event string, fn lua.LValue, nret int, args ...lua.LValue) (int, error) {
	L := h.L
	top := L.GetTop()
	L.Push(fn)
	for _, arg := range args {
		L.Push(arg)
	}
	h.budget.enter()
	err := L.PCall(len(args), nret, nil)
	interrupted := h.budget.leave()
	if err != nil {
		L.SetTop(top)
		return 0, h.luaError(a, event, err, interrupted)
	}
	return L.GetTop() - top, nil
}

// call is pcall returning the results as a slice and cleaning the stack.
func (h *Host) call(a *app, event string, fn lua.LValue, args ...lua.LValue) ([]lua.LValue, error) {
	n, err := h.pcall(a, event, fn, lua.MultRet, args...)
	if err != nil || n == 0 {
		return nil, err
	}
	L := h.L
	rets := make([]lua.LValue, n)
	for i := range n {
		rets[i] = L.Get(-n + i)
	}
	L.Pop(n)
	return rets, nil
}

// call1 calls fn and returns its first result (nil if none).
func (h *Host) call1(a *app, event string, fn lua.LValue, args ...lua.LValue) (lua.LValue, error) {
	n, err := h.pcall(a, event, fn, 1, args...)
	if err != nil {
		return lua.LNil, err
	}
	v := h.L.Get(-1)
	h.L.Pop(n)
	return v, nil
}

// luaError converts a gopher-lua failure into an *Error with position and stack.
func (h *Host) luaError(a *app, event string, err error, interrupted bool) *Error {
	e := &Error{Kind: ErrRuntime, Event: event}
	if a != nil {
		e.App = a.path
	}
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		e.Value = ae.Object
		e.Stack = ae.StackTrace
		if ae.Type == lua.ApiErrorSyntax {
			e.Kind = ErrSyntax
		}
		switch v := ae.Object.(type) {
		case lua.LString:
			e.Text = string(v)
		case lua.LNumber:
			e.Text = v.String()
		case nil:
			e.Text = ae.Error()
		default:
			if ae.Object == lua.LNil {
				e.Text = "nil"
			} else {
				e.Text = "(error object is a " + ae.Object.Type().String() + " value)"
			}
		}
	} else {
		e.Text = err.Error()
	}
	if interrupted {
		e.Kind = ErrBudgetExceeded
	}
	if f, l, _, ok := splitPosition(e.Text); ok {
		e.File, e.Line = f, l
	} else {
		e.File, e.Line = firstLuaFrame(e.Stack)
	}
	return e
}

// firstLuaFrame finds the innermost "file:line:" entry of a gopher-lua traceback.
func firstLuaFrame(stack string) (string, int) {
	for _, ln := range strings.Split(stack, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" || strings.HasPrefix(ln, "stack traceback") || strings.HasPrefix(ln, "[G]") {
			continue
		}
		if f, l, _, ok := splitPosition(ln); ok {
			return f, l
		}
	}
	return "", 0
}

// report logs a script error: app path, event, file:line, message and stack.
func (h *Host) report(err error) {
	var e *Error
	if !errors.As(err, &e) {
		h.log.Error("script: error", "err", err)
		return
	}
	attrs := []any{"app", appLabel(e.App), "event", e.Event}
	if pos := e.Position(); pos != "" {
		attrs = append(attrs, "at", pos)
	}
	if e.Stack != "" {
		attrs = append(attrs, "stack", e.Stack)
	}
	msg := "script error: " + e.Text
	if errors.Is(e, ErrBudgetExceeded) {
		msg = "script interrupted (budget exceeded): " + e.Text
	}
	h.log.Log(context.Background(), slog.LevelError, msg, attrs...)
}

func appLabel(path string) string {
	if path == "" {
		return "/"
	}
	return path
}
