package script

import (
	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
)

const groupTypeName = "Group"

// luaGroup is an RTMFP NetGroup (reference §4.7). size is a method for
// MonaServer apps (group:size()) and a number for Cumulus apps (group.size).
type luaGroup struct {
	object
	h *Host
	g *core.Group
}

func (h *Host) registerGroup() {
	k := h.newKind(groupTypeName, map[string]lua.LGFunction{
		"ipairs": func(L *lua.LState) int {
			g := h.groupKind.check(L, 1).(*luaGroup)
			t := L.NewTable()
			for _, c := range g.g.Members() {
				if lc, ok := c.Data.(*luaClient); ok {
					t.Append(lc.ud)
				}
			}
			L.Push(h.global.RawGetString("next"))
			L.Push(t)
			return 2
		},
	})
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		g := o.(*luaGroup).g
		switch key {
		case "id", "value":
			return lua.LString(g.ID.String()), true
		case "rawId":
			return lua.LString(g.ID[:]), true
		case "size":
			if _, a := h.callerPosition(L, 1); a != nil && a.flavour == FlavourCumulus {
				return lua.LNumber(g.Size()), true
			}
			return L.NewFunction(func(L *lua.LState) int {
				L.Push(lua.LNumber(g.Size()))
				return 1
			}), true
		case "members":
			coll := h.newCollection("members", func(L *lua.LState) int {
				id, err := core.ParsePeerID(L.CheckString(1))
				if err == nil {
					for _, c := range g.Members() {
						if c.ID == id {
							if lc, ok := c.Data.(*luaClient); ok {
								L.Push(lc.ud)
								return 1
							}
						}
					}
				}
				L.Push(lua.LNil)
				return 1
			})
			for _, c := range g.Members() {
				if lc, ok := c.Data.(*luaClient); ok {
					coll.set(lua.LString(c.HexID()), lc.ud)
				}
			}
			return coll.proxy, true
		}
		return nil, false
	}
	h.groupKind = k
}

func (h *Host) group(L *lua.LState, g *core.Group) *luaGroup {
	if lg, ok := g.Data.(*luaGroup); ok {
		return lg
	}
	lg := &luaGroup{h: h, g: g}
	h.groupKind.wrap(L, lg)
	g.Data = lg
	return lg
}
