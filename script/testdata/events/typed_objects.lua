-- Typed objects and onTypedObject(type, object) (reference §2.1, §5.1).

classes = {}

function onTypedObject(class, obj)
	table.insert(classes, class)
	eq(obj.__type, class, "__type is set before the event")
	if class == "Person" then
		function obj:describe() return class .. ":" .. self.name end
	elseif class == "Broken" then
		error("cannot attach")
	end
end

function onConnection(client, first)
	connectArg = first
	function client:describe(p) return p:describe() end
	function client:echo(o) return o end
	function client:make() return {__type = "Point", x = 1, y = 2} end
end

function test(t)
	-- typed objects among the connect arguments
	local h = t.connect("rtmfp://host/", {__type = "Person", name = "Ann"})
	eq(classes[1], "Person")
	eq(connectArg:describe(), "Person:Ann")

	-- and among RPC arguments, nested too
	local ok, d = t.call(h, "describe", {__type = "Person", name = "Bob"})
	eq(d, "Person:Bob")
	local _, back = t.call(h, "echo", {list = {{__type = "Person", name = "C"}, {__type = "Point", x = 0}}})
	eq(classes[#classes - 1], "Person")
	eq(classes[#classes], "Point")
	eq(back.list[1].__type, "Person", "the class goes back on the wire")
	eq(back.list[1].name, "C")
	eq(back.list[1].describe, nil, "functions are not serialized")

	-- a typed object made by the script
	local _, p = t.call(h, "make")
	eq(p.__type, "Point"); eq(p.x, 1); eq(p.y, 2)

	-- an error in onTypedObject is logged; the call still runs
	local ok2, e = t.call(h, "echo", {__type = "Broken", v = 1})
	assert(ok2)
	eq(e.__type, "Broken"); eq(e.v, 1)
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("cannot attach"), errs[1])

	-- deserialization by the script raises the event too
	local n = #classes
	local obj = mona:fromAMF(mona:toAMF({__type = "Person", name = "Dee"}))
	eq(#classes, n + 1)
	eq(obj:describe(), "Person:Dee")

	-- an application without the event: resolved by inheritance
	t.writeFile("sub/main.lua", [[
		function onConnection(client)
			function client:describe(p) return p:describe() end
		end]])
	local s = t.connect("rtmfp://host/sub")
	local _, sd = t.call(s, "describe", {__type = "Person", name = "Eve"})
	eq(sd, "Person:Eve")
end
