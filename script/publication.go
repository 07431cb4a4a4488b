package script

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
	"nimbus/core/amf"
)

const publicationTypeName = "Publication"

// luaPublication is the Lua object of a publication (reference §4.4),
// cached in core.Publication.Data. Script publications (mona:publish) can
// be pushed to and closed; a client's publication only observed.
type luaPublication struct {
	object
	h      *Host
	p      *core.Publication
	owner  *app // app that created a script publication, nil otherwise
	script bool // the script holds the handle and the publication runs
	closed bool // a script publication that was closed
	// leaving is the listener whose onUnsubscribe runs: MonaServer and
	// Cumulus call it before removing the listener, and scripts count it
	// (Cumulus apps compute listeners.count-1), while core has already
	// removed it.
	leaving *core.Listener
	qos     qosTables
}

func (h *Host) registerPublication() {
	k := h.newKind(publicationTypeName, map[string]lua.LGFunction{
		"pushAudio":       h.pubPushMedia(core.MediaAudio, false),
		"pushVideo":       h.pubPushMedia(core.MediaVideo, false),
		"pushAudioPacket": h.pubPushMedia(core.MediaAudio, true),
		"pushVideoPacket": h.pubPushMedia(core.MediaVideo, true),
		"pushData":        h.pubPushData,
		"pushAMFData":     h.pubPushData,
		"pushAMF0Data":    h.pubPushAMF0Data,
		"pushJSONData":    h.pubPushTextData(false),
		"pushXMLRPCData":  h.pubPushTextData(true),
		"pushDataPacket":  h.pubPushDataPacket,
		"writeProperties": h.pubWriteProperties,
		"clearProperties": h.pubClearProperties,
		"flush":           h.pubFlush,
		"close":           h.pubClose,
	})
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		return o.(*luaPublication).property(L, key)
	}
	k.fallback = func(L *lua.LState, o luaObject, key lua.LValue) lua.LValue {
		// Unknown pub.x reads the metadata (pub.properties.x).
		lp := o.(*luaPublication)
		s, ok := key.(lua.LString)
		if !ok {
			return lua.LNil
		}
		for _, m := range lp.p.Properties() {
			if m.Key == string(s) {
				return newAMFToLua(L, h.location(lp.owner), nil).value(m.Value)
			}
		}
		return lua.LNil
	}
	k.onField = func(o luaObject, key string, v lua.LValue) {
		// Media reaches the script only for publications that want it.
		switch key {
		case "onAudio", "onVideo", "onData", "onProperties", "onFlush":
			if v != lua.LNil {
				o.(*luaPublication).p.Watched = true
			}
		}
	}
	h.publicationKind = k
}

// publication returns (creating) the Lua object of p.
func (h *Host) publication(L *lua.LState, p *core.Publication) *luaPublication {
	if lp, ok := p.Data.(*luaPublication); ok {
		return lp
	}
	lp := &luaPublication{h: h, p: p}
	h.publicationKind.wrap(L, lp)
	p.Data = lp
	return lp
}

func checkPublication(h *Host, L *lua.LState) *luaPublication {
	return h.publicationKind.check(L, 1).(*luaPublication)
}

