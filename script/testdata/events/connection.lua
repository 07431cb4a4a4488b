-- onConnection (reference §2.1, §2.3, §2.4): accept, arguments, returned
-- table, rejection with error(), InvalidApp, failed applications.

seen = {}

function onConnection(client, ...)
	local args = table.pack(...)
	if client.path == "/plain" then
		-- inherited by an app without main.lua: runs here, client.path tells
		table.insert(seen, "plain")
		return
	end
	local mode = args[1]
	-- not yet listed while onConnection runs (with the same peer ID, the
	-- previous connection is still there until this one is accepted)
	assert(mona.clients[client.id] ~= client and clients[client.id] ~= client)
	if args[1] ~= "again" then assert(mona.clients[client.id] == nil) end
	table.insert(seen, mode)
	if mode == "args" then
		eq(args.n, 4)
		eq(args[2], 42)
		eq(args[3], nil, "null keeps its position")
		deepEq(args[4], {a = "b", list = {1, 2}})
		client.kept = "set during onConnection"
		return {index = "page.html", timeout = 7, nested = {x = 1}}
	elseif mode == "reject" then
		error("go away")
	elseif mode == "reject-table" then
		error({reason = "object"})
	elseif mode == "string" then
		return "not a table"
	elseif mode == "false" then
		return false
	end
end

function onDisconnection(client)
	table.insert(seen, "gone " .. tostring(client.kept or client.id:sub(1, 4)))
end

function test(t)
	-- accepted, with arguments; the returned table goes to the response
	-- and to client.parameters
	local h = t.connect("rtmfp://host/", "args", 42, nil, {a = "b", list = {1, 2}})
	eq(seen[1], "args")
	eq(h.info.index, "page.html")
	eq(h.info.timeout, 7)
	eq(h.info.nested.x, 1)
	local c = h.client
	eq(c.kept, "set during onConnection", "fields set in onConnection are kept")
	eq(c.parameters.timeout, 7)
	eq(c.parameters.index, "page.html")
	-- listed once accepted
	eq(mona.clients[h.id], c)
	eq(clients[h.id], c)
	eq(#mona.clients, 1)
	eq(#clients, 1)

	-- error() rejects with the Lua error text (file:line prefix)
	local r = t.tryConnect("rtmfp://host/", "reject")
	eq(r.accepted, false)
	eq(r.code, "NetConnection.Connect.Rejected")
	assert(r.description:find("^main%.lua:%d+: go away$"), r.description)
	eq(mona.clients[r.id], nil, "a rejected client is never listed")
	eq(#mona.clients, 1)
	-- a non-string error object still rejects
	local rt = t.tryConnect("rtmfp://host/", "reject-table")
	eq(rt.code, "NetConnection.Connect.Rejected")
	eq(rt.description, "(error object is a table value)")
	-- rejections are not script errors
	eq(#t.errors(), 0)
	eq(#t.logs("connection rejected:"), 2)

	-- returning a non-table accepts but is an error for MonaServer apps
	local s = t.connect("rtmfp://host/", "string")
	assert(s.accepted)
	local errs = t.errors()
	eq(#errs, 1)
	assert(errs[1]:find("onConnection must return a table or nothing"), errs[1])
	-- false does not reject (MonaServer, Cumulus after 2012-11)
	local f = t.connect("rtmfp://host/", "false")
	assert(f.accepted)
	errs = t.errors()
	assert(#errs == 1 and errs[1]:find("must return a table"), "false is not a table either")

	-- missing folder: InvalidApp; the handlers are not called
	local before = #seen
	local m = t.tryConnect("rtmfp://host/missing/app")
	eq(m.code, "NetConnection.Connect.InvalidApp")
	eq(m.description, "Application /missing/app doesn't exist")
	eq(#seen, before)

	-- a folder without main.lua is an application inheriting everything
	t.writeFile("plain/readme.txt", "no main.lua here")
	local p = t.connect("rtmfp://host/plain/")
	eq(seen[#seen], "plain")
	eq(p.client.path, "/plain", "trailing slash stripped")
	eq(#clients, 3, "each app lists its own clients")
	eq(#children("plain").clients, 1)
	eq(#mona.clients, 4)

	-- an application whose main.lua does not compile, or raises while it
	-- runs, rejects every connection with the error text
	t.writeFile("broken/main.lua", "x = = 1")
	local b = t.tryConnect("rtmfp://host/broken")
	eq(b.code, "NetConnection.Connect.Rejected")
	assert(b.description:find("^broken/main%.lua:1:"), b.description)
	t.writeFile("raises/main.lua", "\nerror('cannot start')")
	local rs = t.tryConnect("rtmfp://host/raises")
	eq(rs.code, "NetConnection.Connect.Rejected")
	eq(rs.description, "raises/main.lua:2: cannot start")
	-- both load failures were logged
	errs = t.errors()
	eq(#errs, 2, table.concat(errs, "\n"))
	assert(errs[1]:find("broken/main.lua:1:"), errs[1])
	assert(errs[2]:find("raises/main.lua:2: cannot start"), errs[2])

	-- the same peer ID connecting again replaces the old connection (RFC
	-- 7016 §3.5.1.3): once the new one is accepted, the old one is closed
	-- and disconnected
	local again = t.connect{url = "rtmfp://host/", args = {"again"}, peerId = h.id}
	assert(h.isClosed(), "old connection closed")
	eq(seen[#seen - 1], "again")
	eq(seen[#seen], "gone set during onConnection")
	eq(mona.clients[h.id], again.client)
	eq(#mona.clients, 4)

	-- disconnection unlists the client
	t.disconnect(again)
	eq(mona.clients[h.id], nil)
	eq(#mona.clients, 3)
end
