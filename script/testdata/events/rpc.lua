-- Client → server RPC (reference §3): function client:name(...) results
-- and errors, writer:writeMessage inside an RPC, missing methods.

function onConnection(client)
	function client:sum(a, b) return a + b end
	function client:many() return 1, "two", {three = 3}, nil, true end
	function client:nothing() self.called = true end
	function client:fail(msg) error(msg) end
	function client:failTable() error({}) end
	function client:echo(...) return ... end
	function client:count(...) return select("#", ...) end
	function client:self() return self == client end
	function client:answerEarly(x)
		-- writeMessage during an RPC is the answer of that call
		self.writer:writeMessage("early", x)
		return "ignored: already answered"
	end
	function client:writeTwice()
		self.writer:writeMessage(1)
		self.writer:writeMessage(2) -- not an answer any more: transaction 0
	end
	function client:otherWriter()
		local w = self.writer:newWriter()
		w:writeMessage("side") -- only the main writer answers a call
		return "main"
	end
	function client:tell(id, text)
		-- another client's writer: a message to it, not this call's answer
		mona.clients[id].writer:writeMessage(text)
		return "told"
	end
	function client:dates(d) return d.year, {__time = 0} end
	function client:bytes(b) return b.__raw, {__raw = "\0\1"} end
	function client:functionValue() return function() end, 1 end
	function client:tooDeep()
		local t = {}
		for i = 1, 1000 do t = {t} end
		return t
	end
	-- onMessage is an ordinary method for RTMFP clients (MonaServer calls
	-- it for WebSocket/HTTP messages without a method name)
	function client:onMessage(...) return "onMessage", ... end
	client.notAFunction = 5
end

function test(t)
	local h = t.connect("rtmfp://host/")
	local c = h.client
	local function call(name, ...) return t.call(h, name, ...) end

	local ok, v = call("sum", 2, 3)
	assert(ok); eq(v, 5)

	-- several results: one _result with every value
	local r = table.pack(call("many"))
	eq(r[1], true)
	eq(r[2], 1); eq(r[3], "two"); eq(r[4].three, 3); eq(r[5], nil); eq(r[6], true)
	eq(r.n, 6)

	-- no results: no _result at all
	eq(call("nothing"), nil)
	eq(c.called, true)

	-- error(): NetConnection.Call.Failed with the error text
	local ok2, desc, code = call("fail", "bad input")
	eq(ok2, false)
	eq(code, "NetConnection.Call.Failed")
	assert(desc:find("^main%.lua:%d+: bad input$"), desc)
	local errs = t.errors()
	eq(#errs, 1, "an RPC error is logged")
	assert(errs[1]:find("bad input") and errs[1]:find("event=method 'fail'"), errs[1])
	local _, tdesc = call("failTable")
	eq(tdesc, "(error object is a table value)")
	eq(#t.errors(), 1)

	-- missing method, or a field that is not a function
	local ok3, mdesc, mcode = call("missing", 1)
	eq(ok3, false)
	eq(mcode, "NetConnection.Call.Failed")
	eq(mdesc, "Method client 'missing' not found in application ")
	local ok4, ndesc = call("notAFunction")
	eq(ok4, false)
	assert(ndesc:find("attempt to call a non%-function object"), ndesc)
	eq(#t.errors(), 1)
	-- the connection stays
	assert(call("sum", 1, 1))

	-- arguments keep their positions and types
	local e = table.pack(call("echo", nil, 1.5, "s", false, {1, 2, x = "y"}))
	eq(e.n, 6)
	eq(e[2], nil); eq(e[3], 1.5); eq(e[4], "s"); eq(e[5], false)
	eq(e[6][1], 1); eq(e[6][2], 2); eq(e[6].x, "y")
	local _, n = call("count", nil, nil, 3)
	eq(n, 3, "nil arguments count")
	local _, isSelf = call("self")
	eq(isSelf, true)

	-- writeMessage inside the RPC answers it; the return values are then
	-- not sent
	local a = table.pack(call("answerEarly", "x"))
	eq(a.n, 3); eq(a[2], "early"); eq(a[3], "x")
	h.take()
	eq(call("writeTwice"), true)
	local msgs = h.take()
	eq(#msgs, 2)
	eq(msgs[1].kind, "result"); eq(msgs[1].tid > 0, true); eq(msgs[1].args[1], 1)
	eq(msgs[2].kind, "result"); eq(msgs[2].tid, 0, "second writeMessage is not an answer"); eq(msgs[2].args[1], 2)
	local ok5, main = call("otherWriter")
	assert(ok5); eq(main, "main")
	msgs = h.take()
	eq(msgs[1].writer, "main.1"); eq(msgs[1].tid, 0); eq(msgs[1].args[1], "side")

	local other = t.connect("rtmfp://host/")
	other.take()
	local okt, told = call("tell", other.id, "psst")
	assert(okt); eq(told, "told")
	msgs = other.take()
	eq(#msgs, 1); eq(msgs[1].tid, 0); eq(msgs[1].args[1], "psst")

	-- dates and bytes cross as such
	local _, year, epoch = call("dates", {__time = 86400000 * 366})
	eq(year, 1971)
	eq(epoch.__time, 0)
	local _, raw, bytes = call("bytes", {__raw = "abc"})
	eq(raw, "abc")
	eq(bytes.__raw, "\0\1")

	-- functions (and userdata) are sent as null
	local f = table.pack(call("functionValue"))
	eq(f.n, 3); eq(f[2], nil); eq(f[3], 1)
	-- results that cannot be serialized: logged, nothing sent
	eq(call("tooDeep"), nil)
	errs = t.errors()
	assert(#errs == 1 and errs[1]:find("cannot serialize"), errs[1])

	-- onMessage is reached like any method
	local om = table.pack(call("onMessage", "hi"))
	eq(om[2], "onMessage"); eq(om[3], "hi")

	-- transaction 0 (no answer expected): results are not sent, an error
	-- is reported as an onStatus error
	h.take()
	eq(t.notify(h, "sum", 1, 2), nil)
	eq(#h.take(), 0)
	local okn, ndesc2, ncode = t.notify(h, "missing")
	eq(okn, false)
	eq(ncode, "NetConnection.Call.Failed")
	eq(ndesc2, "Method client 'missing' not found in application ")
end