func (lp *luaPublication) property(L *lua.LState, key string) (lua.LValue, bool) {
	p := lp.p
	switch key {
	case "name", "value":
		return lua.LString(p.Name), true
	case "running":
		return lua.LBool(p.Running()), true
	case "lastTime":
		return lua.LNumber(p.LastTime()), true
	case "droppedFrames":
		return lua.LNumber(p.AudioQoS.DroppedFrames + p.VideoQoS.DroppedFrames), true
	case "publisherId":
		if c := p.Publisher(); c != nil {
			return lua.LString(c.HexID()), true
		}
		return lua.LNumber(0), true
	case "publisher":
		if c := p.Publisher(); c != nil {
			if lc, ok := c.Data.(*luaClient); ok {
				return lc.ud, true
			}
		}
		return lua.LNil, true
	case "listeners":
		coll := lp.h.newCollection("listeners", nil)
		ls := p.Listeners()
		if lp.leaving != nil {
			ls = append(ls[:len(ls):len(ls)], lp.leaving)
		}
		for _, l := range ls {
			ll := lp.h.listener(L, l)
			if lc, ok := l.Client.Data.(*luaClient); ok {
				coll.set(lc.ud, ll.ud)
			} else {
				coll.set(lua.LNumber(l.ID), ll.ud)
			}
		}
		return coll.proxy, true
	case "audioQOS":
		return lp.qos.track(L, qosIndex(core.MediaAudio), p.AudioQoS, lp.publisherLatency()), true
	case "videoQOS":
		return lp.qos.track(L, qosIndex(core.MediaVideo), p.VideoQoS, lp.publisherLatency()), true
	case "dataQOS":
		return lp.qos.track(L, qosIndex(core.MediaData), p.DataQoS, lp.publisherLatency()), true
	case "properties":
		props := p.Properties()
		if props == nil {
			return lua.LNil, true
		}
		coll := lp.h.newCollection("properties", nil)
		conv := newAMFToLua(L, lp.h.location(lp.owner), nil)
		for _, m := range props {
			coll.set(lua.LString(m.Key), conv.value(m.Value))
		}
		return coll.proxy, true
	}
	return nil, false
}

// handle checks that the script may feed the publication.
func (lp *luaPublication) handle(L *lua.LState) {
	if !lp.script {
		L.RaiseError("You have not the handle on publication %s", lp.p.Name)
	}
}

func pushBytes(L *lua.LState, n int) []byte {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return []byte(v)
	case *lua.LTable:
		return []byte(bytesOf(v))
	}
	L.ArgError(n, "bytes expected")
	return nil
}

// pushAudio(time, packet [, ping]) / pushAudioPacket(time, packet [, offset [, lost]]).
func (h *Host) pubPushMedia(kind core.MediaKind, cumulus bool) lua.LGFunction {
	return func(L *lua.LState) int {
		lp := checkPublication(h, L)
		lp.handle(L)
		t := uint32(L.CheckNumber(2))
		b := pushBytes(L, 3)
		if cumulus {
			if off := L.OptInt(4, 0); off > 0 && off <= len(b) {
				b = b[off:]
			}
		}
		lp.p.Push(&core.MediaPacket{Kind: kind, Time: t, Payload: b})
		return 0
	}
}

// pushData(bytes) / pushAMFData(amfBytes): an already encoded data message.
func (h *Host) pubPushData(L *lua.LState) int {
	lp := checkPublication(h, L)
	lp.handle(L)
	lp.p.Push(&core.MediaPacket{Kind: core.MediaData, Time: lp.p.LastTime(), Payload: pushBytes(L, 2)})
	return 0
}

// pushDataPacket(name, amfBytes [, offset]) (CU).
func (h *Host) pubPushDataPacket(L *lua.LState) int {
	lp := checkPublication(h, L)
	lp.handle(L)
	name := L.CheckString(2)
	b := pushBytes(L, 3)
	if off := L.OptInt(4, 0); off > 0 && off <= len(b) {
		b = b[off:]
	}
	head, err := amf.AppendAMF0(nil, name)
	if err != nil {
		L.RaiseError("pushDataPacket: %v", err)
	}
	lp.p.Push(&core.MediaPacket{Kind: core.MediaData, Time: lp.p.LastTime(), Payload: append(head, b...)})
	return 0
}

// pushAMF0Data(handler, ...): the Lua values serialized as AMF0.
func (h *Host) pubPushAMF0Data(L *lua.LState) int {
	lp := checkPublication(h, L)
	lp.handle(L)
	vals := make([]lua.LValue, 0, L.GetTop())
	for i := 2; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
	}
	b, err := encodeAMF(vals, false)
	if err != nil {
		L.RaiseError("pushAMF0Data: %v", err)
	}
	lp.p.Push(&core.MediaPacket{Kind: core.MediaData, Time: lp.p.LastTime(), Payload: b})
	return 0
}

