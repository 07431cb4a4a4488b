-- flavour: cumulus
-- CumulusServer semantics (reference §2.1, §2.2, §4): global publication
-- and group events with the client first, onManage everywhere, Cumulus
-- argument lists, texts and value types.

log = {}
local function note(s) table.insert(log, s) end

function onConnection(client, ...)
	assert(type(client.address) == "string", "Cumulus addresses are strings")
	function client:onManage() note("client manage " .. client.index) end
	client.index = #log
end

function onPublish(client, pub)
	note("publish " .. pub.name)
	eq(pub.publisherId, client.id)
	if pub.name == "refused" then return false end
	if pub.name == "error" then error("no publishing") end
end
function onUnpublish(client, pub) note("unpublish " .. pub.name) end
function onSubscribe(client, listener)
	note("subscribe " .. listener.publication.name .. " #" .. listener.id)
	return listener.publication.name ~= "secret"
end
function onUnsubscribe(client, listener) note("unsubscribe " .. listener.publication.name) end
function onAudioPacket(client, pub, time, data) note("audio " .. pub.name .. " " .. time .. " " .. #data) end
function onVideoPacket(client, pub, time, data) note("video " .. time) end
function onDataPacket(client, pub, name, data)
	-- data is the AMF after the handler name
	note("data " .. name .. " " .. #data)
	eq(cumulus:fromAMF(data), 7)
end
function onJoinGroup(client, group) note("join " .. group.size) end
function onUnjoinGroup(client, group) note("unjoin " .. group.size) end
function onManage() note("manage root") end

local function take()
	local s = table.concat(log, "|")
	log = {}
	return s
end

function test(t)
	local h = t.connect("rtmfp://host/")
	take()

	-- publications: global events, false or error() refuses
	eq(t.publish(h, "refused").description, "Not allowed to publish refused")
	local e = t.publish(h, "error")
	assert(e.description:find("no publishing"), e.description)
	eq(#t.errors(), 1)
	local live = t.publish(h, "live")
	assert(live.ok)
	eq(take(), "publish refused|publish error|publish live")
	t.push(live, "audio", 5, "\175\1ab")
	t.push(live, "video", 6, "\23\1v")
	t.send(live, 7, "onCue", 7)
	eq(take(), "audio live 5 4|video 6|data onCue 9")

	-- a member event on the client wins over the global one
	function h.client:onUnpublish(pub) note("member unpublish") end
	-- listeners: numeric id; refusal by false
	local viewer = t.connect("rtmfp://host/")
	take()
	eq(t.subscribe(viewer, "secret").description, "Not authorized to play secret")
	local s = t.subscribe(viewer, "live")
	assert(s.ok)
	assert(take():find("^subscribe secret #%d+|subscribe live #%d+$"))
	eq(type(s.listener.id), "number")
	-- publication listeners: :ipairs() and .count
	eq(live.publication.listeners.count, 1)
	for id, l in live.publication.listeners:ipairs() do eq(l, s.listener) end
	t.unsubscribe(s)
	t.unpublish(live)
	eq(take(), "unsubscribe live|member unpublish")
	h.client.onUnpublish = nil

	-- a script publication raises no global event
	local sp = cumulus:publish("scripted")
	sp:pushAudioPacket(1, "xx\175\1a", 2)
	sp:close()
	eq(take(), "")

	-- client:close() on a client's publication stops its publisher
	-- (Cumulus; MonaServer refuses)
	local p2 = t.publish(h, "closable")
	take()
	p2.publication:close()
	t.tick()
	eq(take(), "unpublish closable")
	-- the publisher was told
	local wire = h.wire()
	eq(wire[#wire], "publish stopped NetStream.Unpublish.Success closable is now unpublished")

	-- groups: size is a property
	local m = t.join(h, string.rep("ee", 32))
	t.leave(m)
	eq(take(), "join 1|unjoin 0")

	-- onManage: the root's, every application's own, every client's and
	-- every flow writer's
	t.writeFile("sub/main.lua", "local c = cumulus\nfunction onManage() table.insert(super.log, 'manage sub') end")
	t.writeFile("quiet/main.lua", "local c = cumulus")
	local sub = t.connect("rtmfp://host/sub")
	t.connect("rtmfp://host/quiet")
	local fw = h.client.writer:newFlowWriter()
	function fw:onManage() note("writer manage") end
	take()
	t.manage()
	local ticks = take()
	assert(ticks:find("^manage root|manage sub|"), ticks)
	assert(ticks:find("writer manage"), ticks)
	local _, clientTicks = ticks:gsub("client manage", "")
	eq(clientTicks, 4, "every client: " .. ticks)

	-- collections: Cumulus methods
	eq(cumulus.clients.count, 4)
	local n = 0
	for id, c in cumulus.clients:pairs() do n = n + 1; eq(c.id, id) end
	eq(n, 4)
	eq(cumulus.clients(h.id), h.client)

	-- texts: missing method, missing application
	local ok, desc = t.call(h, "missing")
	eq(ok, false); eq(desc, "Method 'missing' not found")
	local inv = t.tryConnect("rtmfp://host/nothere")
	eq(inv.description, "Applicaton /nothere doesn't exist")

	-- properties and unknown fields: URL query parameters as strings
	local q = t.connect("rtmfp://host/?n=5&flag=true")
	eq(q.client.n, "5")
	eq(q.client.flag, "true")

	-- addresses are strings, onAddressChanged(old) too
	function q.client:onAddressChanged(old) note("moved from " .. old .. " to " .. self.address) end
	t.addressChanged(q, "203.0.113.1:1")
	eq(take(), "moved from " .. q.address .. " to 203.0.113.1:1")

	-- handshake (address, path, properties as strings, attempts) and
	-- rendezvous (peerId only)
	function onHandshake(address, path, properties, attempts)
		note(address .. " " .. path .. " " .. type(properties.n) .. properties.n .. " " .. attempts)
		return "again"
	end
	local list, self = t.handshake{path = "", properties = {n = "1"}, attempt = 2, address = "192.0.2.1:9"}
	eq(take(), "192.0.2.1:9  string1 2")
	eq(self, true)
	function onRendezVousUnknown(peerId) note("unknown " .. #peerId); return "192.0.2.2:1935" end
	local r = t.rendezvousUnknown("192.0.2.1:9", string.rep("99", 32))
	eq(take(), "unknown 32")
	eq(r.redirect[1], "192.0.2.2:1935")

	-- onFailed before onDisconnection
	function onFailed(client, err) note("failed " .. err) end
	function onDisconnection(client) note("gone") end
	t.fail(q, "Timeout no client message")
	eq(take(), "failed Timeout no client message|gone")
	eq(type(cumulus.epochTime), "number")
end
