-- NoDB persistent tables `data` (reference §4.12): per-application
-- subtables, values kept across a hot reload and across a restart.

function test(t)
	data.n = 10
	eq(data.n, "10", "numbers are stored as strings")
	data.flag = true
	data.text = "hello"
	data.tree = {a = 1, deep = {b = "x"}}
	eq(data.tree.a, "1")
	eq(data.tree.deep.b, "x")
	eq(#data, 3, "#data counts the values, not the tables")
	eq(data.count, 3)

	-- assigning over a sub-table is refused and logged
	data.tree = {replaced = true}
	eq(data.tree.a, "1")
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("sub%-table tree"), errs[1])
	data.tree.deep = nil
	eq(data.tree.deep, nil)
	fails(function() data.f = print end)
	t.errors()

	-- each application has its own subtable, reached by name from the parent
	t.writeFile("app/main.lua", [[
		data.visits = (tonumber(data.visits) or 0) + 1
		function onConnection(client) data.last = client.id end]])
	local h = t.connect("rtmfp://host/app")
	local appData = children.app.data
	eq(data.app, appData)
	eq(appData.visits, "1")
	eq(appData.last, h.id)
	eq(children.app.super.data, data)

	-- a reload clears the globals, not the data
	t.reload({["app/main.lua"] = "data.visits = data.visits + 1; version = 2"})
	eq(children.app.version, 2)
	eq(appData.visits, "2")
	eq(children.app.data, appData)

	-- pairs over a data table
	local keys = {}
	for k, v in pairs(appData) do keys[#keys + 1] = k end
	table.sort(keys)
	eq(table.concat(keys, ","), "last,visits")

	data.removed = "soon"
	data.removed = nil
	eq(data.removed, nil)
end

-- After a restart (same www and data folders) the values are re-typed.
function afterRestart(t)
	eq(data.n, 10)
	eq(data.flag, true)
	eq(data.text, "hello")
	eq(data.tree.a, 1)
	eq(data.tree.deep, nil)
	eq(data.removed, nil)
	-- the application's subtable exists before the application is loaded
	eq(data.app.visits, 2)
	t.connect("rtmfp://host/app")
	eq(data.app.visits, "3", "a string again once assigned")
	eq(children.app.data, data.app)
end
