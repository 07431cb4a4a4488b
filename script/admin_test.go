package script

import (
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"nimbus/core"
)

func TestBlacklistFromLua(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			function onConnection(client)
				function client:ban(ip) mona:addToBlacklist(ip) end
				function client:unban(...) mona:removeFromBlacklist(...) end
			end
			function onDisconnection(client) gone = (gone or 0) + 1 end`,
	})
	admin := e.connect("rtmfp://host/")
	victim := e.connect("rtmfp://host/")
	// Both fake clients are on 127.0.0.1: ban another address first, with
	// a port (ignored), then check a bad argument is reported.
	e.mustLua("", `
		mona:addToBlacklist("192.0.2.7:1935", "2001:db8::1")
		local ok, err = pcall(mona.addToBlacklist, mona, "not-an-ip")
		assert(not ok and tostring(err):find('"not%-an%-ip" is not an IP address'), tostring(err))
		ok, err = pcall(mona.addToBlacklist, mona, 42)
		assert(not ok and tostring(err):find("IP address string expected"), tostring(err))
		assert(gone == nil)`)
	e.onLoop(func() {
		bl := e.srv.Blacklist()
		if !bl.Contains(mustAddr("192.0.2.7")) || !bl.Contains(mustAddr("2001:db8::1")) || bl.Len() != 2 {
			t.Errorf("blacklist after addToBlacklist: %d entries", bl.Len())
		}
	})
	admin.call("ban", "127.0.0.1")
	victim.waitFor("close")
	admin.waitFor("close")
	e.mustLua("", `assert(gone == 2 and #mona.clients == 0, "both local clients disconnected")`)
	again := e.connect("rtmfp://host/")
	if !strings.Contains(again.conn.log.find("reject"), "address banned") {
		t.Fatalf("banned address connected: %s", again.conn.log.all())
	}
	e.mustLua("", `mona:removeFromBlacklist("127.0.0.1", "192.0.2.7", "2001:db8::1")`)
	e.onLoop(func() {
		if n := e.srv.Blacklist().Len(); n != 0 {
			t.Errorf("%d addresses still banned", n)
		}
	})
	e.connect("rtmfp://host/").waitFor("accept")
}

func TestVirtualMembersFromLua(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": ``,
		"cu/main.lua": `-- Cumulus app
			function onConnection(client, ...) cumulus.clients:pairs() end`,
	})
	group := strings.Repeat("ab", 32)
	peer := strings.Repeat("0c", 32)
	e.mustLua("", `
		member = mona:joinGroup("`+peer+`", "`+group+`")
		assert(member.id == "`+peer+`" and #member.rawId == 32)
		local g = mona.groups["`+group+`"]
		assert(g and g:size() == 1 and member.group == g, "virtual member makes the group")
		assert(#g.members == 0, "members lists clients only")
		local raw = mona:joinGroup(string.rep("\13", 32), g.rawId)
		assert(g:size() == 2)
		raw:release(); raw:release()
		assert(g:size() == 1, "release is immediate and idempotent")
		assert(raw.group == nil and member.group == g, "a released member has no group")
		local ok, err = pcall(mona.joinGroup, mona, "short", "`+group+`")
		assert(not ok and tostring(err):find("peer id"), tostring(err))`)

	// A client joining the group is told of the virtual member.
	c := e.connect("rtmfp://host/")
	gid, _ := core.ParsePeerID(group)
	if _, err := e.srv.JoinGroup(c.c, gid, &fakeGroupConn{log: c.conn.log}); err != nil {
		t.Fatal(err)
	}
	c.waitFor("neighbour 0c0c0c0c")

	// Cumulus form, from a Cumulus app.
	e.mustLua("/cu", `
		cuMember = cumulus.groups:join("`+strings.Repeat("0d", 32)+`", "`+group+`")
		assert(cumulus.groups["`+group+`"].size == 3)`)
	c.waitFor("neighbour 0d0d0d0d")

	// Reloading the root app releases its members; the Cumulus app's
	// member stays.
	saveLikeEditor(t, filepath.Join(e.www, "main.lua"), `version = 2`)
	waitUntil(t, "reload releases the root app's member", e.logs.all, func() bool {
		size := -1
		e.onLoop(func() { size = e.srv.Group(gid).Size() })
		return size == 2
	})
	e.mustLua("", `mona.servers:broadcast("ping") -- collection methods resolve`)

	// A member the script drops is released by the collector.
	e.mustLua("/cu", `cuMember = nil`)
	waitUntil(t, "collected member released", e.logs.all, func() bool {
		runtime.GC()
		size := -1
		e.onLoop(func() {
			if g := e.srv.Group(gid); g != nil {
				size = g.Size()
			}
		})
		return size == 1
	})
}

