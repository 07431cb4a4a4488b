-- Equivalent of MonaServer's LUATests/Serializers AMF and AMF0 parts, plus
-- references, typed objects (onTypedObject) and the §5 mapping.

local dateTime = {__time = 1412082917000}
local bytes = {__raw = "\255\000\020"}
local array = {2.7, true, {__type = "test", key = "val"}}
local map = {map = "map", __size = 1}
setmetatable(map, {__mode = "k"})
local mixed = {prop = "prop", "elt1"}

local Object = {
	key1 = "value1", key2 = 2.7, key3 = true, key4 = dateTime, key5 = bytes,
	key6 = array, key7 = map, key8 = {"value", dateTime, bytes, array, map},
	mixed = mixed,
}
Object.cyclic = Object

local typedSeen = {}
function onTypedObject(class, obj)
	assert(obj.__type == class)
	table.insert(typedSeen, class)
	obj.hello = function(self) return "typed " .. self.key end
end

for _, encode in ipairs({"toAMF", "toAMF0"}) do
	typedSeen = {}
	local bin = mona[encode](mona, 3.7, Object, nil, "hello")
	local args = table.pack(mona:fromAMF(bin))
	eq(args.n, 4, encode .. " value count")
	eq(args[1], 3.7)
	eq(args[3], nil)
	eq(args[4], "hello")
	local o = args[2]
	eq(o.cyclic, o, encode .. ": cycle preserved")
	eq(o.key1, "value1"); eq(o.key2, 2.7); eq(o.key3, true)
	eq(o.key4.__time, 1412082917000, encode .. ": date")
	eq(o.key4.year, 2014)
	eq(o.key5.__raw, "\255\000\020", encode .. ": bytes")
	eq(o.key6[1], 2.7); eq(o.key6[2], true)
	eq(o.key6[3].__type, "test"); eq(o.key6[3].key, "val")
	eq(o.key6[3]:hello(), "typed val", "onTypedObject attached a method")
	eq(#typedSeen, 1, "onTypedObject once per typed object")
	eq(o.key7.map, "map"); eq(o.key7.__size, 1)
	eq(getmetatable(o.key7).__mode, "k", "weak-keyed dictionary")
	eq(o.key8[1], "value")
	eq(o.key8[2], o.key4, encode .. ": shared date")
	eq(o.key8[3], o.key5, encode .. ": shared bytes table")
	eq(o.key8[4], o.key6, encode .. ": shared array")
	eq(o.key8[5], o.key7, encode .. ": shared dictionary")
	eq(o.mixed.prop, "prop"); eq(o.mixed[1], "elt1")
end

-- Mapping details
local empty = mona:fromAMF(mona:toAMF({}))
eq(type(empty), "table"); eq(next(empty), nil)
eq(mona:fromAMF(mona:toAMF(2^31)), 2^31, "large integers survive")
eq(mona:fromAMF(mona:toAMF(-0.5)), -0.5)
local sparse = mona:fromAMF(mona:toAMF({[1] = "a", [3] = "c"}))
eq(sparse[3] or sparse["3"], "c", "sparse tables keep their entries")
eq(mona:fromAMF(mona:toAMF({[5] = "x", k = 1}))["5"], "x", "numeric keys of an object become names")
local big = string.rep("x", 70000)
eq(mona:fromAMF(mona:toAMF0(big)), big, "long string")
-- byte arrays may also be given as {__raw=...} to fromAMF
eq(mona:fromAMF({__raw = mona:toAMF(5)}), 5)
-- AMF0 bytes: a plain AMF0 number and string
eq(mona:toAMF0(1), "\000\063\240\000\000\000\000\000\000")
eq(mona:toAMF0("a"), "\002\000\001a")
fails(function() mona:fromAMF("\002\000\009ab") end, "fromAMF")
-- collections serialize as their items
local props = mona:fromAMF(mona:toAMF(mona.configs.RTMFP))
eq(props.port, 1935)
