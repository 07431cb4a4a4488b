-- client:onPublish / client:onUnpublish (reference §2.2) and the
-- publication object of a client's publication (§4.4).

events = {}
local function note(s) table.insert(events, s) end

function onConnection(client, name)
	client.name = name
	function client:onPublish(pub)
		note(self.name .. " publish " .. pub.name)
		eq(pub.running, true, "running during onPublish")
		eq(pub.publisher, self)
		if pub.name == "refused" then return false end
		if pub.name == "error" then error("not this one") end
		if pub.name == "true" then return true end
	end
	function client:onUnpublish(pub)
		note(self.name .. " unpublish " .. pub.name .. " running=" .. tostring(pub.running))
	end
end

function test(t)
	local a = t.connect("rtmfp://host/", "a")

	-- false refuses with MonaServer's text; error(msg) with msg
	local p = t.publish(a, "refused")
	eq(p.ok, false)
	eq(p.code, "NetStream.Publish.BadName")
	eq(p.description, "Not allowed to publish refused")
	p = t.publish(a, "error")
	eq(p.code, "NetStream.Publish.BadName")
	assert(p.description:find("^main%.lua:%d+: not this one$"), p.description)
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("not this one"), "the refusal by error() is logged")
	eq(mona.publications.refused, nil)
	eq(mona.publications.error, nil)
	-- any other return value accepts
	p = t.publish(a, "true")
	assert(p.ok)

	local live = t.publish(a, "live")
	assert(live.ok)
	eq(events[#events], "a publish live")
	local pub = live.publication
	eq(mona.publications.live, pub, "listed once accepted")
	eq(pub.name, "live")
	eq(tostring(pub), "live")
	eq(pub.running, true)
	eq(pub.publisher, a.client)
	eq(pub.publisherId, a.id, "Cumulus publisherId is the publisher's id")
	eq(pub.lastTime, 0)
	eq(pub.droppedFrames, 0)
	eq(pub.properties, nil, "no metadata yet")
	eq(#pub.listeners, 0)

	-- the name is taken while it runs
	local b = t.connect("rtmfp://host/", "b")
	local busy = t.publish(b, "live")
	eq(busy.ok, false)
	eq(busy.code, "NetStream.Publish.BadName")
	eq(busy.description, "live is already publishing")
	eq(events[#events], "a publish live", "onPublish not called for a busy name")

	-- media updates lastTime and the QoS counters
	t.push(live, "audio", 20, "\175\1aaa")
	t.push(live, "video", 40, "\23\1vvvv")
	t.send(live, 41, "onCue", 1)
	eq(pub.lastTime, 40)
	eq(pub.audioQOS.packets, 1); eq(pub.audioQOS.bytes, 5)
	eq(pub.videoQOS.packets, 1); eq(pub.videoQOS.bytes, 6)
	eq(pub.dataQOS.packets, 1)
	for _, q in ipairs({pub.audioQOS, pub.videoQOS, pub.dataQOS}) do
		for _, f in ipairs({"lostRate", "byteRate", "latency", "lastSendingTime", "congestionRate", "droppedFrames"}) do
			eq(type(q[f]), "number", f)
		end
	end

	-- metadata (@setDataFrame) becomes publication.properties; unknown
	-- pub.x falls back to it
	t.send(live, 42, "@setDataFrame", "onMetaData", {width = 640, codec = "avc"})
	eq(pub.properties.width, 640)
	eq(pub.width, 640)
	eq(pub.codec, "avc")
	eq(pub.nothing, nil)
	t.send(live, 43, "@clearDataFrame")
	eq(pub.properties, nil)

	-- a script cannot push to or close a client's publication
	fails(function() pub:pushAudio(1, "x") end, "You have not the handle on publication live")
	fails(function() pub:close() end, "You have not the handle on publication live")
	eq(pub.running, true)

	-- unpublishing: onUnpublish, then the name is free
	t.unpublish(live)
	eq(events[#events], "a unpublish live running=false")
	eq(pub.running, false)
	eq(mona.publications.live, nil)
	local again = t.publish(b, "live")
	assert(again.ok)
	eq(events[#events], "b publish live")
	-- nobody was waiting for "live": it was forgotten, this is a new one
	assert(again.publication ~= pub and again.publication.name == "live")

	-- a disconnection unpublishes
	t.disconnect(b)
	eq(events[#events], "b unpublish live running=false")
	-- unpublished twice: one event
	local n = #events
	t.unpublish(again)
	eq(#events, n)
end