func TestOnFailed(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": ``,
		"cu/main.lua": `-- Cumulus app
			events = {}
			function onConnection(client, ...) cumulus.clients:pairs() end
			function onFailed(client, err) table.insert(events, "failed " .. err) end
			function onDisconnection(client) table.insert(events, "disconnected") end`,
	})
	c := e.connect("rtmfp://host/cu")
	d := e.connect("rtmfp://host/cu")
	e.srv.Fail(c.c, "Timeout no client message")
	e.srv.Disconnect(d.c)
	e.mustLua("/cu", `
		assert(#events == 3, #events)
		assert(events[1] == "failed Timeout no client message" and events[2] == "disconnected", events[1])
		assert(events[3] == "disconnected", "a normal end raises no onFailed")`)
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// Cumulus asks every running app that defines onRendezVousUnknown (its
// own), root first; MonaServer asks the root only.
func TestCumulusRendezvousUnknownInEveryApp(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `-- Cumulus root without the event
			function onConnection(client, ...) cumulus.clients:pairs() end`,
		"a/main.lua": `function onRendezVousUnknown(peerId) asked = #peerId end`,
		"b/main.lua": `function onRendezVousUnknown(peerId) return "192.0.2.5:1935" end`,
	}, func(o *Options) { o.Flavours = map[string]Flavour{"": FlavourCumulus} })
	e.connect("rtmfp://host/a").waitFor("accept")
	e.connect("rtmfp://host/b").waitFor("accept")
	var got []netip.AddrPort
	e.onLoop(func() { got = e.h.OnRendezVousUnknown(netip.AddrPort{}, core.PeerID{7}) })
	if len(got) != 1 || got[0].String() != "192.0.2.5:1935" {
		t.Fatalf("addresses %v", got)
	}
	e.mustLua("/a", `assert(asked == 32, "every app defining the event is asked")`)
}

// Publication QoS (MonaStatus reads it): byte rate, last packet time and
// the publisher's latency.
func TestPublicationQoS(t *testing.T) {
	e := startCore(t, map[string]string{"main.lua": ``})
	c := e.connect("rtmfp://host/")
	h, err := e.srv.Publish(c.c, "cam", &fakeSink{log: c.conn.log})
	if err != nil {
		t.Fatal(err)
	}
	c.waitFor("publish started cam")
	e.srv.PushMedia(h, &core.MediaPacket{Kind: core.MediaAudio, Time: 1, Payload: []byte{0xaf, 1, 2, 3}})
	e.mustLua("", `
		local q = mona.publications.cam.audioQOS
		assert(q.packets == 1 and q.bytes == 4, q.bytes)
		assert(q.latency == 21, "half the publisher's 42 ms ping: " .. q.latency)
		assert(math.abs(q.lastSendingTime - mona:time()) < 5000, "last packet time in ms: " .. q.lastSendingTime)
		assert(q.byteRate == 0 or q.byteRate == 4, "bytes during the last complete second")
		assert(mona.publications.cam.videoQOS.lastSendingTime == 0)`)
}
