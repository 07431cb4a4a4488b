package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"

	"nimbus/script/nodb"
)

// dataTable is one table of the NoDB persistent store as seen by Lua
// (reference §4.12): an empty proxy whose metatable keeps the entries.
//
//   - keys are strings; numbers are converted (data[1] is data["1"]);
//   - numbers are stored as strings (data.n = 10 → data.n == "10"),
//     booleans and strings as they are; after a restart values are
//     re-typed ("10" → 10, "true" → true);
//   - assigning a table creates a persistent sub-table (copied
//     recursively); assigning over an existing sub-table is refused —
//     set it to nil first;
//   - #t and t.count are the number of non-table entries; pairs(t) works.
type dataTable struct {
	h     *Host
	path  []string // keys from the data root
	proxy *lua.LTable
	items *lua.LTable
	prims int
	// persist is false for tables that cannot be stored (an app whose name
	// is taken by a value in its parent's data).
	persist bool
}

func (h *Host) newDataTable(path []string, persist bool) *dataTable {
	L := h.L
	d := &dataTable{h: h, path: path, proxy: L.NewTable(), items: L.NewTable(), persist: persist}
	meta := L.NewTable()
	meta.RawSetString("__index", d.items)
	meta.RawSetString("__items", d.items)
	meta.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		d.assign(L, L.Get(2), L.Get(3))
		return 0
	}))
	meta.RawSetString("__len", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(d.prims))
		return 1
	}))
	meta.RawSetString("__metatable", lua.LString("data"))
	itemsMeta := L.NewTable()
	itemsMeta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		switch k := L.Get(2).(type) {
		case lua.LNumber:
			L.Push(d.items.RawGetString(formatNumber(float64(k))))
			return 1
		case lua.LString:
			if k == "count" {
				L.Push(lua.LNumber(d.prims))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}))
	d.items.Metatable = itemsMeta
	L.SetMetatable(d.proxy, meta)
	h.dataTables[d.proxy] = d
	return d
}

// openData loads the store (if any) into the root data table.
func (h *Host) openData() error {
	h.dataTables = map[*lua.LTable]*dataTable{}
	h.dataRoot = h.newDataTable(nil, true)
	if h.opts.DataDir == "" {
		return nil
	}
	store, root, err := nodb.Open(h.opts.DataDir, h.log)
	if err != nil {
		return err
	}
	h.store = store
	h.dataRoot.fill(root)
	return nil
}

// fill builds the Lua side of a loaded table (values re-typed).
func (d *dataTable) fill(n *nodb.Node) {
	for k, v := range n.Values {
		lv := autoType(v)
		if lv == lua.LNil {
			continue
		}
		d.items.RawSetString(k, lv)
		d.prims++
	}
	for k, c := range n.Children {
		child := d.h.newDataTable(appendPath(d.path, k), d.persist)
		d.items.RawSetString(k, child.proxy)
		child.fill(c)
	}
}

func appendPath(path []string, key string) []string {
	return append(append(make([]string, 0, len(path)+1), path...), key)
}

// openAppData gives app a its data table: root data for the root app,
// data.<a>.<b> (created on demand) for /a/b.
func (h *Host) openAppData(a *app) {
	d := h.dataRoot
	if a.parent != nil {
		parent := h.appData(a.parent)
		d = parent.child(a.name)
	}
	a.layer.RawSetString("data", d.proxy)
}

func (h *Host) appData(a *app) *dataTable {
	if v, ok := a.layer.RawGetString("data").(*lua.LTable); ok {
		if d := h.dataTables[v]; d != nil {
			return d
		}
	}
	return h.dataRoot
}

// child returns the sub-table key, creating an empty one in memory (it
// reaches the disk with its first entry).
func (d *dataTable) child(key string) *dataTable {
	v := d.items.RawGetString(key)
	if t, ok := v.(*lua.LTable); ok {
		if c := d.h.dataTables[t]; c != nil {
			return c
		}
	} else if v != lua.LNil {
		d.h.log.Warn("script: data key is a value, the application's data will not be persisted", "key", key)
		return d.h.newDataTable(appendPath(d.path, key), false)
	}
	c := d.h.newDataTable(appendPath(d.path, key), d.persist)
	d.items.RawSetString(key, c.proxy)
	return c
}

