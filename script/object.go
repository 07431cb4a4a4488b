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
	fields *lua.LTable
}

func (o *object) base() *object { return o }

// field returns a field the script set on the object (raw, no inheritance:
// MonaServer looks member events up with a raw get).
func (o *object) field(name string) lua.LValue { return o.fields.RawGetString(name) }

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
		if v := o.base().fields.RawGet(key); v != lua.LNil {
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
		o.base().fields.RawSet(key, v)
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

// wrap creates the userdata of a Go object of this kind.
func (k *objectKind) wrap(L *lua.LState, o luaObject) *lua.LUserData {
	b := o.base()
	b.fields = L.NewTable()
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
