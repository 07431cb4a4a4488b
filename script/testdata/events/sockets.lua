-- Lua sockets (reference §4.10, MonaServer API): a TCP server and client
-- and two UDP sockets talking over the loopback. Their events are posted
-- by socket goroutines, hence t.wait (polling) rather than FIFO order.

function test(t)
	-- TCP: the server echoes line by line (onData returns the bytes it
	-- consumed; 0 keeps a partial line buffered)
	local lines, got = {}, ""
	local server = mona:createTCPServer()
	function server:onConnection(client)
		serverSide = client
		function client:onData(data)
			local i = data:find("\n", 1, true)
			if not i then return 0 end
			table.insert(lines, data:sub(1, i - 1))
			assert(self:send("echo:" .. data:sub(1, i)) == nil)
			return i
		end
		function client:onDisconnection(addr, err) serverGone = tostring(err) end
	end
	assert(server:start("127.0.0.1", 0) == true)
	assert(server.running and server.port > 0)
	eq(tostring(server.address), "127.0.0.1:" .. server.port)

	local client = mona:createTCPClient()
	function client:onData(data) got = got .. data end -- nil: all consumed
	function client:onDisconnection(addr, err) clientGone = tostring(addr) end
	assert(client:connect("127.0.0.1", server.port) == true)
	t.wait(function() return client.connected and serverSide ~= nil end, "TCP connection")
	eq(tostring(client.peerAddress), "127.0.0.1:" .. server.port)
	eq(tostring(serverSide.peerAddress), tostring(client.address))

	assert(client:send("one\ntwo\npart") == nil)
	t.wait(function() return got == "echo:one\necho:two\n" end, "two echoed lines")
	assert(client:send("ial\n") == nil)
	t.wait(function() return #lines == 3 end, "the rest of the partial line")
	eq(table.concat(lines, ","), "one,two,partial")
	t.wait(function() return got:find("echo:partial\n$") end, "echo of the partial line")

	client:disconnect()
	eq(client.connected, false)
	eq(clientGone, "127.0.0.1:" .. server.port, "onDisconnection(peerAddress)")
	t.wait(function() return serverGone ~= nil end, "server side disconnection")
	eq(serverGone, "nil", "no error for a normal end")
	assert(type(client:send("late")) == "string", "send when disconnected returns the error")
	server:stop()
	eq(server.running, false)

	-- UDP: one socket answers the other
	local a, b = mona:createUDPSocket(), mona:createUDPSocket()
	assert(a:bind("127.0.0.1", 0) == true)
	assert(b:bind("127.0.0.1:0") == true)
	local packets = {}
	function b:onPacket(data, from)
		table.insert(packets, "b<" .. data)
		assert(self:send("re:" .. data, from))
	end
	function a:onPacket(data, from)
		table.insert(packets, "a<" .. data)
		eq(from, tostring(b.address))
	end
	assert(a:send("hi", "127.0.0.1", b.address.port))
	t.wait(function() return #packets == 2 end, "UDP round trip")
	eq(table.concat(packets, "|"), "b<hi|a<re:hi")
	a:close()
	eq(a.address, nil)
	b:close()
	eq(#t.errors(), 0)
end
