package script

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
	"nimbus/core/amf"
)

// The host is the application of a core.Server: it implements core.Events
// by calling the Lua events of reference §2. Core calls every method on its
// loop, which is therefore the goroutine owning the Lua state.
var (
	_ core.Events             = (*Host)(nil)
	_ core.PublicationWatcher = (*Host)(nil)
)

// rpcContext is the RPC being dispatched (writer:writeMessage answers it).
type rpcContext struct {
	client *luaClient
	call   *core.Call
}

// Attach connects the host to the server whose Events it is; it must be
// called before srv.Run. When Options.Post was nil it posts with srv.Post.
func (h *Host) Attach(srv *core.Server) {
	h.srv = srv
	if h.opts.Post == nil {
		// The host posts only reloads, at most one batch per debounce
		// period, so they may bypass the queue limit: an edit is never lost.
		h.opts.Post = func(f func()) {
			if !srv.ForcePost(f) {
				h.log.Warn("script: core loop stopped, a script task was dropped")
			}
		}
	}
}

// OnStart loads the root application (core calls it when its loop starts).
func (h *Host) OnStart() {
	if err := h.Start(); err != nil {
		h.log.Error("script: start failed", "err", err)
	}
}

// OnStop stops every application and releases the Lua state.
func (h *Host) OnStop() {
	if err := h.Close(); err != nil {
		h.log.Error("script: stop failed", "err", err)
	}
}

// errText is what a refused request reports to the client.
func errText(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return errors.New(e.Text)
	}
	return err
}

// OnConnection resolves the client's application (loading it on first
// use) and calls onConnection(client, ...). error() rejects; a returned
// table adds members to the connect response and to client.parameters.
func (h *Host) OnConnection(c *core.Client, args []any) ([]amf.Member, error) {
	a, err := h.resolve(c.Path)
	if err != nil {
		if errors.Is(err, ErrNoApp) {
			if a == nil && h.appFlavourOf(c.Path) == FlavourCumulus {
				return nil, fmt.Errorf("%w: Applicaton %s doesn't exist", core.ErrInvalidApp, c.Path)
			}
			return nil, fmt.Errorf("%w: Application %s doesn't exist", core.ErrInvalidApp, c.Path)
		}
		return nil, err
	}
	if a.state == appFailed && a.loadErr != nil {
		return nil, errors.New(a.loadErr.Text)
	}
	L := h.L
	lc := h.newClient(L, c, a)
	largs := append([]lua.LValue{lc.ud}, h.argsToLua(a, args)...)
	var rets []lua.LValue
	if fn := h.lookup(a, "onConnection"); fn != lua.LNil {
		rets, err = h.call(a, "onConnection", fn, largs...)
	}
	if err != nil {
		c.Data = nil
		// Rejecting is what error() in onConnection is for: no stack.
		var e *Error
		if errors.As(err, &e) && errors.Is(err, ErrRuntime) {
			h.log.Info("script: connection rejected: "+e.Text, "app", appLabel(a.path), "client", c.HexID())
		} else {
			h.report(err)
		}
		return nil, errText(err)
	}
	var info []amf.Member
	if len(rets) > 0 && rets[0] != lua.LNil {
		if t, ok := rets[0].(*lua.LTable); ok {
			info = h.tableMembers(t)
			params := lc.params()
			t.ForEach(func(k, v lua.LValue) { params.set(k, v) })
		} else if a.flavour != FlavourCumulus {
			h.log.Error("script: onConnection must return a table or nothing", "app", appLabel(a.path))
		} else if rets[0].Type() == lua.LTString || rets[0] == lua.LFalse {
			// Cumulus before 2012-11 rejected the client this way; since
			// then (and here) only error() does. The client is accepted,
			// which an app written for the old API did not intend.
			h.log.Warn("script: onConnection returned "+rets[0].String()+": accepted, only error() rejects a client",
				"app", appLabel(a.path), "client", c.HexID())
		}
	}
	h.clients.set(lua.LString(c.HexID()), lc.ud)
	a.clients.set(lua.LString(c.HexID()), lc.ud)
	return info, nil
}

