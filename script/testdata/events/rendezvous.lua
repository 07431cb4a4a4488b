-- onRendezVousUnknown (reference §2.1, MonaServer form): a peer asks for a
-- peer ID that no client has; the root application may redirect it.

asked = {}

function onRendezVousUnknown(protocol, peerId)
	table.insert(asked, {protocol = protocol, peerId = peerId})
	if peerId:byte(1) == 1 then
		return "192.0.2.10:1935", {"192.0.2.11:1935"}
	elseif peerId:byte(1) == 2 then
		-- addresses a peer cannot use are dropped by the server
		return "0.0.0.0:1935", "192.0.2.12:0", "224.0.0.1:1935", "192.0.2.13:1935"
	end
end

function test(t)
	local unknown = "01" .. string.rep("00", 31)
	local r = t.rendezvousUnknown("198.51.100.1:4000", unknown)
	eq(#asked, 1)
	eq(asked[1].protocol, "RTMFP")
	eq(#asked[1].peerId, 32, "raw peer ID")
	eq(asked[1].peerId, string.char(1) .. string.rep("\0", 31))
	deepEq(r.redirect, {"192.0.2.10:1935", "192.0.2.11:1935"})
	eq(r.refused, false)
	eq(r.target, nil)

	r = t.rendezvousUnknown("198.51.100.1:4000", "02" .. string.rep("00", 31))
	deepEq(r.redirect, {"192.0.2.13:1935"})

	-- nothing returned: no answer
	r = t.rendezvousUnknown("198.51.100.1:4000", "03" .. string.rep("00", 31))
	eq(#r.redirect, 0)

	-- a known peer is introduced without asking the script
	local h = t.connect("rtmfp://host/")
	local before = #asked
	r = t.introduce("198.51.100.1:4000", h)
	eq(#asked, before)
	eq(r.target, h.client)

	-- only the root application's handler is used (MonaServer)
	t.writeFile("sub/main.lua", "function onRendezVousUnknown() subAsked = true; return '192.0.2.99:1' end")
	t.connect("rtmfp://host/sub")
	r = t.rendezvousUnknown("198.51.100.1:4000", "01" .. string.rep("00", 31))
	deepEq(r.redirect, {"192.0.2.10:1935", "192.0.2.11:1935"})
	eq(children.sub.subAsked, nil)
end
