-- onHandshake (reference §2.1, MonaServer form): redirection by script,
-- resolved in the application of the requested path.

calls = {}

function onHandshake(protocol, address, path, properties, attempts)
	table.insert(calls, {protocol = protocol, address = address, path = path,
		properties = properties, attempts = attempts})
	if path == "/redirect" then
		-- several values, arrays of values, "myself"/"again" for this server
		return "192.0.2.1:1935", {"192.0.2.2:1935", {"192.0.2.3:1936"}}, "myself"
	elseif path == "/again" then
		return "again"
	elseif path == "/bad" then
		return "not an address", 42, "192.0.2.4:1935"
	elseif path == "/fails" then
		error("handshake failure")
	end
	-- nothing: the handshake goes on with this server
end

function test(t)
	local list, self = t.handshake{path = "", attempt = 1, address = "198.51.100.7:5000"}
	eq(#list, 0); eq(self, false)
	local c = calls[1]
	eq(c.protocol, "RTMFP")
	eq(c.address, "198.51.100.7:5000")
	eq(c.path, "")
	eq(c.attempts, 1)

	-- query properties are auto-typed (MonaServer)
	t.writeFile("redirect/main.lua", "")
	list, self = t.handshake{path = "/redirect", attempt = 3,
		properties = {n = "3", flag = "true", s = "text"}}
	deepEq(list, {"192.0.2.1:1935", "192.0.2.2:1935", "192.0.2.3:1936"})
	eq(self, true)
	c = calls[2]
	eq(c.path, "/redirect", "inherited by /redirect, which is loaded for the handshake")
	eq(c.attempts, 3)
	eq(c.properties.n, 3); eq(c.properties.flag, true); eq(c.properties.s, "text")

	t.writeFile("again/main.lua", "")
	list, self = t.handshake{path = "/again"}
	eq(#list, 0); eq(self, true)

	-- what is not ip:port is skipped with a warning
	t.writeFile("bad/main.lua", "")
	list = t.handshake{path = "/bad"}
	deepEq(list, {"192.0.2.4:1935"})
	assert(#t.logs("WARN script: redirection address must be ip:port address=not an address") == 1)

	-- an error is logged and redirects nowhere
	t.writeFile("fails/main.lua", "")
	list, self = t.handshake{path = "/fails"}
	eq(#list, 0); eq(self, false)
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("handshake failure"), errs[1])

	-- an application of its own answers for its path
	t.writeFile("own/main.lua", [[
		function onHandshake(protocol, address, path) return "203.0.113.9:1935" end]])
	list = t.handshake{path = "/own"}
	deepEq(list, {"203.0.113.9:1935"})

	-- no application for the path: no redirection, nothing called
	local before = #calls
	list, self = t.handshake{path = "/missing"}
	eq(#list, 0); eq(self, false)
	eq(#calls, before)
end
