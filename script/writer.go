package script

import (
	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
	"nimbus/core/amf"
)

const writerTypeName = "Writer"

// luaWriter is a channel to a client (reference §4.3): the main writer of
// the client or one opened with newWriter/newFlowWriter. Both the
// MonaServer and the Cumulus method names are available.
type luaWriter struct {
	object
	h      *Host
	w      core.Writer
	client *luaClient
	main   bool
	closed bool
	qos    qosTables
}

func (h *Host) registerWriter() {
	k := h.newKind(writerTypeName, map[string]lua.LGFunction{
		"writeInvocation":     h.writerInvocation,
		"writeAMFMessage":     h.writerInvocation,
		"writeMessage":        h.writerMessage,
		"writeAMFResult":      h.writerMessage,
		"writeStatusResponse": h.writerStatus,
		"writeRaw":            h.writerRaw,
		"flush":               h.writerFlush,
		"newWriter":           h.writerNew,
		"newFlowWriter":       h.writerNew,
		"close":               h.writerClose,
	})
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		w := o.(*luaWriter)
		switch key {
		case "reliable":
			return lua.LBool(w.closed || w.w.Reliable()), true
		case "qos":
			q := core.QoS{}
			if !w.closed {
				q = w.w.QoS()
			}
			return w.qos.get(L, 0, q), true
		}
		return nil, false
	}
	k.set = func(L *lua.LState, o luaObject, key string, v lua.LValue) bool {
		w := o.(*luaWriter)
		if key == "reliable" {
			if !w.closed {
				w.w.SetReliable(lua.LVAsBool(v))
			}
			return true
		}
		return false
	}
	h.writerKind = k
}

func (h *Host) newWriter(L *lua.LState, lc *luaClient, w core.Writer, main bool) *luaWriter {
	lw := &luaWriter{h: h, w: w, client: lc, main: main}
	h.writerKind.wrap(L, lw)
	return lw
}

func checkWriter(h *Host, L *lua.LState) *luaWriter {
	return h.writerKind.check(L, 1).(*luaWriter)
}

// usable reports whether writing makes sense (writing to a gone client has
// no effect, as in MonaServer).
func (w *luaWriter) usable() bool { return !w.closed && w.w != nil && !w.client.gone }

func (h *Host) writerArgs(L *lua.LState, first int) []any {
	vals := make([]lua.LValue, 0, L.GetTop())
	for i := first; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
	}
	out, err := luaValuesToAMF(vals)
	if err != nil {
		L.RaiseError("cannot serialize: %v", err)
	}
	return out
}

// writer:writeInvocation(name, ...) / writer:writeAMFMessage(name, ...):
// calls the client-side method name (onMessage by default).
func (h *Host) writerInvocation(L *lua.LState) int {
	w := checkWriter(h, L)
	name := L.OptString(2, "onMessage")
	args := h.writerArgs(L, 3)
	if w.usable() {
		if err := w.w.WriteInvocation(name, args...); err != nil {
			L.RaiseError("writeInvocation: %v", err)
		}
	}
	return 0
}

// writer:writeMessage(...) / writer:writeAMFResult(...): the _result of the
// call being processed when written on its client's main writer during an
// RPC; otherwise a _result of transaction 0.
func (h *Host) writerMessage(L *lua.LState) int {
	w := checkWriter(h, L)
	args := h.writerArgs(L, 2)
	if !w.usable() {
		return 0
	}
	tid := 0.0
	if call := h.currentCall; call != nil && w.main && call.client == w.client && !call.call.Answered {
		tid = call.call.TID
		call.call.Answered = true
	}
	if err := w.w.WriteResult(tid, args...); err != nil {
		L.RaiseError("writeMessage: %v", err)
	}
	return 0
}

// writer:writeStatusResponse(code, description [, key, value, ...]) (CU).
func (h *Host) writerStatus(L *lua.LState) int {
	w := checkWriter(h, L)
	code := L.CheckString(2)
	desc := L.OptString(3, "")
	var extra []amf.Member
	conv := &luaToAMF{}
	for i := 4; i+1 <= L.GetTop(); i += 2 {
		v, err := conv.value(L.Get(i + 1))
		if err != nil {
			L.RaiseError("writeStatusResponse: %v", err)
		}
		extra = append(extra, amf.Member{Key: L.CheckString(i), Value: v})
	}
	if w.usable() {
		if err := w.w.WriteStatus("status", code, desc, extra...); err != nil {
			L.RaiseError("writeStatusResponse: %v", err)
		}
	}
	return 0
}

// writer:writeRaw(...) sends each argument as one raw message.
func (h *Host) writerRaw(L *lua.LState) int {
	w := checkWriter(h, L)
	for i := 2; i <= L.GetTop(); i++ {
		var b string
		switch v := L.Get(i).(type) {
		case lua.LString:
			b = string(v)
		case *lua.LTable:
			b = bytesOf(v)
		default:
			b = L.ToStringMeta(v).String()
		}
		if w.usable() {
			if err := w.w.WriteRaw([]byte(b)); err != nil {
				L.RaiseError("writeRaw: %v", err)
			}
		}
	}
	return 0
}

func (h *Host) writerFlush(L *lua.LState) int {
	w := checkWriter(h, L)
	if w.usable() {
		w.w.Flush()
	}
	L.Push(lua.LBool(w.usable()))
	return 1
}

// writer:newWriter() / writer:newFlowWriter(): a new independent channel
// to the same client. It is closed when the client goes.
func (h *Host) writerNew(L *lua.LState) int {
	w := checkWriter(h, L)
	if !w.usable() {
		L.Push(lua.LNil)
		return 1
	}
	nw, err := w.w.NewWriter()
	if err != nil {
		L.RaiseError("newWriter: %v", err)
	}
	lw := h.newWriter(L, w.client, nw, false)
	w.client.writers = append(w.client.writers, lw)
	L.Push(lw.ud)
	return 1
}

// writer:close() — closing the main writer closes the client's session.
func (h *Host) writerClose(L *lua.LState) int {
	w := checkWriter(h, L)
	if w.closed {
		return 0
	}
	if w.main && !w.client.gone {
		// Core disconnects the client (onDisconnection follows).
		w.client.c.Close()
		return 0
	}
	w.closed = true
	if w.w != nil {
		w.w.Close()
	}
	return 0
}
