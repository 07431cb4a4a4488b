-- client:onJoinGroup / onUnjoinGroup (reference §2.2), the group object
-- (§4.7), mona.groups, and virtual members (mona:joinGroup).

events = {}
local function note(s) table.insert(events, s) end

function onConnection(client, name)
	client.name = name
	function client:onJoinGroup(group)
		note(self.name .. " join " .. group:size())
		eq(group.members[self.id], self, "a member during onJoinGroup")
	end
	function client:onUnjoinGroup(group)
		note(self.name .. " unjoin " .. group:size())
	end
end

local gid = string.rep("0a", 32)

function test(t)
	local a = t.connect("rtmfp://host/", "a")
	local b = t.connect("rtmfp://host/", "b")
	local c = t.connect("rtmfp://host/", "c")

	local ma = t.join(a, gid)
	deepEq(events, {"a join 1"})
	local g = ma.group
	eq(g.id, gid)
	eq(g.rawId, string.rep("\10", 32))
	eq(tostring(g), gid)
	eq(g:size(), 1, "size is a method (MonaServer)")
	eq(#ma.neighbours(), 0, "first member: nobody to meet")

	local mb = t.join(b, gid)
	local mc = t.join(c, gid)
	eq(g:size(), 3)
	eq(events[3], "c join 3")
	-- newcomers are told about members (and members about them)
	deepEq(mb.neighbours(), {a.id, c.id})
	eq(#mc.neighbours(), 2)

	-- members: collection keyed by hex id; call lookup by hex or raw id
	local n = 0
	for id, client in pairs(g.members) do
		n = n + 1
		eq(client.id, id)
	end
	eq(n, 3)
	eq(#g.members, 3)
	eq(g.members(a.id), a.client)
	eq(g.members(a.rawId), a.client)
	eq(g.members("nobody"), nil)
	-- ipairs over the member clients (Cumulus form, available everywhere)
	local seen = {}
	for i, client in g:ipairs() do seen[#seen + 1] = client.name end
	table.sort(seen)
	eq(table.concat(seen, ","), "a,b,c")

	-- mona.groups: index by hex id, call by hex or raw id
	eq(mona.groups[gid], g)
	eq(mona.groups(gid), g)
	eq(mona.groups(string.rep("\10", 32)), g)
	eq(#mona.groups, 1)

	-- leaving: onUnjoinGroup (size already without the member)
	t.leave(mb)
	eq(events[#events], "b unjoin 2")
	eq(g.members[b.id], nil)
	-- a disconnection leaves the group
	t.disconnect(c)
	eq(events[#events], "c unjoin 1")

	-- a virtual member (a peer of another server) takes a place in the
	-- group and is announced to its neighbours; it is not a client
	local peer = string.rep("77", 32)
	local v = mona:joinGroup(peer, gid)
	eq(v.id, peer)
	eq(v.rawId, string.rep("\119", 32))
	eq(v.group, g)
	eq(g:size(), 2)
	eq(g.members[peer], nil, "members lists clients only")
	eq(ma.neighbours()[#ma.neighbours()], peer)
	-- a group made by a virtual member alone
	local other = mona:joinGroup(peer, string.rep("0b", 32))
	eq(mona.groups[string.rep("0b", 32)]:size(), 1)
	other:release()
	eq(mona.groups[string.rep("0b", 32)], nil, "empty groups are forgotten")
	v:release()
	eq(g:size(), 1)
	fails(function() mona:joinGroup("short", gid) end, "peer id")

	-- the last member leaves: the group is gone
	t.leave(ma)
	eq(events[#events], "a unjoin 0")
	eq(mona.groups[gid], nil)
	eq(#mona.groups, 0)
end