// appFlavourOf guesses the flavour that would answer a missing path (for
// the InvalidApp text): the deepest loaded ancestor's.
func (h *Host) appFlavourOf(path string) Flavour {
	segs, _ := splitAppPath(path)
	a := h.root
	for _, s := range segs {
		c, ok := a.loaded[s]
		if !ok {
			break
		}
		a = c
	}
	if a == nil {
		return FlavourMona
	}
	return a.flavour
}

func clientOf(c *core.Client) *luaClient {
	if c == nil {
		return nil
	}
	lc, _ := c.Data.(*luaClient)
	return lc
}

// OnDisconnection calls onDisconnection(client) in the app that accepted it.
func (h *Host) OnDisconnection(c *core.Client) {
	lc := clientOf(c)
	if lc == nil {
		return
	}
	// Unlist it unless a new connection with the same peer ID replaced it
	// already (core accepts the new one before closing the old one).
	id := lua.LString(c.HexID())
	if h.clients.get(id) == lc.ud {
		h.clients.del(id)
	}
	if lc.app.clients.get(id) == lc.ud {
		lc.app.clients.del(id)
	}
	// Gone before the events: writing to the client from onFailed or
	// onDisconnection has no effect (MonaServer), rather than reaching a
	// closed connection.
	lc.gone = true
	for _, w := range lc.writers {
		w.closed = true
	}
	lc.writer.closed = true
	if reason := c.FailureReason(); reason != "" {
		// Cumulus (and MonaServer before 2013-11): onFailed precedes the
		// disconnection of a failed session.
		h.event(lc.app, "onFailed", lc.ud, lua.LString(reason))
	}
	h.event(lc.app, "onDisconnection", lc.ud)
}

// OnCall runs client:<name>(...) — a function the script set on the client.
func (h *Host) OnCall(c *core.Client, call *core.Call) ([]any, error) {
	lc := clientOf(c)
	if lc == nil {
		return nil, fmt.Errorf("%w: %s", core.ErrMethodNotFound, call.Name)
	}
	fn := lc.field(call.Name)
	if fn == lua.LNil {
		if lc.app.flavour == FlavourCumulus {
			return nil, fmt.Errorf("Method '%s' not found", call.Name)
		}
		return nil, fmt.Errorf("%w: %s", core.ErrMethodNotFound, call.Name)
	}
	args := append([]lua.LValue{lc.ud}, h.argsToLua(lc.app, call.Args)...)
	prev := h.currentCall
	h.currentCall = &rpcContext{client: lc, call: call}
	rets, err := h.call(lc.app, "method '"+call.Name+"'", fn, args...)
	h.currentCall = prev
	if err != nil {
		h.report(err)
		return nil, errText(err)
	}
	return h.toAMFValues(lc.app, call.Name, rets), nil
}

// clientEvent calls a client member event (M1: client:onPublish(x)) or,
// for Cumulus apps, the global event (onPublish(client, x)). It reports
// whether a handler ran, its results and its error.
func (h *Host) clientEvent(lc *luaClient, name string, args ...lua.LValue) ([]lua.LValue, bool, error) {
	if fn := lc.memberEvent(name); fn != nil {
		rets, err := h.call(lc.app, name, fn, append([]lua.LValue{lc.ud}, args...)...)
		if err != nil {
			h.report(err)
		}
		return rets, true, err
	}
	if lc.app.flavour == FlavourCumulus {
		return h.event(lc.app, name, append([]lua.LValue{lc.ud}, args...)...)
	}
	return nil, false, nil
}

// refusal turns an event's outcome into core's answer: false refuses,
// error(msg) refuses with msg.
func refusal(rets []lua.LValue, err error) error {
	if err != nil {
		return errText(err)
	}
	if len(rets) > 0 && rets[0] == lua.LFalse {
		return core.ErrRefused
	}
	return nil
}