// pushJSONData(text) / pushXMLRPCData(text): decoded, then sent as AMF0 data.
func (h *Host) pubPushTextData(xmlrpc bool) lua.LGFunction {
	return func(L *lua.LState) int {
		lp := checkPublication(h, L)
		lp.handle(L)
		text := []byte(L.CheckString(2))
		var vals []lua.LValue
		var err error
		if xmlrpc {
			vals, err = decodeXMLRPC(L, text, h.location(lp.owner), nil)
		} else {
			vals, err = decodeJSON(L, text, h.location(lp.owner), nil)
		}
		if err != nil {
			L.RaiseError("%v", err)
		}
		b, err := encodeAMF(vals, false)
		if err != nil {
			L.RaiseError("%v", err)
		}
		lp.p.Push(&core.MediaPacket{Kind: core.MediaData, Time: lp.p.LastTime(), Payload: b})
		return 0
	}
}

// writeProperties(table) sets the metadata (@setDataFrame).
func (h *Host) pubWriteProperties(L *lua.LState) int {
	lp := checkPublication(h, L)
	lp.handle(L)
	t := L.CheckTable(2)
	if err := lp.p.SetProperties(h.tableMembers(t)); err != nil {
		L.RaiseError("writeProperties: %v", err)
	}
	return 0
}

func (h *Host) pubClearProperties(L *lua.LState) int {
	lp := checkPublication(h, L)
	lp.handle(L)
	lp.p.ClearProperties()
	return 0
}

func (h *Host) pubFlush(L *lua.LState) int {
	lp := checkPublication(h, L)
	lp.p.Flush()
	return 0
}

// close() unpublishes a script publication. On a client's publication it
// raises an error (MonaServer), except for Cumulus apps, where it stops the
// publisher (told with NetStream.Unpublish.Success).
func (h *Host) pubClose(L *lua.LState) int {
	lp := checkPublication(h, L)
	if lp.closed {
		return 0
	}
	if !lp.script && lp.p.Publisher() != nil {
		if _, a := h.callerPosition(L, 1); a != nil && a.flavour == FlavourCumulus {
			lp.p.Close()
			return 0
		}
	}
	lp.handle(L)
	h.closeScriptPublication(lp)
	return 0
}

func (h *Host) closeScriptPublication(lp *luaPublication) {
	if !lp.script {
		return
	}
	lp.script, lp.closed = false, true
	lp.p.Close()
	if lp.owner != nil {
		pubs := h.scriptPubs[lp.owner]
		for i, x := range pubs {
			if x == lp {
				h.scriptPubs[lp.owner] = append(pubs[:i], pubs[i+1:]...)
				break
			}
		}
	}
}

// monaPublish: mona:publish(name [, "live"|"record"]) → publication or nil
// when the name is already published. MonaServer closes it when the object
// is garbage-collected; here it is closed by publication:close() or when
// the application that created it stops or reloads.
func (h *Host) monaPublish(L *lua.LState) int {
	name := L.CheckString(h.args(L))
	if h.srv == nil {
		L.RaiseError("mona:publish: no server attached")
	}
	p := h.srv.PublishLocal(name)
	if p == nil {
		L.Push(lua.LNil)
		return 1
	}
	lp := h.publication(L, p)
	lp.script, lp.closed = true, false
	_, lp.owner = h.callerPosition(L, 1)
	if lp.owner != nil {
		h.scriptPubs[lp.owner] = append(h.scriptPubs[lp.owner], lp)
	}
	L.Push(lp.ud)
	return 1
}

// closeAppPublications closes the script publications of a stopping app.
func (h *Host) closeAppPublications(a *app) {
	for _, lp := range append([]*luaPublication(nil), h.scriptPubs[a]...) {
		h.closeScriptPublication(lp)
	}
	delete(h.scriptPubs, a)
}

// publisherLatency is half the publisher's round-trip time, MonaServer's
// publication QoS latency.
func (lp *luaPublication) publisherLatency() time.Duration {
	if c := lp.p.Publisher(); c != nil {
		return c.Ping() / 2
	}
	return 0
}
