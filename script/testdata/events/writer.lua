-- The writer object (reference §4.3): client.writer and newWriter().

function test(t)
	local h = t.connect("rtmfp://host/")
	local w = h.client.writer
	h.take()

	w:writeInvocation("onNews", 1, {a = "b"})
	w:writeInvocation() -- the client-side onMessage by default
	w:writeAMFMessage("cu", true) -- Cumulus name of the same
	local m = h.take()
	eq(#m, 3)
	eq(m[1].kind, "invoke"); eq(m[1].writer, "main"); eq(m[1].name, "onNews")
	eq(m[1].args.n, 2); eq(m[1].args[1], 1); eq(m[1].args[2].a, "b")
	eq(m[2].name, "onMessage"); eq(m[2].args.n, 0)
	eq(m[3].name, "cu"); eq(m[3].args[1], true)

	-- outside an RPC writeMessage is a _result of transaction 0
	w:writeMessage("x", 2)
	w:writeAMFResult("y")
	m = h.take()
	eq(m[1].kind, "result"); eq(m[1].tid, 0); eq(m[1].args[1], "x"); eq(m[1].args[2], 2)
	eq(m[2].kind, "result"); eq(m[2].args[1], "y")

	-- writeRaw: one raw message per argument
	w:writeRaw("abc", {__raw = "\0\1"}, 42)
	m = h.take()
	eq(#m, 3)
	eq(m[1].kind, "raw"); eq(m[1].data, "abc")
	eq(m[2].data, "\0\1")
	eq(m[3].data, "42")

	-- writeStatusResponse (Cumulus)
	w:writeStatusResponse("Custom.Code", "described", "k", "v", "n", 3)
	m = h.take()
	eq(m[1].kind, "status"); eq(m[1].level, "status"); eq(m[1].code, "Custom.Code")
	eq(m[1].description, "described"); eq(m[1].extra.k, "v"); eq(m[1].extra.n, 3)

	-- flush, reliable, qos
	eq(w:flush(), true)
	eq(w.reliable, true)
	w.reliable = false
	eq(w.reliable, false)
	w.reliable = true
	local wire = h.wire()
	eq(wire[#wire - 2], "main flush")
	eq(wire[#wire - 1], "main reliable false")
	eq(wire[#wire], "main reliable true")
	local q = w.qos
	eq(q.lostRate, 0.25); eq(q.byteRate, 1000); eq(q.latency, 20)
	for _, f in ipairs({"lastSendingTime", "congestionRate", "droppedFrames"}) do eq(type(q[f]), "number", f) end

	-- values that cannot be serialized raise an error in the script
	local deep = {}
	for i = 1, 1000 do deep = {deep} end
	fails(function() w:writeInvocation("deep", deep) end, "cannot serialize")

	-- newWriter / newFlowWriter: independent channels
	local w1 = w:newWriter()
	local w2 = w:newFlowWriter()
	assert(w1 ~= w and w2 ~= w1)
	w1:writeInvocation("side", 1)
	w2:writeMessage("two")
	m = h.take()
	eq(m[1].writer, "main.1"); eq(m[1].name, "side")
	eq(m[2].writer, "main.2"); eq(m[2].tid, 0)
	w1.tag = "fields can be set on writers"
	eq(w1.tag, "fields can be set on writers")
	-- closing a child writer closes only it; later writes are dropped
	w1:close()
	w1:writeInvocation("ignored")
	eq(w1:flush(), false)
	eq(#h.take(), 0)
	assert(h.wire()[#h.wire()] == "main.1 closed")
	assert(not h.isClosed())
	w1:close()

	-- the writers close with their client
	local other = t.connect("rtmfp://host/")
	local ow = other.client.writer
	local child = ow:newWriter()
	t.disconnect(other)
	child:writeInvocation("late")
	ow:writeInvocation("late")
	eq(ow:flush(), false)
	eq(child:flush(), false)
	eq(#other.take(), 0)

	-- closing the main writer closes the session
	w:close()
	assert(h.isClosed())
	eq(mona.clients[h.id], nil)
	eq(#t.errors(), 0)
end
