package script

import (
	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
)

const listenerTypeName = "Listener"

// luaListener is a client playing a publication (reference §4.5).
type luaListener struct {
	object
	h          *Host
	l          *core.Listener
	parameters *collection
	qos        qosTables
}

func (h *Host) registerListener() {
	k := h.newKind(listenerTypeName, nil)
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		ll := o.(*luaListener)
		l := ll.l
		switch key {
		case "id":
			return lua.LNumber(l.ID), true
		case "client":
			if lc, ok := l.Client.Data.(*luaClient); ok {
				return lc.ud, true
			}
			return lua.LNil, true
		case "publication":
			return h.publication(L, l.Publication).ud, true
		case "receiveAudio":
			return lua.LBool(l.ReceiveAudio), true
		case "receiveVideo":
			return lua.LBool(l.ReceiveVideo), true
		case "audioQOS":
			return ll.qos.get(L, qosIndex(core.MediaAudio), l.QoS(core.MediaAudio)), true
		case "videoQOS":
			return ll.qos.get(L, qosIndex(core.MediaVideo), l.QoS(core.MediaVideo)), true
		case "dataQOS":
			return ll.qos.get(L, qosIndex(core.MediaData), l.QoS(core.MediaData)), true
		case "parameters":
			return ll.parameters.proxy, true
		case "query":
			return lua.LString(l.Query), true
		}
		return nil, false
	}
	k.set = func(L *lua.LState, o luaObject, key string, v lua.LValue) bool {
		l := o.(*luaListener).l
		switch key {
		case "receiveAudio":
			l.ReceiveAudio = lua.LVAsBool(v)
			return true
		case "receiveVideo":
			l.ReceiveVideo = lua.LVAsBool(v)
			return true
		}
		return false
	}
	k.fallback = func(L *lua.LState, o luaObject, key lua.LValue) lua.LValue {
		// listener.x reads the play query (SecureLink uses listener.e).
		return o.(*luaListener).parameters.get(key)
	}
	h.listenerKind = k
}

func (h *Host) listener(L *lua.LState, l *core.Listener) *luaListener {
	if ll, ok := l.Data.(*luaListener); ok {
		return ll
	}
	ll := &luaListener{h: h, l: l}
	h.listenerKind.wrap(L, ll)
	ll.parameters = h.newCollection("parameters", nil)
	for k, v := range l.Parameters {
		ll.parameters.set(lua.LString(k), autoType(v))
	}
	l.Data = ll
	return ll
}
