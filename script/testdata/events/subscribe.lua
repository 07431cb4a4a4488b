-- client:onSubscribe / client:onUnsubscribe (reference §2.2) and the
-- listener object (§4.5) with its QoS (§4.6).

events = {}
local function note(s) table.insert(events, s) end

function onConnection(client, name)
	client.name = name
	function client:onSubscribe(listener)
		note(self.name .. " subscribe " .. listener.publication.name)
		eq(listener.client, self)
		if listener.publication.name == "secret" then return false end
		if listener.publication.name == "error" then error("forbidden stream") end
		if listener.publication.name == "token" then
			-- SecureLink-style check on the play query
			return listener.e == 5 and listener.st == "x"
		end
	end
	function client:onUnsubscribe(listener)
		note(self.name .. " unsubscribe " .. listener.publication.name)
	end
end

function test(t)
	local viewer = t.connect("rtmfp://host/", "viewer")

	local s = t.subscribe(viewer, "secret")
	eq(s.ok, false)
	eq(s.code, "NetStream.Play.Failed")
	eq(s.description, "Not authorized to play secret")
	s = t.subscribe(viewer, "error")
	eq(s.code, "NetStream.Play.Failed")
	assert(s.description:find("^main%.lua:%d+: forbidden stream$"), s.description)
	eq(#t.errors(), 1)
	s = t.subscribe(viewer, "token?e=4&st=x")
	eq(s.ok, false)
	eq(mona.publications.secret, nil, "a refused listener leaves nothing behind")

	-- accepted before anything publishes: the listener waits
	local tok = t.subscribe(viewer, "token?e=5&st=x&flag=true")
	assert(tok.ok)
	local l = tok.listener
	eq(l.client, viewer.client)
	eq(type(l.id), "number")
	eq(l.publication.name, "token")
	eq(l.publication.running, false)
	eq(l.query, "e=5&st=x&flag=true")
	-- parameters are auto-typed; listener.x falls back to them
	eq(l.parameters.e, 5); eq(l.parameters.st, "x"); eq(l.parameters.flag, true)
	eq(l.e, 5); eq(l.nothing, nil)
	eq(#l.parameters, 3)
	-- mona.publications lists publications with listeners
	eq(mona.publications.token, l.publication)

	-- QoS of each track, as the protocol measures it
	for kind, q in pairs({audio = l.audioQOS, video = l.videoQOS, data = l.dataQOS}) do
		eq(q.lostRate, 0.5, kind)
		eq(q.congestionRate, 0.125)
		eq(q.lastSendingTime, 1700000000000)
		assert(q.byteRate > 0 and q.latency > 0 and q.droppedFrames > 0, kind)
	end
	eq(l.audioQOS.latency, 8); eq(l.videoQOS.latency, 9); eq(l.dataQOS.latency, 18)

	-- subscribing twice to the same name
	local twice = t.subscribe(viewer, "token")
	eq(twice.ok, false)
	eq(twice.description, "Already subscribed to token")

	-- the publisher starts: the waiting listener is told and receives media
	local pubc = t.connect("rtmfp://host/", "publisher")
	local live = t.publish(pubc, "token")
	assert(live.ok)
	deepEq(tok.notices(), {"publish token"})
	local pub = live.publication
	eq(l.publication, pub)
	local n = 0
	for c, listener in pairs(pub.listeners) do
		n = n + 1
		eq(c, viewer.client, "listeners are keyed by client")
		eq(listener, l)
	end
	eq(n, 1)
	eq(#pub.listeners, 1)

	-- receiveAudio / receiveVideo: from the protocol (NetStream.receiveAudio)
	t.push(live, "audio", 1, "\175\1a")
	t.receive(tok, false, true)
	eq(l.receiveAudio, false); eq(l.receiveVideo, true)
	t.push(live, "audio", 2, "\175\1b")
	-- and from the script
	l.receiveAudio = true
	l.receiveVideo = false
	t.push(live, "audio", 3, "\175\1c")
	t.push(live, "video", 4, "\23\1k")
	local media = tok.take()
	eq(#media, 2)
	eq(media[1].time, 1); eq(media[2].time, 3)
	l.receiveVideo = true
	t.push(live, "video", 5, "\23\1k")
	media = tok.take()
	eq(#media, 1); eq(media[1].kind, "video")

	-- the publisher leaves: the listener stays and is told
	t.unpublish(live)
	deepEq(tok.notices(), {"publish token", "unpublish token"})
	eq(mona.publications.token, l.publication, "still listed: a listener waits")

	-- unsubscribing: onUnsubscribe, the publication is forgotten
	t.unsubscribe(tok)
	eq(events[#events], "viewer unsubscribe token")
	eq(mona.publications.token, nil)
	local count = #events
	t.unsubscribe(tok)
	eq(#events, count, "once")

	-- a disconnection unsubscribes
	local again = t.subscribe(viewer, "other")
	assert(again.ok)
	t.disconnect(viewer)
	eq(events[#events], "viewer unsubscribe other")
end
