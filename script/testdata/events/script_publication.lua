-- Publications made by the script: mona:publish (reference §4.1) and the
-- push*/flush/close members (§4.4).

published = {}
function onConnection(client)
	function client:onPublish(pub) table.insert(published, pub.name) end
end

function test(t)
	local viewer = t.connect("rtmfp://host/")
	local sub = t.subscribe(viewer, "scripted")
	assert(sub.ok)

	local pub = mona:publish("scripted")
	assert(pub)
	eq(mona:publish("scripted"), nil, "nil while the name runs (no error)")
	eq(#published, 0, "no onPublish for script publications")
	eq(pub.name, "scripted")
	eq(pub.running, true)
	eq(pub.publisher, nil)
	eq(pub.publisherId, 0, "Cumulus: 0 when published by script")
	eq(mona.publications.scripted, pub)
	t.tick()
	deepEq(sub.notices(), {"publish scripted"})

	-- metadata first, then media; flush delivers the batch
	pub:writeProperties({width = 640, title = "t"})
	eq(pub.properties.width, 640)
	eq(pub.title, "t")
	pub:pushAudio(10, "\175\1aa")
	pub:pushVideo(20, "\23\1vv")
	pub:pushAMF0Data("onCue", 1, {k = "v"})
	pub:pushData(mona:toAMF0("onRaw", true))
	pub:pushAMFData(mona:toAMF0("onAMF", 2))
	pub:pushJSONData('["onJSON", 3]')
	pub:pushXMLRPCData('<?xml version="1.0"?><methodResponse><params><param><value><string>onXML</string></value></param><param><value><int>4</int></value></param></params></methodResponse>')
	pub:flush()
	local m = sub.take()
	eq(#m, 8)
	eq(m[1].kind, "data")
	local meta = table.pack(mona:fromAMF(m[1].payload))
	eq(meta[1], "onMetaData"); eq(meta[2].width, 640)
	eq(m[2].kind, "audio"); eq(m[2].time, 10); eq(m[2].payload, "\175\1aa")
	eq(m[3].kind, "video"); eq(m[3].time, 20); eq(m[3].payload, "\23\1vv")
	for i, want in ipairs({{"onCue", 1}, {"onRaw", true}, {"onAMF", 2}, {"onJSON", 3}, {"onXML", 4}}) do
		local d = m[3 + i]
		eq(d.kind, "data")
		eq(d.time, 20, "data carries the last media time")
		local v = table.pack(mona:fromAMF(d.payload))
		eq(v[1], want[1]); eq(v[2], want[2])
	end
	eq(sub.flushes(), 1)
	eq(pub.lastTime, 20)
	eq(pub.audioQOS.packets, 1)
	eq(pub.videoQOS.bytes, 4)
	eq(pub.dataQOS.packets, 5, "metadata is not counted (as in MonaServer)")

	-- clearProperties removes the metadata
	pub:clearProperties()
	eq(pub.properties, nil)
	-- bad arguments
	fails(function() pub:pushAudio(1, 42) end, "bytes expected")
	fails(function() pub:pushJSONData("[not json") end)

	-- close: unpublished, listeners told; closing again does nothing
	pub:close()
	eq(pub.running, false)
	t.tick()
	deepEq(sub.notices(), {"publish scripted", "unpublish scripted"})
	pub:close()
	fails(function() pub:pushAudio(1, "x") end, "You have not the handle on publication scripted")
	-- the name can be published again
	local again = mona:publish("scripted")
	assert(again)

	-- a sub-application's script publications close when it reloads
	t.writeFile("feeder/main.lua", "feed = mona:publish('feed')")
	t.connect("rtmfp://host/feeder")
	local feed = children.feeder.feed
	eq(feed.running, true)
	t.reload({["feeder/main.lua"] = "-- new version"})
	eq(feed.running, false, "closed with the version that created it")
	eq(mona.publications.feed, nil)
	-- and when it stops for good (main.lua deleted)
	t.reload({["feeder/main.lua"] = "feed2 = mona:publish('feed2')"})
	local feed2 = children.feeder.feed2
	eq(feed2.running, true)
	t.reload({["feeder/main.lua"] = false})
	eq(feed2.running, false)
	eq(#t.errors(), 0)
end