// OnPublish calls client:onPublish(publication) (CU: onPublish(client, publication)).
func (h *Host) OnPublish(c *core.Client, p *core.Publication) error {
	lc := clientOf(c)
	if lc == nil {
		return nil
	}
	lp := h.publication(h.L, p)
	if lc.app.flavour == FlavourCumulus && h.wantsMedia(lc.app) {
		p.Watched = true
	}
	rets, _, err := h.clientEvent(lc, "onPublish", lp.ud)
	return refusal(rets, err)
}

// wantsMedia reports whether a Cumulus app defines global media events.
func (h *Host) wantsMedia(a *app) bool {
	for _, n := range []string{"onAudioPacket", "onVideoPacket", "onDataPacket"} {
		if h.lookup(a, n) != lua.LNil {
			return true
		}
	}
	return false
}

func (h *Host) OnUnpublish(c *core.Client, p *core.Publication) {
	if lc := clientOf(c); lc != nil {
		h.clientEvent(lc, "onUnpublish", h.publication(h.L, p).ud)
	}
}

// OnSubscribe calls client:onSubscribe(listener) (CU: onSubscribe(client, listener)).
func (h *Host) OnSubscribe(c *core.Client, l *core.Listener) error {
	lc := clientOf(c)
	if lc == nil {
		return nil
	}
	rets, _, err := h.clientEvent(lc, "onSubscribe", h.listener(h.L, l).ud)
	return refusal(rets, err)
}

func (h *Host) OnUnsubscribe(c *core.Client, l *core.Listener) {
	lc := clientOf(c)
	if lc == nil {
		return
	}
	lp := h.publication(h.L, l.Publication)
	lp.leaving = l
	defer func() { lp.leaving = nil }()
	h.clientEvent(lc, "onUnsubscribe", h.listener(h.L, l).ud)
}

// OnMedia calls publication:onAudio(time, packet), onVideo, onData(...)
// (with the data message decoded) and onProperties; for Cumulus apps the
// global onAudioPacket(client, pub, time, data), onVideoPacket,
// onDataPacket(client, pub, name, data).
func (h *Host) OnMedia(p *core.Publication, pkt *core.MediaPacket) {
	lp, ok := p.Data.(*luaPublication)
	if !ok {
		return
	}
	a := lp.owner
	var lc *luaClient
	if pub := p.Publisher(); pub != nil {
		lc = clientOf(pub)
		if lc != nil {
			a = lc.app
		}
	}
	if a == nil {
		a = h.root
	}
	payload := lua.LString(pkt.Payload)
	var values []lua.LValue
	if pkt.Kind == core.MediaData {
		b := pkt.Payload
		if pkt.AMF3 && len(b) > 0 {
			b = b[1:]
		}
		vals, err := amf.DecodeAll0(b)
		if err != nil {
			h.log.Debug("script: undecodable data message", "publication", p.Name, "err", err)
		}
		values = h.argsToLua(a, vals)
	}
	member := map[core.MediaKind]string{core.MediaAudio: "onAudio", core.MediaVideo: "onVideo", core.MediaData: "onData"}[pkt.Kind]
	if fn := lp.field(member); fn != lua.LNil {
		args := []lua.LValue{lp.ud, lua.LNumber(pkt.Time), payload}
		if pkt.Kind == core.MediaData {
			args = append([]lua.LValue{lp.ud}, values...)
		}
		if _, err := h.call(a, member, fn, args...); err != nil {
			h.report(err)
		}
	}
	if lc != nil && a.flavour == FlavourCumulus {
		switch pkt.Kind {
		case core.MediaAudio:
			h.event(a, "onAudioPacket", lc.ud, lp.ud, lua.LNumber(pkt.Time), payload)
		case core.MediaVideo:
			h.event(a, "onVideoPacket", lc.ud, lp.ud, lua.LNumber(pkt.Time), payload)
		case core.MediaData:
			// CumulusServer passes the AMF that follows the handler name.
			name, rest := lua.LValue(lua.LNil), payload
			if len(values) > 0 {
				name = values[0]
				b := pkt.Payload
				if pkt.AMF3 && len(b) > 0 {
					b = b[1:]
				}
				d := amf.NewDecoder(b)
				if _, err := d.ReadAMF0(); err == nil {
					rest = lua.LString(b[d.Offset():])
				}
			}
			h.event(a, "onDataPacket", lc.ud, lp.ud, name, rest)
		}
	}
}

