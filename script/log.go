package script

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Levels of the Lua log functions that slog does not define. The MonaServer
// order is FATAL CRITIC ERROR WARN NOTE INFO DEBUG TRACE.
const (
	LevelTrace = slog.Level(-8)
	LevelNote  = slog.Level(2)
)

var luaLogLevels = []struct {
	name  string
	level slog.Level
}{
	{"ERROR", slog.LevelError},
	{"WARN", slog.LevelWarn},
	{"NOTE", LevelNote},
	{"INFO", slog.LevelInfo},
	{"DEBUG", slog.LevelDebug},
	{"TRACE", LevelTrace},
}

// openLog registers ERROR, WARN, NOTE, INFO, DEBUG, TRACE and print.
func (h *Host) openLog() {
	for _, l := range luaLogLevels {
		level := l.level
		h.global.RawSetString(l.name, h.L.NewFunction(func(L *lua.LState) int {
			h.luaLog(L, level, "")
			return 0
		}))
	}
	// print goes to the log (INFO) rather than stdout: a server has no
	// console worth writing to. Arguments are tab-separated as in Lua.
	h.global.RawSetString("print", h.L.NewFunction(func(L *lua.LState) int {
		h.luaLog(L, slog.LevelInfo, "\t")
		return 0
	}))
}

// luaLog concatenates the arguments (tostring, honouring __tostring) and
// logs them with the calling Lua position and application.
func (h *Host) luaLog(L *lua.LState, level slog.Level, sep string) {
	ctx := context.Background()
	if !h.log.Enabled(ctx, level) {
		return
	}
	var b strings.Builder
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			b.WriteString(sep)
		}
		b.WriteString(L.ToStringMeta(L.Get(i)).String())
	}
	attrs := make([]any, 0, 4)
	if pos, a := h.callerPosition(L, 1); pos != "" {
		attrs = append(attrs, "lua", pos)
		if a != nil {
			attrs = append(attrs, "app", appLabel(a.path))
		}
	}
	h.log.Log(ctx, level, b.String(), attrs...)
}

// callerPosition returns "file:line" of the Lua function level frames above
// the running Go function, and the application whose environment it runs in.
func (h *Host) callerPosition(L *lua.LState, level int) (string, *app) {
	for ; level < 8; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return "", nil
		}
		fn, err := L.GetInfo("Slf", dbg, lua.LNil)
		if err != nil {
			return "", nil
		}
		if dbg.What == "G" || dbg.CurrentLine < 0 {
			continue
		}
		var a *app
		if f, ok := fn.(*lua.LFunction); ok && f.Env != nil {
			a = h.appOfEnv(f.Env)
		}
		return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine), a
	}
	return "", nil
}
