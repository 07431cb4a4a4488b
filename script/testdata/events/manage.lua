-- onManage (reference §2.1): MonaServer calls the root application's
-- onManage every 2 s; other applications' and clients' onManage are not
-- called (those are Cumulus semantics, see cumulus_events.lua).

ticks = 0
function onManage()
	ticks = ticks + 1
	eq(path, "", "runs in the root application")
end

function onConnection(client)
	function client:onManage() clientTicks = (clientTicks or 0) + 1 end
end

function test(t)
	t.manage()
	eq(ticks, 1)
	t.manage()
	eq(ticks, 2)

	t.writeFile("sub/main.lua", "function onManage() subTicks = (subTicks or 0) + 1 end")
	local h = t.connect("rtmfp://host/sub")
	local w = h.client.writer:newWriter()
	function w:onManage() writerTicks = true end
	t.manage()
	eq(ticks, 3)
	eq(children.sub.subTicks, nil, "only the root's onManage")
	eq(clientTicks, nil, "no client:onManage for MonaServer apps")
	eq(writerTicks, nil)

	-- an error is logged and the next tick runs again
	function onManage() ticks = ticks + 1; error("tick failed") end
	t.manage()
	t.manage()
	eq(ticks, 5)
	local errs = t.errors()
	eq(#errs, 2)
	assert(errs[1]:find("tick failed") and errs[1]:find("event=onManage"), errs[1])
end
