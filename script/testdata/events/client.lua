-- The client object (reference §4.2): every field.

function onConnection(client)
	function client:hello() return "hi" end
end

function test(t)
	local before = mona:time()
	local h = t.connect{url = "rtmfp://host/?x=1&name=bob&flag=true&enc=a%20b",
		properties = {swfUrl = "http://example.com/player.swf", pageUrl = "http://example.com/page.html",
			capabilities = 239}}
	local c = h.client

	eq(c.id, h.id)
	assert(c.id:match("^%x+$") and #c.id == 64)
	eq(c.rawId, h.rawId)
	eq(#c.rawId, 32)
	eq(c.path, "")
	eq(c.query, "x=1&name=bob&flag=true&enc=a%20b")
	eq(c.protocol, "RTMFP")
	eq(tostring(c.address), h.address)
	eq(c.address.port, tonumber(h.address:match(":(%d+)$")))
	eq(c.ping, 42)
	assert(c.lastReceptionTime >= before and c.lastReceptionTime <= mona:time() + 1, "lastReceptionTime in ms")
	assert(c.elapsedFromReception >= 0 and c.elapsedFromReception < 5000, "Cumulus elapsedFromReception")
	eq(tostring(c.writer):match("^Writer_"), "Writer_")
	assert(tostring(c):match("^Client_"), tostring(c))

	-- properties: the connect object, then the URL query, auto-typed
	local p = c.properties
	eq(p.app, "test")
	eq(p.flashVer, "WIN 32,0,0,0")
	eq(p.tcUrl, h.url)
	eq(p.objectEncoding, 3)
	eq(p.capabilities, 239)
	eq(p.x, 1)
	eq(p.flag, true)
	eq(p.name, "bob")
	eq(p.enc, "a b", "query values are unescaped")
	local n = 0
	for k, v in pairs(p) do n = n + 1 end
	eq(n, 11)
	eq(#p, 11)
	-- called: raw string values of the query, values of the connect object
	local x, flag, app, missing = p("x", "flag", "app", "missing")
	eq(x, "1"); eq(flag, "true"); eq(app, "test"); eq(missing, nil)
	fails(function() p.x = 2 end, "read%-only")

	-- dedicated names for the Flash connect object
	eq(c.swfUrl, "http://example.com/player.swf")
	eq(c.pageUrl, "http://example.com/page.html")
	eq(c.flashVersion, "WIN 32,0,0,0")

	-- unknown fields read the properties
	eq(c.name, "bob")
	eq(c.x, 1)
	eq(c.nothing, nil)

	-- parameters: empty until onConnection returns a table
	eq(#c.parameters, 0)

	-- fields set by the script are kept, per client, and shadow properties
	c.score = 10
	c.name = "alice"
	eq(c.score, 10)
	eq(c.name, "alice")
	eq(c.properties.name, "bob")
	local other = t.connect("rtmfp://host/")
	eq(other.client.score, nil)
	-- methods are fields too
	eq(type(c.hello), "function")
	local ok, v = t.call(h, "hello")
	eq(v, "hi")
	c.hello = nil
	eq(t.call(h, "hello"), false, "method removed")

	-- the object outlives the connection (fields still readable)
	t.disconnect(h)
	eq(c.score, 10)
	eq(c.id, h.id)
	eq(c.ping, 0)
	eq(c.lastReceptionTime, 0)
end
