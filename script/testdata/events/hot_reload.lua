-- Hot reload with connected clients (reference §1.5, MonaServer): clients
-- stay, the closures they hold keep working and see the refilled globals,
-- new connections get the new code.

function test(t)
	local v1 = [[
		version = 1
		function onConnection(client)
			function client:version() return version, "v1 closure" end
		end
		function onDisconnection(client) gone = "v" .. version end]]
	t.writeFile("app/main.lua", v1)
	local old = t.connect("rtmfp://host/app")
	local _, v, which = t.call(old, "version")
	eq(v, 1); eq(which, "v1 closure")

	t.reload({["app/main.lua"] = (v1:gsub("version = 1", "version = 2"):gsub("v1 closure", "v2 closure"))})
	assert(not old.isClosed(), "still connected")
	_, v, which = t.call(old, "version")
	eq(v, 2, "the old closure reads the new globals")
	eq(which, "v1 closure")
	local new = t.connect("rtmfp://host/app")
	_, v, which = t.call(new, "version")
	eq(which, "v2 closure")
	eq(#children.app.clients, 2, "the app's client list survives")

	-- the disconnection is handled by the current version
	t.disconnect(old)
	eq(children.app.gone, "v2")

	-- a script publication and a socket of the old version are closed
	t.reload({["app/main.lua"] = "pub = mona:publish('app-pub'); udp = mona:createUDPSocket(); udp:bind('127.0.0.1:0')"})
	local pub, udp = children.app.pub, children.app.udp
	assert(pub.running and udp.address)
	t.reload({["app/main.lua"] = "-- v4"})
	eq(pub.running, false)
	eq(mona.publications["app-pub"], nil)
	eq(udp.address, nil, "socket closed with its version")
	assert(not new.isClosed())
end
