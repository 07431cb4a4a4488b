package script

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// Lua-visible server objects (client, writer, publication, listener,
// group) are userdata with one metatable per kind. Each object also has a
// table of fields that scripts set themselves (RPC methods and member
// events such as function client:onPublish(...) end, state stored on the
// object). Lookup order of obj.key: the object's own fields, the kind's
// methods, the kind's properties, then the kind's fallback (e.g. client.x
// → client.properties.x).

type luaObject interface {
	base() *object
}

type object struct {
	ud     *lua.LUserData
	fields fieldSet
}

func (o *object) base() *object { return o }

// field returns a field the script set on the object (raw, no inheritance:
// MonaServer looks member events up with a raw get).
func (o *object) field(name string) lua.LValue { return o.fields.get(lua.LString(name)) }

// fieldSet holds the fields a script sets on one object. Objects carry a
// handful at most (RPC methods, a name, a room), and there is one per
// client and writer, so a slice scanned linearly replaces a Lua table
// (gopher-lua preallocates 32 array and 32 hash slots, ~3 KB, per table);
// past fieldMapSize fields it becomes a map. Keys compare with Lua raw
// equality (strings by value, tables by identity).
type fieldSet struct {
	list []fieldEntry
	m    map[lua.LValue]lua.LValue
}

type fieldEntry struct{ key, value lua.LValue }

const fieldMapSize = 16

func (f *fieldSet) get(key lua.LValue) lua.LValue {
	if f.m != nil {
		if v, ok := f.m[key]; ok {
			return v
		}
		return lua.LNil
	}
	for i := range f.list {
		if f.list[i].key == key {
			return f.list[i].value
		}
	}
	return lua.LNil
}

// set stores v under key; nil removes the field.
func (f *fieldSet) set(key, v lua.LValue) {
	if f.m != nil {
		if v == lua.LNil {
			delete(f.m, key)
		} else {
			f.m[key] = v
		}
		return
	}
	for i := range f.list {
		if f.list[i].key == key {
			if v == lua.LNil {
				last := len(f.list) - 1
				f.list[i] = f.list[last]
				f.list[last] = fieldEntry{}
				f.list = f.list[:last]
			} else {
				f.list[i].value = v
			}
			return
		}
	}
	if v == lua.LNil {
		return
	}
	if len(f.list) < fieldMapSize {
		f.list = append(f.list, fieldEntry{key, v})
		return
	}
	f.m = make(map[lua.LValue]lua.LValue, 2*fieldMapSize)
	for _, e := range f.list {
		f.m[e.key] = e.value
	}
	f.m[key] = v
	f.list = nil
}

type objectKind struct {
	name    string
	methods *lua.LTable
	mt      *lua.LTable
	// get returns a property; ok false when key is not one.
	get func(L *lua.LState, o luaObject, key string) (lua.LValue, bool)
	// set handles an assignment to a property; false stores a field.
	set func(L *lua.LState, o luaObject, key string, v lua.LValue) bool
	// fallback is consulted for unknown keys (may be nil).
	fallback func(L *lua.LState, o luaObject, key lua.LValue) lua.LValue
	// onField is told about every field assignment (may be nil).
	onField func(o luaObject, key string, v lua.LValue)
}

func (h *Host) newKind(name string, methods map[string]lua.LGFunction) *objectKind {
	L := h.L
	k := &objectKind{name: name, methods: L.NewTable(), mt: L.NewTable()}
	for n, fn := range methods {
		k.methods.RawSetString(n, L.NewFunction(fn))
	}
	k.mt.RawSetString("__metatable", lua.LString(name))
	k.mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		o := k.check(L, 1)
		key := L.Get(2)
		if v := o.base().fields.get(key); v != lua.LNil {
			L.Push(v)
			return 1
		}
		if s, ok := key.(lua.LString); ok {
			if m := k.methods.RawGetString(string(s)); m != lua.LNil {
				L.Push(m)
				return 1
			}
			if k.get != nil {
				if v, ok := k.get(L, o, string(s)); ok {
					L.Push(v)
					return 1
				}
			}
		}
		if k.fallback != nil {
			L.Push(k.fallback(L, o, key))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	}))
	k.mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		o := k.check(L, 1)
		key, v := L.Get(2), L.Get(3)
		if s, ok := key.(lua.LString); ok {
			if k.set != nil && k.set(L, o, string(s), v) {
				return 0
			}
			if k.onField != nil {
				k.onField(o, string(s), v)
			}
		}
		if !validKey(key) {
			L.RaiseError("table index is nil or NaN")
		}
		o.base().fields.set(key, v)
		return 0
	}))
	k.mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		o := k.check(L, 1)
		if k.get != nil {
			if v, ok := k.get(L, o, "value"); ok && v != lua.LNil {
				L.Push(L.ToStringMeta(v))
				return 1
			}
		}
		L.Push(lua.LString(fmt.Sprintf("%s_%p", name, o)))
		return 1
	}))
	return k
}

// validKey reports whether key may index a table (Lua forbids nil and NaN).
func validKey(key lua.LValue) bool {
	if key == lua.LNil {
		return false
	}
	if n, ok := key.(lua.LNumber); ok && n != n {
		return false
	}
	return true
}

// wrap creates the userdata of a Go object of this kind.
func (k *objectKind) wrap(L *lua.LState, o luaObject) *lua.LUserData {
	b := o.base()
	b.ud = L.NewUserData()
	b.ud.Value = o
	b.ud.Metatable = k.mt
	return b.ud
}

// check returns the object at stack index n, raising an argument error
// when it is not of this kind.
func (k *objectKind) check(L *lua.LState, n int) luaObject {
	ud, ok := L.Get(n).(*lua.LUserData)
	if ok && ud.Metatable == k.mt {
		if o, ok := ud.Value.(luaObject); ok {
			return o
		}
	}
	L.ArgError(n, k.name+" expected")
	return nil
}
