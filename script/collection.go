package script

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// collection is a MonaServer collection (reference §4.0): an empty,
// read-only proxy table whose metatable keeps the items in a hidden table.
// It supports both API flavours at once:
//
//	M1: coll[key], pairs(coll), ipairs(coll), next(coll), #coll, coll(key)
//	CU: coll:pairs(), coll:ipairs(), coll.count, coll(key)
//
// Items win over the CU members when a key is literally "count", "pairs" or
// "ipairs". Go code owns the content (set/del); Lua cannot assign.
type collection struct {
	h       *Host
	proxy   *lua.LTable
	meta    *lua.LTable // metatable of proxy
	items   *lua.LTable
	extras  *lua.LTable // metatable of items: CU members
	count   int
	removed int // deletions since items was last rebuilt
}

// lookupFunc implements coll(key); it receives the arguments after the
// collection and returns the number of pushed results.
type lookupFunc func(L *lua.LState) int

func (h *Host) newCollection(kind string, lookup lookupFunc) *collection {
	L := h.L
	// Sized tables: L.NewTable preallocates 32+32 slots (~3 KB), and a
	// client's properties and parameters are collections.
	c := &collection{h: h, proxy: L.CreateTable(0, 0), meta: L.CreateTable(0, 8)}
	c.meta.RawSetString("__newindex", h.readonlyFn)
	c.meta.RawSetString("__metatable", lua.LString(kind))
	c.meta.RawSetString("__len", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(c.count))
		return 1
	}))
	if lookup != nil {
		c.meta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
			L.Remove(1) // the collection itself
			return lookup(L)
		}))
	} else {
		c.meta.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("%s: use the [] operator rather than a call", kind)
			return 0
		}))
	}
	c.meta.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(kind))
		return 1
	}))
	c.extras = L.CreateTable(0, 1)
	c.extras.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		switch L.Get(2) {
		case lua.LString("count"):
			L.Push(lua.LNumber(c.count))
		case lua.LString("pairs"):
			L.Push(L.NewFunction(func(L *lua.LState) int { return c.snapshotIter(L, false) }))
		case lua.LString("ipairs"):
			L.Push(L.NewFunction(func(L *lua.LState) int { return c.snapshotIter(L, true) }))
		default:
			// Methods a collection adds (servers:broadcast, groups:join).
			if k, ok := L.Get(2).(lua.LString); ok && !strings.HasPrefix(string(k), "__") {
				L.Push(c.extras.RawGet(k))
			} else {
				L.Push(lua.LNil)
			}
		}
		return 1
	}))
	c.setItems(L.CreateTable(0, 0))
	L.SetMetatable(c.proxy, c.meta)
	return c
}

func (c *collection) setItems(items *lua.LTable) {
	c.items = items
	items.Metatable = c.extras
	c.meta.RawSetString("__index", items)
	c.meta.RawSetString("__items", items)
}

// snapshotIter implements CU coll:pairs()/coll:ipairs(): an iterator over a
// copy, so that the collection may change during the loop.
func (c *collection) snapshotIter(L *lua.LState, array bool) int {
	snap := L.CreateTable(0, c.count)
	c.items.ForEach(func(k, v lua.LValue) { snap.RawSet(k, v) })
	if array {
		L.Push(L.GetGlobal("ipairs"))
		L.Push(snap)
		L.Call(1, 3)
		return 3
	}
	L.Push(L.GetGlobal("next"))
	L.Push(snap)
	L.Push(lua.LNil)
	return 3
}

func (c *collection) get(key lua.LValue) lua.LValue { return c.items.RawGet(key) }

func (c *collection) set(key, value lua.LValue) {
	if value == lua.LNil {
		c.del(key)
		return
	}
	if c.items.RawGet(key) == lua.LNil {
		c.count++
	}
	c.items.RawSet(key, value)
}

func (c *collection) del(key lua.LValue) {
	if c.items.RawGet(key) == lua.LNil {
		return
	}
	c.items.RawSet(key, lua.LNil)
	c.count--
	c.removed++
	// gopher-lua never forgets a key of a table's hash part; rebuild the
	// item table once deletions dominate, or churn (clients come and go)
	// would grow it forever.
	if c.removed > 2*c.count+256 {
		c.compact()
	}
}

// reserve sizes an empty collection for n items (gopher-lua would
// otherwise allocate 32 hash slots on the first insertion).
func (c *collection) reserve(n int) {
	if c.count == 0 && n > 0 {
		c.setItems(c.h.L.CreateTable(0, n))
	}
}

func (c *collection) compact() {
	fresh := c.h.L.CreateTable(0, c.count)
	c.items.ForEach(func(k, v lua.LValue) { fresh.RawSet(k, v) })
	c.setItems(fresh)
	c.removed = 0
}

func (c *collection) clear() {
	c.setItems(c.h.L.CreateTable(0, 0))
	c.count, c.removed = 0, 0
}
