-- Equivalent of MonaServer's LUATests/Serializers (JSON, XML-RPC parts;
-- AMF parts are in amf.lua) and LUATests/Query, LUATests/XML.

local dateTime = {__time = 1412082917000}
local bytes = {__raw = "\255\000\020"}
local array = {2.7, true, {__type = "test", key = "val"}}
local map = {map = "map", __size = 1}
local mixed = {prop = "prop", "elt1"}
local notmixed = {{prop = "prop"}, "elt1"}

local Object = {
	key1 = "value1", key2 = 2.7, key3 = true, key4 = dateTime, key5 = bytes,
	key6 = array, key7 = map, key8 = {"value", dateTime, bytes, array, map},
	notmixed = mixed,
}

local function expected()
	local o = {}
	for k, v in pairs(Object) do o[k] = v end
	o.notmixed = notmixed -- a mixed table comes back as {assoc, dense...}
	return o
end

local function check(...)
	local args = table.pack(...)
	eq(args.n, 4, "value count")
	eq(args[1], 3.7)
	deepEq(args[2], expected(), "object")
	eq(args[3], nil)
	eq(args[4], "hello")
end

-- JSON
eq(mona:toJSON(), "[]")
eq(select("#", mona:fromJSON("[]")), 0)
eq(mona:toJSON({}), "[[]]")
deepEq(mona:fromJSON("[[]]"), {})
eq(mona:toJSON({{}}), "[[[]]]")
deepEq(mona:fromJSON("[[[]]]"), {{}})
check(mona:fromJSON(mona:toJSON(3.7, Object, nil, "hello")))
-- shapes
eq(mona:toJSON(bytes), '[{"__raw":"/wAU"}]')
eq(mona:toJSON(dateTime), '["2014-09-30T13:15:17.000Z"]')
eq(mona:toJSON({1, 2, 3}), "[[1,2,3]]")
eq(mona:toJSON("a\"b\n"), '["a\\"b\\n"]')
eq(mona:toJSON({__type = "T", x = 1}), '[{"__type":"T","x":1}]')
eq(mona:toJSON(mixed), '[[{"prop":"prop"},"elt1"]]')
-- DAG: the same table twice is fine, a cycle is an error
local shared = {1}
local dag = mona:fromJSON(mona:toJSON({a = shared, b = shared}))
deepEq(dag, {a = {1}, b = {1}})
local cyclic = {}; cyclic.self = cyclic
fails(function() mona:toJSON(cyclic) end, "cyclic")
-- a single top-level value that is not an array
eq(mona:fromJSON('{"a":1}').a, 1)
eq(mona:fromJSON("5"), 5)
-- nulls keep positions
local a, b, c = mona:fromJSON("[1,null,3]")
eq(a, 1); eq(b, nil); eq(c, 3)
local holes = mona:fromJSON("[[1,null,3]]")
eq(holes[3], 3)
-- dates, unicode escapes, invalid input
local d = mona:fromJSON('"2014-09-30T13:15:17.000Z"')
eq(d.__time, 1412082917000); eq(d.year, 2014)
eq(mona:fromJSON('"caf\\u00e9 \\ud83d\\ude00"'), "café 😀")
fails(function() mona:fromJSON("[1,") end, "fromJSON")
fails(function() mona:fromJSON("{'a':1}") end, "fromJSON")

-- XML-RPC
eq(mona:toXMLRPC(), '<?xml version="1.0"?><methodResponse><params></params></methodResponse>')
eq(select("#", mona:fromXMLRPC(mona:toXMLRPC())), 0)
check(mona:fromXMLRPC(mona:toXMLRPC(3.7, Object, nil, "hello")))
local name, x, y = mona:fromXMLRPC([[<?xml version="1.0"?><methodCall><methodName>sum</methodName>
	<params><param><value><i4>1</i4></value></param><param><value>two</value></param></params></methodCall>]])
eq(name, "sum"); eq(x, 1); eq(y, "two")

-- Query
local tab1 = {key1 = "val1", key2 = "val2"}
local tab2 = {key3 = "val3", key4 = 10, key5 = true}
local query = mona:toQuery(tab1, "str#ing", tab2)
-- (MonaServer's own test notes that the order of keys may change)
assert(query:find("str%23ing", 1, true) and query:find("key4=10", 1, true) and query:find("key5=true", 1, true), query)
eq(#query, #"key1=val1&key2=val2&str%23ing&key3=val3&key5=true&key4=10")
local t1, str, t2 = mona:fromQuery(query)
deepEq(t1, tab1); eq(str, "str#ing"); deepEq(t2, tab2)
eq(mona:toQuery({a = "1"}, "x#y"), "a=1&x%23y")
local q = mona:fromQuery("?n=1.5&b=false&s=a+b%20c&d=2014-09-30T13:15:17Z")
eq(q.n, 1.5); eq(q.b, false); eq(q.s, "a b c"); eq(q.d.__time, 1412082917000)

-- XML
local xml = [[<?xml version="1.0" ?><document ><article ><p >This is the first paragraph.</p><h2 class="opt" >Title with opt style</h2></article><article ><p >Some<b >important</b>text.</p></article></document>]]
local test = mona:fromXML(error, xml)
for index, value in ipairs(test) do assert(index <= #test) end
eq(test.xml.version, "1.0")
eq(test.document, test[1])
eq(test.document, test.__value)
eq(test.document.article, test[1][1])
eq(test.document.article, test[1].__value)
eq(test.document.article.p, test[1][1][1])
eq(test.document.article.p, test[1][1].__value)
eq(test.document.article.p.__value, "This is the first paragraph.")
eq(test.document.article.h2.class, "opt")
eq(test[1][2][1][2].__name, "b")
test.document.article.p.__value = "This is the changed paragraph."
assert(mona:toXML(error, test):find("This is the changed paragraph.", 1, true))
test.document.article.p.__value = "This is the first paragraph."
eq(mona:toXML(error, test), xml)
-- error callback, and nil without one
local got
eq(mona:fromXML(function(msg) got = msg end, "<a><b></a>"), nil)
assert(got and got:find("fromXML"), got)
eq(mona:fromXML("<unclosed>"), nil)
fails(function() mona:fromXML(error, "<a></b>") end, "fromXML")
eq(mona:toXML(error, {{__name = "e", k = "a&b", "x<y"}}), '<e k="a&amp;b" >x&lt;y</e>')
