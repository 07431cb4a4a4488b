package script

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
	"nimbus/core/amf"
)

const clientTypeName = "Client"

// luaClient is the Lua object of a connected client (reference §4.2).
type luaClient struct {
	object
	h          *Host
	c          *core.Client
	app        *app // the app that accepted it (receives onDisconnection)
	writer     *luaWriter
	properties *collection
	parameters *collection
	writers    []*luaWriter // writers with a possible writer:onManage
	gone       bool
}

func (h *Host) registerClient() {
	k := h.newKind(clientTypeName, nil)
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		return o.(*luaClient).property(L, key)
	}
	k.fallback = func(L *lua.LState, o luaObject, key lua.LValue) lua.LValue {
		// Unknown fields read the client's properties (M1 client.x →
		// client.properties.x; CU: URL query parameter x).
		return o.(*luaClient).props().get(key)
	}
	h.clientKind = k
}

func checkClient(h *Host, L *lua.LState, n int) *luaClient {
	return h.clientKind.check(L, n).(*luaClient)
}

// newClient builds the Lua object of c; it is kept in c.Data.
func (h *Host) newClient(L *lua.LState, c *core.Client, a *app) *luaClient {
	lc := &luaClient{h: h, c: c, app: a}
	h.clientKind.wrap(L, lc)
	lc.writer = h.newWriter(L, lc, c.Writer(), true)
	c.Data = lc
	return lc
}

// props is client.properties, built on first use: most clients never read
// it, and a collection costs a few KB of Lua tables and closures per client.
func (lc *luaClient) props() *collection {
	if lc.properties != nil {
		return lc.properties
	}
	L := lc.h.L
	props := lc.h.newCollection("properties", func(L *lua.LState) int {
		// client.properties(k1, k2, ...) returns the raw string values.
		n := L.GetTop()
		for i := 1; i <= n; i++ {
			v, ok := lc.c.Property(L.CheckString(i))
			if !ok {
				L.Push(lua.LNil)
				continue
			}
			if s, isString := v.(string); isString {
				L.Push(lua.LString(s))
			} else {
				L.Push(newAMFToLua(L, time.Local, nil).value(v))
			}
		}
		return n
	})
	props.reserve(len(lc.c.Properties))
	conv := newAMFToLua(L, lc.h.location(lc.app), nil)
	cumulus := lc.app.flavour == FlavourCumulus
	for _, m := range lc.c.Properties {
		if s, ok := m.Value.(string); ok {
			// MonaServer auto-types parameter strings; Cumulus keeps the
			// URL query values as strings.
			if cumulus {
				props.set(lua.LString(m.Key), lua.LString(s))
			} else {
				props.set(lua.LString(m.Key), autoType(s))
			}
		} else {
			props.set(lua.LString(m.Key), conv.value(m.Value))
		}
	}
	lc.properties = props
	return props
}

// params is client.parameters, built on first use.
func (lc *luaClient) params() *collection {
	if lc.parameters == nil {
		lc.parameters = lc.h.newCollection("parameters", nil)
	}
	return lc.parameters
}

func (lc *luaClient) property(L *lua.LState, key string) (lua.LValue, bool) {
	c := lc.c
	switch key {
	case "id":
		return lua.LString(c.HexID()), true
	case "rawId":
		return lua.LString(c.ID[:]), true
	case "path":
		return lua.LString(c.Path), true
	case "query":
		return lua.LString(c.Query), true
	case "protocol":
		return lua.LString(c.Protocol), true
	case "address":
		return lc.h.newAddress(L, c.Address(), lc.app.flavour), true
	case "ping":
		if lc.gone {
			return lua.LNumber(0), true
		}
		return lua.LNumber(c.Ping().Milliseconds()), true
	case "lastReceptionTime":
		if lc.gone {
			return lua.LNumber(0), true
		}
		return lua.LNumber(c.LastReception().UnixMilli()), true
	case "elapsedFromReception":
		if lc.gone {
			return lua.LNumber(0), true
		}
		return lua.LNumber(time.Since(c.LastReception()).Milliseconds()), true
	case "writer":
		return lc.writer.ud, true
	case "properties":
		return lc.props().proxy, true
	case "parameters":
		return lc.params().proxy, true
	case "swfUrl", "pageUrl":
		return lc.props().get(lua.LString(key)), true
	case "flashVersion":
		return lc.props().get(lua.LString("flashVer")), true
	}
	return nil, false
}

// memberEvent returns the function a script assigned on the client for a
// member event (client:onPublish, ...), or nil.
func (lc *luaClient) memberEvent(name string) lua.LValue {
	if fn := lc.field(name); fn != lua.LNil {
		return fn
	}
	return nil
}

// argsToLua converts AMF values received from the client, then runs
// onTypedObject for the typed objects met (protected).
func (h *Host) argsToLua(a *app, args []any) []lua.LValue {
	var typed []*lua.LTable
	var classes []string
	conv := newAMFToLua(h.L, h.location(a), func(t *lua.LTable, class string) {
		typed = append(typed, t)
		classes = append(classes, class)
	})
	out := make([]lua.LValue, len(args))
	for i, v := range args {
		out[i] = conv.value(v)
	}
	if len(typed) > 0 {
		if fn := h.lookup(a, "onTypedObject"); fn != lua.LNil {
			for i, t := range typed {
				if _, err := h.call(a, "onTypedObject", fn, lua.LString(classes[i]), t); err != nil {
					h.report(err)
				}
			}
		}
	}
	return out
}

// toAMFValues converts results for the wire, logging what cannot be.
func (h *Host) toAMFValues(a *app, event string, values []lua.LValue) []any {
	out, err := luaValuesToAMF(values)
	if err != nil {
		h.log.Error("script: cannot serialize values", "app", appLabel(a.path), "event", event, "err", err)
		return nil
	}
	return out
}

// tableMembers converts a Lua table returned by onConnection into members.
func (h *Host) tableMembers(t *lua.LTable) []amf.Member {
	c := &luaToAMF{}
	var out []amf.Member
	t.ForEach(func(k, v lua.LValue) {
		av, err := c.value(v)
		if err != nil {
			h.log.Error("script: cannot serialize connection info", "key", keyString(k), "err", err)
			return
		}
		out = append(out, amf.Member{Key: keyString(k), Value: av})
	})
	return out
}

func (h *Host) location(a *app) *time.Location {
	if a != nil && a.flavour == FlavourCumulus {
		return time.UTC
	}
	return time.Local
}