func (h *Host) OnJoinGroup(c *core.Client, g *core.Group) {
	if lc := clientOf(c); lc != nil {
		h.clientEvent(lc, "onJoinGroup", h.group(h.L, g).ud)
	}
}

func (h *Host) OnUnjoinGroup(c *core.Client, g *core.Group) {
	if lc := clientOf(c); lc != nil {
		h.clientEvent(lc, "onUnjoinGroup", h.group(h.L, g).ud)
	}
}

// OnAddressChanged calls client:onAddressChanged(oldAddress).
func (h *Host) OnAddressChanged(c *core.Client, old netip.AddrPort) {
	if lc := clientOf(c); lc != nil {
		h.clientEvent(lc, "onAddressChanged", h.newAddress(h.L, old, lc.app.flavour))
	}
}

// OnHandshake calls onHandshake in the app of the requested path: M1
// (protocol, address, path, properties, attempts), CU (address, path,
// properties, attempts). Returned values are redirection addresses:
// "ip:port" strings or arrays of them; "myself"/"again" adds this server.
func (h *Host) OnHandshake(req *core.HandshakeRequest) core.HandshakeResult {
	a, err := h.resolve(req.Path)
	if err != nil || a.state == appFailed {
		return core.HandshakeResult{}
	}
	L := h.L
	props := L.NewTable()
	for k, v := range req.Properties {
		if a.flavour == FlavourCumulus {
			props.RawSetString(k, lua.LString(v))
		} else {
			props.RawSetString(k, autoType(v))
		}
	}
	args := []lua.LValue{lua.LString(req.Address.String()), lua.LString(req.Path), props, lua.LNumber(req.Attempt)}
	if a.flavour != FlavourCumulus {
		args = append([]lua.LValue{lua.LString(req.Protocol)}, args...)
	}
	rets, _, err := h.event(a, "onHandshake", args...)
	if err != nil {
		return core.HandshakeResult{}
	}
	var res core.HandshakeResult
	h.collectAddresses(rets, &res.Redirect, &res.IncludeSelf, 0)
	return res
}

func (h *Host) collectAddresses(vals []lua.LValue, out *[]netip.AddrPort, self *bool, depth int) {
	if depth > 4 {
		return
	}
	for _, v := range vals {
		switch x := v.(type) {
		case lua.LString:
			s := string(x)
			if s == "myself" || s == "again" {
				if self != nil {
					*self = true
				}
				continue
			}
			if ap, ok := parseAddress(s); ok {
				*out = append(*out, ap)
			} else {
				h.log.Warn("script: redirection address must be ip:port", "address", s)
			}
		case *lua.LTable:
			if x.Metatable == h.addressMT {
				h.collectAddresses([]lua.LValue{x.RawGetString("value")}, out, self, depth+1)
				continue
			}
			var items []lua.LValue
			for i := 1; i <= denseLen(x); i++ {
				items = append(items, x.RawGetInt(i))
			}
			h.collectAddresses(items, out, self, depth+1)
		}
	}
}

