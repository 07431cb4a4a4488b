-- The mona / cumulus global (reference §4.1), the members that
-- testdata/lua/mona.lua does not cover: server views, servers, blacklist,
-- dump, unsupported functions.

gone = {}
function onDisconnection(client) table.insert(gone, client.id) end

function test(t)
	-- one object, two names, the same in every application
	eq(cumulus, mona)
	t.writeFile("sub/main.lua", "function monaOf() return mona, cumulus end")
	t.connect("rtmfp://host/sub")
	local m1, m2 = children.sub.monaOf()
	eq(m1, mona); eq(m2, mona)
	eq(#mona.clients, 1)

	-- the views follow the server: clients, publications, groups
	local h = t.connect("rtmfp://host/")
	eq(mona.clients[h.id], h.client)
	eq(mona.publications.x, nil)
	local p = t.publish(h, "x")
	eq(mona.publications.x, p.publication)
	t.join(h, string.rep("11", 32))
	eq(mona.groups[string.rep("11", 32)]:size(), 1)

	-- no peer servers: an empty collection whose broadcast does nothing
	eq(#mona.servers, 0)
	eq(mona.servers.count, 0)
	eq(next(mona.servers), nil)
	mona.servers:broadcast("handler", 1, 2)

	-- the blacklist: connected clients from a banned IP are disconnected
	-- at once, new connections from it refused
	local other = t.connect("rtmfp://host/")
	mona:addToBlacklist("127.0.0.1:1935", "192.0.2.1")
	eq(#gone, 3, "every client disconnected (all on 127.0.0.1)")
	assert(h.isClosed() and other.isClosed())
	eq(#mona.clients, 0)
	local refused = t.tryConnect("rtmfp://host/")
	eq(refused.code, "NetConnection.Connect.Rejected")
	eq(refused.description, "address banned")
	fails(function() mona:addToBlacklist("not-an-ip") end, '"not%-an%-ip" is not an IP address')
	fails(function() mona:addToBlacklist(42) end, "IP address string expected")
	mona:removeFromBlacklist("127.0.0.1")
	assert(t.connect("rtmfp://host/").accepted)

	-- dump: a hex dump in the log
	mona:dump("packet", "\0\1\2ABC")
	local l = t.logs("script: dump packet")
	eq(#l, 1)
	assert(l[1]:find("00 01 02 41 42 43"), l[1])
	mona:dump("cut", "abcdef", 2)
	assert(t.logs("script: dump cut")[1]:find("61 62 "), "size limits the dump")

	-- what this server does not provide raises an error
	for _, name in ipairs({"sendMail", "createIPAddress", "createSocketAddress",
			"createIPAddressWithDNS", "createSocketAddressWithDNS"}) do
		fails(function() mona[name](mona, "x") end, "mona:" .. name .. " is not supported")
	end
end
