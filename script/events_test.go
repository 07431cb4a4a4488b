package script

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nimbus/core"
	"nimbus/core/amf"
)

func TestConnection(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			function onConnection(client, a, b)
				if client.path ~= "" then return end -- inherited by /plain
				assert(client.protocol == "RTMFP")
				assert(#client.id == 64 and #client.rawId == 32)
				assert(client.properties.app == "test" and client.app == "test", "properties and fallback")
				assert(client.properties.x == 1, "query parameters are auto-typed")
				assert(client.properties("x") == "1", "raw values by call")
				assert(client.flashVersion == "WIN 32,0,0,0")
				assert(tostring(client.address):find("^127.0.0.1:"), tostring(client.address))
				assert(("addr=" .. client.address):find("addr=127"), "address concatenates")
				assert(client.ping == 42)
				assert(mona.clients[client.id] == nil, "not listed during onConnection")
				assert(#clients == 0)
				client.arg = a .. b
				return {index = "page.html", timeout = 7}
			end
			function onDisconnection(client) disconnected = client.id end`,
		"reject/main.lua": `function onConnection(client) error("go away") end`,
		"failed/main.lua": "x = = 1",
		"plain/main.lua":  ``,
	})
	c := e.connect("rtmfp://host/?x=1", "a", "b")
	acc := c.conn.log.find("accept")
	if !strings.Contains(acc, "index=page.html") || !strings.Contains(acc, "timeout=7") {
		t.Fatalf("accept info %q", acc)
	}
	id := c.c.HexID()
	e.mustLua("", `
		local c = mona.clients["`+id+`"]
		assert(c and c.arg == "ab", "listed after acceptance, fields kept")
		assert(clients["`+id+`"] == c and #clients == 1 and #mona.clients == 1)
		assert(mona.clients("`+id+`") == c, "lookup by hex id")
		assert(c.parameters.timeout == 7, "returned table merged into parameters")
	`)

	r := e.connect("rtmfp://host/reject")
	if got := r.conn.log.find("reject"); !strings.Contains(got, "NetConnection.Connect.Rejected") || !strings.Contains(got, "reject/main.lua:1: go away") {
		t.Fatalf("reject: %q", got)
	}
	m := e.connect("rtmfp://host/missing/app")
	if got := m.conn.log.find("reject"); !strings.Contains(got, "NetConnection.Connect.InvalidApp Application /missing/app doesn't exist") {
		t.Fatalf("missing app: %q", got)
	}
	f := e.connect("rtmfp://host/failed")
	if got := f.conn.log.find("reject"); !strings.Contains(got, "Connect.Rejected failed/main.lua:1:") {
		t.Fatalf("failed app: %q", got)
	}
	p := e.connect("rtmfp://host/plain/")
	p.waitFor("accept")
	e.mustLua("/plain", `assert(#clients == 1)`)

	e.srv.Disconnect(c.c)
	waitUntil(t, "onDisconnection", e.logs.all, func() bool {
		var got string
		e.onLoop(func() { got = e.h.lookup(e.h.root, "disconnected").String() })
		return got == id
	})
	e.mustLua("", `assert(mona.clients["`+id+`"] == nil and #clients == 0)`)
}

func TestRPC(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			function onConnection(client)
				function client:sum(a, b) return a + b, "done" end
				function client:fail() error("rpc failure") end
				function client:nothing() end
				function client:answerEarly(x)
					self.writer:writeMessage("early", x)
				end
				function client:echo(...) return ... end
				function client:typed(o) return o:describe() end
				function client:writes()
					local w = self.writer
					w:writeInvocation("onNews", 1, {a = "b"})
					w:writeAMFMessage("cu", true)
					w:writeRaw("raw!")
					w:writeStatusResponse("Custom.Code", "desc", "k", "v")
					assert(w.reliable == true)
					w.reliable = false
					assert(w:flush() == true)
					local q = w.qos
					assert(q.lostRate == 0.25 and q.byteRate == 1000 and q.latency == 20)
					local w2 = w:newWriter()
					w2:writeInvocation("onSide")
					w2:close()
					return "ok"
				end
			end
			function onTypedObject(class, obj)
				function obj:describe() return class .. ":" .. self.name end
			end`,
		"cu/main.lua": `function onConnection(client) local c = cumulus end`,
	})
	c := e.connect("rtmfp://host/")
	c.call("sum", 2.0, 3.0)
	c.waitFor("main result 2 [5 done]")
	c.call("missing")
	c.waitFor("main error 2 NetConnection.Call.Failed Method client 'missing' not found in application ")
	c.call("fail")
	c.waitFor("main error 2 NetConnection.Call.Failed main.lua:4: rpc failure")
	c.call("answerEarly", "x")
	c.waitFor("main result 2 [early x]")
	c.call("echo", nil, 1.0, "s")
	c.waitFor("main result 2 [null 1 s]")
	c.call("typed", &amf.Object{Class: "Person", Members: []amf.Member{{Key: "name", Value: "Ann"}}})
	c.waitFor("main result 2 [Person:Ann]")
	c.call("writes")
	c.waitFor("main result 2 [ok]")
	for _, want := range []string{"main invoke onNews [1 {a=b}]", "main invoke cu [true]", `main raw "raw!"`,
		"main status status Custom.Code desc {k=v}", "main reliable false", "main flush", "main.1 invoke onSide", "main.1 closed"} {
		if c.conn.log.find(want) == "" {
			t.Errorf("missing %q in\n%s", want, c.conn.log.all())
		}
	}
	if !strings.Contains(e.logs.all(), "rpc failure") {
		t.Error("RPC error not logged")
	}
	cu := e.connect("rtmfp://host/cu")
	cu.call("missing")
	cu.waitFor("Method 'missing' not found")
}

func TestPublicationEvents(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			log = {}
			function onConnection(client)
				function client:onPublish(pub)
					table.insert(log, "publish " .. pub.name)
					if pub.name == "refused" then return false end
					if pub.name == "error" then error("no way") end
					function pub:onVideo(time, packet) table.insert(log, "video " .. time .. " " .. #packet) end
					function pub:onData(name, a) table.insert(log, "data " .. name .. " " .. tostring(a)) end
				end
				function client:onUnpublish(pub) table.insert(log, "unpublish " .. pub.name) end
				function client:onSubscribe(listener)
					table.insert(log, "subscribe " .. listener.publication.name .. " e=" .. tostring(listener.e))
					assert(listener.client == client)
					if listener.publication.name == "secret" then return false end
				end
				function client:onUnsubscribe(listener) table.insert(log, "unsubscribe " .. listener.publication.name) end
				function client:onJoinGroup(group) table.insert(log, "join " .. group:size()) end
				function client:onUnjoinGroup(group) table.insert(log, "unjoin") end
				function client:onAddressChanged(old) table.insert(log, "moved from " .. tostring(old)) end
			end`,
	})
	pubc := e.connect("rtmfp://host/")
	sink := &fakeSink{log: pubc.conn.log}
	for _, name := range []string{"refused", "error"} {
		if _, err := e.srv.Publish(pubc.c, name, sink); err != nil {
			t.Fatal(err)
		}
	}
	pubc.waitFor("publish failed NetStream.Publish.BadName Not allowed to publish refused")
	pubc.waitFor("publish failed NetStream.Publish.BadName main.lua:7: no way")
	h, _ := e.srv.Publish(pubc.c, "live", sink)
	pubc.waitFor("publish started live")

	sub := e.connect("rtmfp://host/")
	subs := &fakeSubscriber{log: sub.conn.log}
	e.srv.Subscribe(sub.c, "secret", subs)
	sub.waitFor("play failed NetStream.Play.Failed Not authorized to play secret")
	s, _ := e.srv.Subscribe(sub.c, "live?e=5&st=x", subs)
	sub.waitFor("play started live")

	e.srv.PushMedia(h, &core.MediaPacket{Kind: core.MediaVideo, Time: 40, Payload: []byte{0x17, 0x01, 9}})
	data, _ := amf.AppendAMF0(nil, "hello", 7.0)
	e.srv.PushMedia(h, &core.MediaPacket{Kind: core.MediaData, Time: 41, Payload: data})
	sub.waitFor("media video 40")
	e.mustLua("", `
		local p = mona.publications.live
		assert(p and p.running and p.name == "live")
		local n = 0
		for c, l in pairs(p.listeners) do n = n + 1; assert(l.publication == p and l.st == "x") end
		assert(n == 1, "listeners " .. n)
		assert(p.videoQOS.packets == 1)
	`)
	addr := netip.MustParseAddrPort("10.0.0.1:1234")
	e.srv.AddressChanged(sub.c, addr)
	var gid core.PeerID
	gid[0] = 7
	m, _ := e.srv.JoinGroup(sub.c, gid, &fakeGroupConn{log: sub.conn.log})
	e.onLoop(func() {})
	e.mustLua("", `
		local g = mona.groups["07`+strings.Repeat("00", 31)+`"]
		assert(g and g:size() == 1, "group listed")
		for id, c in pairs(g.members) do assert(c.id == id) end
	`)
	e.srv.LeaveGroup(m)
	e.srv.Unsubscribe(s)
	e.srv.Unpublish(h)
	e.onLoop(func() {})
	e.mustLua("", `_log = table.concat(log, "|")`)
	var got string
	e.onLoop(func() { got = e.h.lookup(e.h.root, "_log").String() })
	want := "publish refused|publish error|publish live|subscribe secret e=nil|subscribe live e=5|video 40 3|data hello 7|moved from 127.0.0.1:5002|join 1|unjoin|unsubscribe live|unpublish live"
	if got != want {
		t.Fatalf("events\n got %s\nwant %s", got, want)
	}
}

func TestCumulusGlobalEvents(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			local c = cumulus
			log = {}
			function onPublish(client, pub) table.insert(log, "publish " .. pub.name .. " by " .. #pub.publisherId) end
			function onUnpublish(client, pub) table.insert(log, "unpublish") end
			function onSubscribe(client, listener) table.insert(log, "subscribe") ; return false end
			function onVideoPacket(client, pub, time, data) table.insert(log, "video " .. time) end
			function onManage() table.insert(log, "manage") end
			function onConnection(client)
				function client:onManage() table.insert(log, "client manage") end
				assert(type(client.address) == "string", "CU addresses are strings")
				assert(cumulus.clients.count == 0)
			end`,
	})
	c := e.connect("rtmfp://host/")
	sink := &fakeSink{log: c.conn.log}
	h, _ := e.srv.Publish(c.c, "cu", sink)
	c.waitFor("publish started cu")
	e.srv.PushMedia(h, &core.MediaPacket{Kind: core.MediaVideo, Time: 9, Payload: []byte{0x17}})
	e.srv.Subscribe(c.c, "cu", &fakeSubscriber{log: c.conn.log})
	c.waitFor("play failed")
	e.onLoop(func() { e.h.OnManage() })
	e.srv.Unpublish(h)
	e.onLoop(func() {})
	e.mustLua("", `
		local s = table.concat(log, "|")
		assert(s == "publish cu by 64|video 9|subscribe|manage|client manage|unpublish", s)
		local n = 0
		for id, cl in cumulus.clients:pairs() do n = n + 1 end
		assert(n == 1 and cumulus.clients.count == 1)
	`)
}

func TestScriptPublication(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			function onConnection(client) end
			function start()
				pub = mona:publish("script")
				assert(pub and mona:publish("script") == nil, "second publish of a running name is nil")
				pub:writeProperties({width = 640})
				pub:pushAudio(10, "\175\001xx")
				pub:pushVideo(20, "\023\001yy")
				pub:pushAMF0Data("onCue", 1)
				pub:flush()
				assert(pub.properties.width == 640 and pub.width == 640)
			end`,
	})
	c := e.connect("rtmfp://host/")
	e.srv.Subscribe(c.c, "script", &fakeSubscriber{log: c.conn.log})
	c.waitFor("play started script")
	e.mustLua("", "start()")
	c.waitFor(`media audio 10 "\xaf\x01xx"`)
	c.waitFor(`media video 20`)
	c.waitFor(`media flush`)
	if err := e.lua("", `mona.publications.script:close(); pub:close()`); err != nil {
		t.Fatal(err)
	}
	c.waitFor("play notify unpublish script")
	err := e.lua("", `
		local p
		for name, x in pairs(mona.publications) do p = x end
		p:pushAudio(1, "x")`)
	if err == nil || !strings.Contains(err.Error(), "You have not the handle") {
		t.Fatalf("push on a publication without handle: %v", err)
	}
}

func TestHandshakeRendezvousIntroduction(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			function onHandshake(protocol, address, path, properties, attempts)
				assert(protocol == "RTMFP" and attempts == 2 and properties.n == 3)
				if path == "/redirect" then return "192.0.2.1:1935", {"192.0.2.2:1935", "myself"} end
			end
			function onRendezVousUnknown(protocol, peerId)
				assert(#peerId == 32)
				return "192.0.2.9:1935"
			end
			function onIntroduction(initiator, target) return target.allowed == true end
			function onConnection(client) end`,
		"redirect/main.lua": ``,
	})
	var res core.HandshakeResult
	e.onLoop(func() {
		res = e.h.OnHandshake(&core.HandshakeRequest{Protocol: "RTMFP", Path: "/redirect", Attempt: 2,
			Properties: map[string]string{"n": "3"}, Address: netip.MustParseAddrPort("127.0.0.1:9")})
	})
	if len(res.Redirect) != 2 || !res.IncludeSelf || res.Redirect[1].String() != "192.0.2.2:1935" {
		t.Fatalf("handshake %+v", res)
	}
	var addrs []netip.AddrPort
	e.onLoop(func() { addrs = e.h.OnRendezVousUnknown(netip.AddrPort{}, core.PeerID{1}) })
	if len(addrs) != 1 || addrs[0].String() != "192.0.2.9:1935" {
		t.Fatalf("rendezvous %v", addrs)
	}
	a, b := e.connect("rtmfp://host/"), e.connect("rtmfp://host/")
	var ok1, ok2 bool
	e.onLoop(func() { ok1 = e.h.OnIntroduction(a.c, a.conn.addr, b.c) })
	e.mustLua("", `mona.clients["`+b.c.HexID()+`"].allowed = true`)
	e.onLoop(func() { ok2 = e.h.OnIntroduction(a.c, a.conn.addr, b.c) })
	if ok1 || !ok2 {
		t.Fatalf("introduction policy: %v %v", ok1, ok2)
	}
}

// TestHotReloadLiveClient edits an app while a client is connected: the
// client stays, its methods (closures of the old code) keep working, and
// new connections get the new code.
func TestHotReloadLiveClient(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			version = 1
			function onConnection(client)
				function client:version() return version, "old closure" end
			end`,
	})
	c := e.connect("rtmfp://host/")
	c.call("version")
	c.waitFor("main result 2 [1 old closure]")
	saveLikeEditor(t, filepath.Join(e.www, "main.lua"), `
		version = 2
		function onConnection(client)
			function client:version() return version, "new closure" end
		end`)
	waitUntil(t, "reload", e.logs.all, func() bool {
		var v string
		e.onLoop(func() { v = e.h.lookup(e.h.root, "version").String() })
		return v == "2"
	})
	c.call("version")
	c.waitFor("main result 2 [2 old closure]")
	d := e.connect("rtmfp://host/")
	d.call("version")
	d.waitFor("main result 2 [2 new closure]")
	var accepted bool
	e.onLoop(func() { accepted = c.c.Accepted() })
	if !accepted {
		t.Fatal("client disconnected by reload")
	}
	// A broken edit keeps version 2 serving.
	os.WriteFile(filepath.Join(e.www, "main.lua"), []byte("version = 3\nfunction ("), 0o644)
	waitUntil(t, "syntax error logged", e.logs.all, func() bool { return e.logs.find("main.lua:2:", "keeping") != "" })
	c.call("version")
	c.waitFor("main result 2 [2 old closure]")
}