// OnRendezVousUnknown calls the root app's onRendezVousUnknown: M1
// (protocol, peerIdRaw), CU (peerIdRaw); returned addresses redirect.
func (h *Host) OnRendezVousUnknown(from netip.AddrPort, target core.PeerID) []netip.AddrPort {
	a := h.root
	if a == nil {
		return nil
	}
	if a.flavour != FlavourCumulus {
		rets, _, err := h.event(a, "onRendezVousUnknown", lua.LString("RTMFP"), lua.LString(target[:]))
		if err != nil {
			return nil
		}
		var out []netip.AddrPort
		h.collectAddresses(rets, &out, nil, 0)
		return out
	}
	// Cumulus asks every running application that defines the event (its
	// own, not inherited), root first, until one answers with addresses.
	paths := make([]string, 0, len(h.apps))
	for p, x := range h.apps {
		if x.state == appRunning && x.flavour == FlavourCumulus {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		x := h.apps[p]
		if x.env.RawGetString("onRendezVousUnknown") == lua.LNil {
			continue
		}
		rets, _, err := h.event(x, "onRendezVousUnknown", lua.LString(target[:]))
		if err != nil {
			continue
		}
		var out []netip.AddrPort
		h.collectAddresses(rets, &out, nil, 0)
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// OnIntroduction is a Nimbus extension (MonaServer always introduces):
// onIntroduction(initiator, target) in the target's application, where
// initiator is nil when the requester is not a connected client. Returning
// false refuses the introduction; an error refuses it too.
func (h *Host) OnIntroduction(initiator *core.Client, from netip.AddrPort, target *core.Client) bool {
	lt := clientOf(target)
	if lt == nil {
		return true
	}
	init := lua.LValue(lua.LNil)
	if li := clientOf(initiator); li != nil {
		init = li.ud
	}
	rets, found, err := h.event(lt.app, "onIntroduction", init, lt.ud, lua.LString(from.String()))
	if !found {
		return true
	}
	if err != nil {
		return false
	}
	return len(rets) == 0 || rets[0] != lua.LFalse
}

// OnManage runs every 2 s: the root's onManage (M1); for Cumulus apps
// every app's own onManage, client:onManage and writer:onManage.
func (h *Host) OnManage() {
	if h.closed || h.root == nil {
		return
	}
	h.compactMembers()
	if h.root.flavour != FlavourCumulus {
		h.event(h.root, "onManage")
	}
	paths := make([]string, 0, len(h.apps))
	for p, a := range h.apps {
		if a.flavour == FlavourCumulus && a.state == appRunning {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		a := h.apps[p]
		if a == nil {
			continue
		}
		if fn := a.env.RawGetString("onManage"); fn != lua.LNil {
			if _, err := h.call(a, "onManage", fn); err != nil {
				h.report(err)
			}
		}
	}
	// Cumulus client and writer onManage.
	var clients []*luaClient
	h.clients.items.ForEach(func(_, v lua.LValue) {
		if ud, ok := v.(*lua.LUserData); ok {
			if lc, ok := ud.Value.(*luaClient); ok && lc.app.flavour == FlavourCumulus {
				clients = append(clients, lc)
			}
		}
	})
	for _, lc := range clients {
		if lc.gone {
			continue
		}
		if fn := lc.field("onManage"); fn != lua.LNil {
			if _, err := h.call(lc.app, "onManage", fn, lc.ud); err != nil {
				h.report(err)
			}
		}
		for _, w := range lc.writers {
			if fn := w.field("onManage"); fn != lua.LNil && !w.closed {
				if _, err := h.call(lc.app, "onManage", fn, w.ud); err != nil {
					h.report(err)
				}
			}
		}
	}
}

// openServerObjects adds the core-backed members of mona: clients (kept up
// to date), publications and groups (built when read), servers (no peer
// servers: an empty collection) and publish.
func (h *Host) openServerObjects() {
	L := h.L
	h.clients = h.newCollection("clients", func(L *lua.LState) int {
		// mona.clients(id): hex or raw id.
		id, err := core.ParsePeerID(L.CheckString(1))
		if err != nil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(h.clients.get(lua.LString(id.String())))
		return 1
	})
	h.mona.RawSetString("clients", h.clients.proxy)
	servers := h.newCollection("servers", nil)
	servers.extras.RawSetString("broadcast", L.NewFunction(func(L *lua.LState) int { return 0 }))
	h.mona.RawSetString("servers", servers.proxy)
	h.mona.RawSetString("publish", L.NewFunction(h.monaPublish))
	h.registerTCPClient()
	h.registerTCPServer()
	h.registerUDPSocket()
	h.mona.RawSetString("createTCPClient", L.NewFunction(h.monaCreateTCPClient))
	h.mona.RawSetString("createTCPServer", L.NewFunction(h.monaCreateTCPServer))
	h.mona.RawSetString("createUDPSocket", L.NewFunction(h.monaCreateUDPSocket))
	h.mona.RawSetString("joinGroup", L.NewFunction(h.monaJoinGroup))
	h.mona.RawSetString("addToBlacklist", L.NewFunction(h.monaAddToBlacklist))
	h.mona.RawSetString("removeFromBlacklist", L.NewFunction(h.monaRemoveFromBlacklist))
	for _, name := range []string{"sendMail",
		"createIPAddress", "createSocketAddress", "createIPAddressWithDNS", "createSocketAddressWithDNS"} {
		name := name
		h.mona.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			L.RaiseError("mona:%s is not supported by this server", name)
			return 0
		}))
	}
}

// dynamicMona answers mona.publications and mona.groups.
func (h *Host) dynamicMona(L *lua.LState, key string) (lua.LValue, bool) {
	switch key {
	case "publications":
		coll := h.newCollection("publications", nil)
		if h.srv != nil {
			h.srv.EachPublication(func(p *core.Publication) bool {
				coll.set(lua.LString(p.Name), h.publication(L, p).ud)
				return true
			})
		}
		return coll.proxy, true
	case "groups":
		coll := h.newCollection("groups", func(L *lua.LState) int {
			id, err := core.ParsePeerID(L.CheckString(1))
			if err != nil || h.srv == nil {
				L.Push(lua.LNil)
				return 1
			}
			if g := h.srv.Group(id); g != nil {
				L.Push(h.group(L, g).ud)
				return 1
			}
			L.Push(lua.LNil)
			return 1
		})
		if h.srv != nil {
			h.srv.EachGroup(func(g *core.Group) bool {
				coll.set(lua.LString(g.ID.String()), h.group(L, g).ud)
				return true
			})
		}
		// Cumulus: cumulus.groups:join(peerId, groupId) is mona:joinGroup.
		coll.extras.RawSetString("join", L.NewFunction(func(L *lua.LState) int { return h.joinVirtual(L, 2) }))
		return coll.proxy, true
	}
	return nil, false
}

// publicationApp is the application that receives a publication's events:
// its publisher's, the script's that made it, or the root.
func (h *Host) publicationApp(lp *luaPublication) *app {
	if pub := lp.p.Publisher(); pub != nil {
		if lc := clientOf(pub); lc != nil {
			return lc.app
		}
	}
	if lp.owner != nil {
		return lp.owner
	}
	return h.root
}

// OnFlush calls publication:onFlush() after a batch of packets
// (core.PublicationWatcher).
func (h *Host) OnFlush(p *core.Publication) {
	lp, ok := p.Data.(*luaPublication)
	if !ok {
		return
	}
	if fn := lp.field("onFlush"); fn != lua.LNil {
		if _, err := h.call(h.publicationApp(lp), "onFlush", fn, lp.ud); err != nil {
			h.report(err)
		}
	}
}

// OnProperties calls publication:onProperties(properties) when the
// publisher sets its metadata (@setDataFrame), with nil when it clears it
// (@clearDataFrame) (core.PublicationWatcher).
func (h *Host) OnProperties(p *core.Publication) {
	lp, ok := p.Data.(*luaPublication)
	if !ok {
		return
	}
	fn := lp.field("onProperties")
	if fn == lua.LNil {
		return
	}
	props := lua.LValue(lua.LNil)
	if p.Properties() != nil {
		props, _ = lp.property(h.L, "properties")
	}
	if _, err := h.call(h.publicationApp(lp), "onProperties", fn, lp.ud, props); err != nil {
		h.report(err)
	}
}