func dataKey(L *lua.LState, k lua.LValue) string {
	switch x := k.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return formatNumber(float64(x))
	}
	L.RaiseError("data keys must be strings or numbers, got %s", k.Type().String())
	return ""
}

// primitive converts an assigned value: numbers become strings.
func primitive(v lua.LValue) (lua.LValue, string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return x, string(x), true
	case lua.LNumber:
		s := formatNumber(float64(x))
		if math.IsNaN(float64(x)) {
			s = "nan"
		}
		return lua.LString(s), s, true
	case lua.LBool:
		if x {
			return x, "true", true
		}
		return x, "false", true
	}
	return nil, "", false
}

func (d *dataTable) assign(L *lua.LState, k, v lua.LValue) {
	key := dataKey(L, k)
	old := d.items.RawGetString(key)
	oldTable, oldIsTable := old.(*lua.LTable)
	switch {
	case v == lua.LNil:
		if old == lua.LNil {
			return
		}
		if oldIsTable {
			d.h.dropDataTable(oldTable)
		} else {
			d.prims--
		}
		d.items.RawSetString(key, lua.LNil)
		if d.persist && d.h.store != nil {
			d.h.store.Delete(d.path, key)
		}
		return
	case oldIsTable:
		pos, _ := d.h.callerPosition(L, 1)
		d.h.log.Error("script: data: cannot assign over the existing sub-table "+key+", set it to nil first", "lua", pos)
		return
	}
	if lv, text, ok := primitive(v); ok {
		if old != lua.LNil && old == lv {
			return // unchanged: nothing to write
		}
		if old == lua.LNil {
			d.prims++
		}
		d.items.RawSetString(key, lv)
		if d.persist && d.h.store != nil {
			d.h.store.Set(d.path, key, text)
		}
		return
	}
	src, ok := v.(*lua.LTable)
	if !ok {
		L.RaiseError("data cannot store a %s value", v.Type().String())
	}
	if old != lua.LNil {
		d.prims--
	}
	child := d.h.newDataTable(appendPath(d.path, key), d.persist)
	tree := nodb.NewNode()
	child.copyFrom(L, src, tree, map[*lua.LTable]bool{})
	d.items.RawSetString(key, child.proxy)
	if d.persist && d.h.store != nil {
		d.h.store.SetTable(d.path, key, tree)
	}
}

// copyFrom fills a new sub-table from a Lua table (or another data table),
// recording the same content in tree for the store.
func (d *dataTable) copyFrom(L *lua.LState, src *lua.LTable, tree *nodb.Node, visiting map[*lua.LTable]bool) {
	if visiting[src] {
		L.RaiseError("data cannot store a cyclic table")
	}
	visiting[src] = true
	defer delete(visiting, src)
	if other := d.h.dataTables[src]; other != nil {
		src = other.items
	}
	src.ForEach(func(k, v lua.LValue) {
		key := dataKey(L, k)
		if lv, text, ok := primitive(v); ok {
			d.items.RawSetString(key, lv)
			d.prims++
			tree.Values[key] = text
			return
		}
		sub, ok := v.(*lua.LTable)
		if !ok {
			return // functions and userdata are not stored
		}
		child := d.h.newDataTable(appendPath(d.path, key), d.persist)
		node := nodb.NewNode()
		child.copyFrom(L, sub, node, visiting)
		d.items.RawSetString(key, child.proxy)
		tree.Children[key] = node
	})
}

// dropDataTable forgets a removed sub-table and its descendants.
func (h *Host) dropDataTable(proxy *lua.LTable) {
	d := h.dataTables[proxy]
	if d == nil {
		return
	}
	delete(h.dataTables, proxy)
	d.items.ForEach(func(_, v lua.LValue) {
		if t, ok := v.(*lua.LTable); ok {
			h.dropDataTable(t)
		}
	})
}

// SyncData waits until every NoDB write made so far is on disk. Safe from
// any goroutine.
func (h *Host) SyncData() error {
	if h.store == nil {
		return nil
	}
	return h.store.Sync()
}
