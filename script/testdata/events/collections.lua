-- Collections (reference §4.0): pairs/ipairs/next/#/call lookup (M1) and
-- :pairs()/:ipairs()/.count (CU) on the collections of the server objects.

function onConnection(client, name) client.name = name end

local function keys(coll)
	local out = {}
	for k in pairs(coll) do out[#out + 1] = tostring(k) end
	table.sort(out)
	return table.concat(out, ",")
end

function test(t)
	local a = t.connect("rtmfp://host/?q=1", "a")
	local b = t.connect("rtmfp://host/", "b")

	-- mona.clients: hex id → client
	eq(#mona.clients, 2)
	eq(mona.clients.count, 2)
	eq(keys(mona.clients), table.concat({a.id < b.id and a.id or b.id, a.id < b.id and b.id or a.id}, ","))
	eq(mona.clients[a.id], a.client)
	eq(mona.clients(a.id), a.client, "call: hex id")
	eq(mona.clients(a.rawId), a.client, "call: raw id")
	eq(mona.clients("nope"), nil)
	local k, v = next(mona.clients)
	assert(k == a.id or k == b.id)
	eq(mona.clients[k], v)
	-- Cumulus methods: a snapshot, so the collection may change meanwhile
	local n = 0
	for id, c in mona.clients:pairs() do
		n = n + 1
		eq(c.id, id)
	end
	eq(n, 2)
	-- collections are read-only
	fails(function() mona.clients.x = 1 end, "read%-only")

	-- the app's own clients
	eq(#clients, 2)
	eq(clients[b.id], b.client)
	t.writeFile("sub/main.lua", "")
	local s = t.connect("rtmfp://host/sub", "s")
	eq(#clients, 2)
	eq(#children.sub.clients, 1)
	eq(#mona.clients, 3)

	-- children: loaded applications; children("x") loads
	eq(keys(children), "sub")
	eq(children("sub"), children.sub)
	eq(children("nothere"), nil)

	-- publications: by name; a call is refused (MonaServer: use [])
	local p = t.publish(a, "one")
	local q = t.publish(b, "two")
	eq(keys(mona.publications), "one,two")
	eq(#mona.publications, 2)
	eq(mona.publications.count, 2)
	eq(mona.publications.one, p.publication)
	fails(function() return mona.publications("one") end, "use the %[%] operator")
	-- listeners: client → listener
	local l1 = t.subscribe(b, "one")
	local l2 = t.subscribe(s, "one")
	eq(#p.publication.listeners, 2)
	local count = 0
	for client, listener in pairs(p.publication.listeners) do
		count = count + 1
		eq(listener.client, client)
	end
	eq(count, 2)
	eq(p.publication.listeners[b.client], l1.listener)
	eq(p.publication.listeners.count, 2)

	-- groups and members
	local gid = string.rep("cd", 32)
	t.join(a, gid)
	t.join(b, gid)
	eq(#mona.groups, 1)
	eq(keys(mona.groups), gid)
	local g = mona.groups(gid)
	eq(#g.members, 2)
	eq(keys(g.members), keys({[a.id] = 1, [b.id] = 1}))

	-- parameter-like collections: properties, parameters, listener
	-- parameters, configs, arguments, environment
	eq(keys(a.client.properties), "app,flashVer,objectEncoding,pageUrl,q,swfUrl,tcUrl")
	eq(a.client.properties.count, 7)
	local l3 = t.subscribe(a, "two?x=1&y=z")
	eq(keys(l3.listener.parameters), "x,y")
	eq(#l3.listener.parameters, 2)
	eq(mona.configs["RTMFP.port"], 1935)
	eq(mona.configs.RTMFP.port, 1935)
	eq(mona.arguments.verbose, true)
	assert(#mona.configs >= 2)

	-- ipairs over a collection with numeric keys, and over the CU snapshot
	local items = {}
	for i, x in ipairs(mona.clients) do items[#items + 1] = x end
	eq(#items, 0, "hex keys: nothing for ipairs")
	for _, c in g:ipairs() do items[#items + 1] = c end
	eq(#items, 2)

	-- pairs on something else than a table fails
	fails(function() for _ in pairs(5) do end end)
	fails(function() for _ in pairs(nil) do end end)

	-- collections follow the server
	t.disconnect(s)
	eq(#mona.clients, 2)
	eq(#children.sub.clients, 0)
	eq(#p.publication.listeners, 1)
end
