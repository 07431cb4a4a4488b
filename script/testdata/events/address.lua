-- client:onAddressChanged(oldAddress) (reference §2.2): RTMFP mobility.

moves = {}
function onConnection(client)
	function client:onAddressChanged(old)
		table.insert(moves, {old = old, new = self.address})
	end
end

function test(t)
	local h = t.connect("rtmfp://host/")
	local first = tostring(h.client.address)
	eq(first, h.address)

	t.addressChanged(h, "203.0.113.5:6000")
	eq(#moves, 1)
	local m = moves[1]
	-- MonaServer apps get SocketAddress objects
	eq(tostring(m.old), first)
	eq(m.old.value, first)
	eq(m.old.host, "127.0.0.1")
	eq(m.old.isIPv6, false)
	eq(tostring(m.new), "203.0.113.5:6000")
	eq(m.new.port, 6000)
	eq(tostring(h.client.address), "203.0.113.5:6000", "client.address follows")
	eq("at " .. h.client.address, "at 203.0.113.5:6000")

	-- the same address again: no event
	t.addressChanged(h, "203.0.113.5:6000")
	eq(#moves, 1)

	-- IPv6
	t.addressChanged(h, "[2001:db8::7]:7000")
	eq(moves[2].new.isIPv6, true)
	eq(moves[2].new.host, "2001:db8::7")
	eq(tostring(moves[2].old), "203.0.113.5:6000")

	-- without the member event nothing is called (and nothing fails)
	h.client.onAddressChanged = nil
	t.addressChanged(h, "203.0.113.6:6000")
	eq(#moves, 2)
	eq(tostring(h.client.address), "203.0.113.6:6000")

	-- the new address is the one peers are sent to
	local other = t.connect("rtmfp://host/")
	local r = t.introduce(other, h)
	eq(r.redirect[1], "203.0.113.6:6000")
end
