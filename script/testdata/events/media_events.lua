-- publication:onAudio / onVideo / onData / onProperties / onFlush
-- (reference §2.6):
-- events on a client's publication, set by the script (usually in
-- client:onPublish).

got = {}
local function note(s) table.insert(got, s) end

function onConnection(client)
	function client:onPublish(pub)
		if pub.name ~= "watched" then return end
		function pub:onAudio(time, packet) note("audio " .. time .. " " .. #packet .. " " .. packet:byte(1)) end
		function pub:onVideo(time, packet) note("video " .. time .. " " .. packet) end
		function pub:onData(name, ...)
			local args = table.pack(...)
			note("data " .. tostring(name) .. " n=" .. args.n)
			lastData = args
		end
		function pub:onProperties(props)
			note("properties " .. tostring(props and props.width))
			if props then eq(self.properties.width, props.width) end
		end
		function pub:onFlush() note("flush") end
	end
end

function test(t)
	local h = t.connect("rtmfp://host/")
	local p = t.publish(h, "watched")
	assert(p.ok)

	t.push(p, "audio", 10, "\175\1xyz")
	t.push(p, "video", 20, "\23\1frame")
	t.send(p, 21, "onCue", "a", 2, {k = "v"})
	eq(got[1], "audio 10 5 175")
	eq(got[2], "video 20 \23\1frame")
	eq(got[3], "data onCue n=3")
	eq(lastData[1], "a"); eq(lastData[2], 2); eq(lastData[3].k, "v")

	-- metadata (@setDataFrame): onProperties with the new properties, not
	-- onData; a plain "onMetaData" data message is data like any other;
	-- @clearDataFrame calls onProperties(nil); each flushed batch calls
	-- onFlush.
	got = {}
	t.send(p, 22, "@setDataFrame", "onMetaData", {width = 320})
	deepEq(got, {"properties 320"})
	t.send(p, 23, "onMetaData", {width = 1})
	t.flush(p)
	t.send(p, 24, "@clearDataFrame", "onMetaData")
	deepEq(got, {"properties 320", "data onMetaData n=1", "flush", "properties nil"})
	eq(p.publication.properties, nil)
	p.publication.onFlush = nil

	-- an error in one event is logged; the stream goes on
	got = {}
	local pub = p.publication
	function pub:onVideo() error("decoder crashed") end
	t.push(p, "video", 30, "\23\1x")
	t.push(p, "audio", 31, "\175\1x")
	eq(got[1], "audio 31 3 175")
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("decoder crashed") and errs[1]:find("event=onVideo"), errs[1])

	-- removing the handlers stops the events
	pub.onAudio = nil
	got = {}
	t.push(p, "audio", 32, "\175\1x")
	eq(#got, 0)

	-- a publication without handlers raises nothing
	local q = t.publish(h, "plain")
	t.push(q, "audio", 1, "\175\1x")
	eq(#got, 0)
	-- handlers set later (here from the script) start the events
	function q.publication:onAudio(time) note("late " .. time) end
	t.push(q, "audio", 2, "\175\1x")
	deepEq(got, {"late 2"})
end
