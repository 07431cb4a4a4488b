-- onIntroduction (Nimbus extension, README "policy hooks"): resolved in the
-- target's application, may refuse a P2P introduction. MonaServer always
-- introduces.

asked = {}

function onConnection(client, name, room)
	client.name, client.room = name, room
end

function onIntroduction(initiator, target, address)
	table.insert(asked, (initiator and initiator.name or "nil") .. ">" .. target.name .. "@" .. address)
	if target.name == "broken" then error("policy failure") end
	if target.name == "silent" then return end
	-- only peers of the same room may meet
	return initiator ~= nil and initiator.room == target.room
end

function test(t)
	local alice = t.connect("rtmfp://host/", "alice", "r1")
	local bob = t.connect("rtmfp://host/", "bob", "r1")
	local carol = t.connect("rtmfp://host/", "carol", "r2")
	t.setPeerAddresses(bob, {"10.0.0.2:1935"})
	t.setPeerAddresses(alice, {"10.0.0.1:1935"})

	local r = t.introduce(alice, bob)
	eq(r.refused, false)
	eq(r.target, bob.client)
	eq(asked[1], "alice>bob@" .. alice.address)
	-- the initiator learns where the target is: observed address first,
	-- then the ones it reported; the target learns the initiator's
	deepEq(r.redirect, {bob.address, "10.0.0.2:1935"})
	deepEq(r.forward, {alice.address, "10.0.0.1:1935"})

	r = t.introduce(alice, carol)
	eq(r.refused, true)
	eq(r.target, nil)
	eq(#r.redirect, 0)

	-- an initiator that is not a connected client is passed as nil
	r = t.introduce("198.51.100.9:3000", bob)
	eq(asked[#asked], "nil>bob@198.51.100.9:3000")
	eq(r.refused, true)

	-- nothing returned: allowed
	local silent = t.connect("rtmfp://host/", "silent", "r3")
	r = t.introduce(alice, silent)
	eq(r.refused, false)

	-- an error refuses, and is logged
	local broken = t.connect("rtmfp://host/", "broken", "r1")
	r = t.introduce(alice, broken)
	eq(r.refused, true)
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("policy failure"), errs[1])

	-- resolved in the target's application: an app without the hook
	-- introduces everyone (inherited from here otherwise)
	t.writeFile("open/main.lua", "function onIntroduction() return true end")
	local dave = t.connect("rtmfp://host/open", "dave", "r9")
	local n = #asked
	r = t.introduce(carol, dave)
	eq(r.refused, false)
	eq(#asked, n, "the root's policy was not asked")

	-- a client is never introduced to itself
	r = t.introduce(alice, alice)
	eq(r.refused, true)
end
