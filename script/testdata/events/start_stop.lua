-- onStart(path) / onStop(path) (reference §1.2, §1.5, §2.1): at load, on a
-- hot reload, when main.lua goes away, at shutdown.

-- state kept on mona survives reloads (the application's globals do not)
mona.order = mona.order or {}
local order = mona.order
local function note(s) table.insert(order, s) end
note("run root")

function onStart(path)
	note("start '" .. path .. "'")
	eq(path, "")
end
function onStop(path)
	note("stop '" .. path .. "'")
end

local sub = [[
	table.insert(mona.order, "run sub")
	function onStart(path) table.insert(mona.order, "start " .. path .. " v" .. version) end
	function onStop(path)
		table.insert(mona.order, "stop " .. path .. " v" .. version)
		if mona.recordStop then mona.recordStop(path) end
	end
]]

local function take()
	local s = table.concat(order, "|")
	for i = #order, 1, -1 do order[i] = nil end
	return s
end

function test(t)
	eq(take(), "run root|start ''", "the root is loaded by the server's start")

	-- other applications start on first use, ancestors first
	t.writeFile("a/main.lua", "version = 1\n" .. sub)
	t.writeFile("a/b/main.lua", "version = 1\n" .. sub)
	t.connect("rtmfp://host/a/b")
	eq(take(), "run sub|start /a v1|run sub|start /a/b v1")
	t.connect("rtmfp://host/a")
	eq(take(), "", "started once")

	-- a reload: onStop of the running version, globals cleared, the new
	-- version runs, onStart
	t.reload({["a/main.lua"] = "version = 2\n" .. sub})
	eq(take(), "stop /a v1|run sub|start /a v2")
	eq(children.a.version, 2)

	-- a new version that fails while running: the running one is kept and
	-- started again
	t.reload({["a/main.lua"] = "version = 3\n" .. sub .. "\nerror('broken version')"})
	eq(take(), "stop /a v2|run sub|start /a v2")
	eq(children.a.version, 2)
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("broken version"), errs[1])
	-- one that does not compile is not run at all
	t.reload({["a/main.lua"] = "version = = 4"})
	eq(take(), "")
	errs = t.errors()
	assert(#errs == 1 and errs[1]:find("keeping the running version"), errs[1])
	-- fixed again
	t.reload({["a/main.lua"] = "version = 2\n" .. sub})
	eq(take(), "stop /a v2|run sub|start /a v2")

	-- main.lua deleted: onStop, the folder stays an (empty) application
	t.reload({["a/b/main.lua"] = false})
	eq(take(), "stop /a/b v1")
	eq(rawget(children.a.children.b, "version"), nil, "globals cleared")
	assert(t.connect("rtmfp://host/a/b").accepted)

	-- the root reloads like any application. Its new version records the
	-- onStop calls of the shutdown in data, and checks them after the
	-- restart (afterRestart).
	t.reload({["main.lua"] = [[
		mona.order = mona.order or {}
		table.insert(mona.order, "root v2")
		function onStart(path) table.insert(mona.order, "root start") end
		function mona.recordStop(path) data.stops = (data.stops or "") .. "[" .. path .. "]" end
		function onStop(path) mona.recordStop(path) end
		function afterRestart(t)
			-- at shutdown every running application got onStop, children
			-- first; what they wrote in data was saved
			eq(data.stops, "[/a][]")
			-- started again: the root at once, the others on first use
			eq(children.a, nil)
			t.connect("rtmfp://host/a")
			eq(children.a.version, 2)
		end]]})
	eq(take(), "stop ''|root v2|root start")
end
