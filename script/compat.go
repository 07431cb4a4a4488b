package script

import (
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// openLibs opens the standard libraries and applies the compatibility layer
// that makes gopher-lua (Lua 5.1) behave like MonaServer's LuaJIT in 5.2
// compatibility mode. See doc.go for what is restricted and why.
func (h *Host) openLibs() error {
	L := h.L
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.IoLibName, lua.OpenIo},
		{lua.OsLibName, lua.OpenOs},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
		{lua.DebugLibName, lua.OpenDebug},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		if err := L.PCall(1, 0, nil); err != nil {
			return fmt.Errorf("script: open %s: %w", lib.name, err)
		}
	}
	g := h.global

	// Iteration that understands collections (hidden item tables) and the
	// Lua 5.2 __pairs/__ipairs metamethods.
	nextFn := L.NewFunction(luaNext)
	g.RawSetString("next", nextFn)
	g.RawSetString("pairs", L.NewClosure(luaPairs, nextFn))
	g.RawSetString("ipairs", L.NewClosure(luaIpairs, L.NewFunction(ipairsStep)))

	// Lua 5.2 names used by MonaServer apps and tests.
	tbl := g.RawGetString("table").(*lua.LTable)
	tbl.RawSetString("unpack", g.RawGetString("unpack"))
	tbl.RawSetString("pack", L.NewFunction(tablePack))

	str := g.RawGetString("string").(*lua.LTable)
	str.RawSetString("format", L.NewFunction(strFormat))

	math_ := g.RawGetString("math").(*lua.LTable)
	math_.RawSetString("huge", lua.LNumber(math.Inf(1)))

	// os.exit would end the whole server without shutting it down.
	os_ := g.RawGetString("os").(*lua.LTable)
	os_.RawSetString("exit", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("os.exit is disabled in server scripts")
		return 0
	}))

	h.openCoroutines()

	bit := openBit(L)
	g.RawSetString("bit", bit)
	if loaded, ok := L.GetField(L.Get(lua.RegistryIndex), "_LOADED").(*lua.LTable); ok {
		loaded.RawSetString("bit", bit)
	}

	h.readonlyFn = L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("this collection is read-only")
		return 0
	})
	h.openLog()
	h.openMona()
	h.registerClient()
	h.registerWriter()
	h.registerPublication()
	h.registerListener()
	h.registerGroup()
	h.registerMember()
	h.openServerObjects()
	return nil
}

// hiddenItems returns the item table of a collection or NoDB table, or nil.
func hiddenItems(v lua.LValue) *lua.LTable {
	t, ok := v.(*lua.LTable)
	if !ok {
		return nil
	}
	mt, ok := t.Metatable.(*lua.LTable)
	if !ok {
		return nil
	}
	items, _ := mt.RawGetString("__items").(*lua.LTable)
	return items
}

func luaNext(L *lua.LState) int {
	tb := L.CheckTable(1)
	if items := hiddenItems(tb); items != nil {
		tb = items
	}
	k, v := tb.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

func luaPairs(L *lua.LState) int { return startIteration(L, "__pairs", lua.LNil) }

func ipairsStep(L *lua.LState) int {
	tb := L.CheckTable(1)
	i := L.CheckInt(2) + 1
	v := tb.RawGetInt(i)
	if v == lua.LNil {
		return 0
	}
	L.Push(lua.LNumber(i))
	L.Push(v)
	return 2
}

func luaIpairs(L *lua.LState) int { return startIteration(L, "__ipairs", lua.LNumber(0)) }

// startIteration is the body of pairs and ipairs: the metamethod meta when
// the value has one, otherwise the step function (upvalue 1) over the table,
// or over a collection's hidden items, from the control value start.
func startIteration(L *lua.LState, meta string, start lua.LValue) int {
	v := L.CheckAny(1)
	if mm := L.GetMetaField(v, meta); mm != lua.LNil {
		L.Push(mm)
		L.Push(v)
		L.Call(1, 3)
		return 3
	}
	tb := L.CheckTable(1)
	if items := hiddenItems(tb); items != nil {
		tb = items
	}
	L.Push(L.Get(lua.UpvalueIndex(1)))
	L.Push(tb)
	L.Push(start)
	return 3
}

func tablePack(L *lua.LState) int {
	n := L.GetTop()
	t := L.CreateTable(n, 1)
	for i := 1; i <= n; i++ {
		t.RawSetInt(i, L.Get(i))
	}
	t.RawSetString("n", lua.LNumber(n))
	L.Push(t)
	return 1
}

// openCoroutines installs the budget on every coroutine thread: gopher-lua
// gives a new thread a child context of the current one, which would either
// never be interrupted or be cancelled forever after the first runaway.
func (h *Host) openCoroutines() {
	L := h.L
	co := h.global.RawGetString("coroutine").(*lua.LTable)
	stockCreate := co.RawGetString("create").(*lua.LFunction).GFunction
	stockResume := co.RawGetString("resume").(*lua.LFunction).GFunction
	create := func(L *lua.LState) int {
		n := stockCreate(L)
		if th, ok := L.Get(-1).(*lua.LState); ok {
			th.SetContext(h.budget)
		}
		return n
	}
	co.RawSetString("create", L.NewFunction(create))
	co.RawSetString("wrap", L.NewFunction(func(L *lua.LState) int {
		L.CheckFunction(1)
		create(L)
		th := L.Get(-1).(*lua.LState)
		L.Push(L.NewFunction(func(L *lua.LState) int {
			L.Insert(th, 1)
			n := stockResume(L)
			if L.Get(L.GetTop()-n+1) == lua.LFalse {
				L.Error(L.Get(L.GetTop()), 0)
			}
			return n - 1
		}))
		return 1
	}))
}
