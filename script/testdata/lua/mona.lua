-- mona utilities.

-- time
local t = mona:time()
assert(type(t) == "number" and t > 1.6e12, "time in ms")
assert(math.abs(cumulus.epochTime - t) < 10000, "epochTime")
eq(cumulus, mona, "cumulus is an alias")

-- digests are raw binary, one per argument
local a, b = mona:md5("", "abc")
eq(#a, 16)
eq(bit.tohex(string.byte(a, 1), 2) .. bit.tohex(string.byte(a, 2), 2), "d41d", "md5('')")
eq(#b, 16)
local s = mona:sha256("abc")
eq(#s, 32)
eq(string.byte(s, 1), 0xba)

-- split: separators are a set of characters; 1 = drop empty, 2 = trim
local x, y, z = mona:split("a, b,,c", ",")
eq(x, "a"); eq(y, " b"); eq(z, "")
eq(select("#", mona:split("a, b,,c", ",", 1)), 3)
local p, q, r = mona:split("a, b,,c", ",", 3)
eq(p, "a"); eq(q, "b"); eq(r, "c")
eq(select("#", mona:split("a;b c", "; ")), 3)

-- absolutePath / listPaths
local root = mona:absolutePath("")
assert(root:sub(-1) == "/", root)
assert(mona:absolutePath("/sub"):find("/sub/$"))
local files = mona:listPaths("")
local names = {}
for _, f in ipairs(files) do names[f.name] = f end
assert(names["main.lua"] and not names["main.lua"].isFolder, "main.lua listed")
eq(names["main.lua"].extension, "lua")
eq(names["main.lua"].baseName, "main")
assert(names.sub and names.sub.isFolder, "folder listed")
eq(tostring(names["main.lua"]), names["main.lua"].path)

-- configs (auto-typed, dotted keys nested), arguments, environment
eq(mona.configs["RTMFP.port"], 1935)
eq(mona.configs.RTMFP.port, 1935)
eq(mona.configs.RTMFP.enabled, true)
eq(mona.configs.app.name, "nimbus")
eq(mona.configs["custom.group.key"], "value")
eq(mona.configs.custom.group.key, "value")
eq(mona.RTMFP.port, 1935, "unknown mona.X falls back to configs")
eq(mona.arguments.verbose, true)
eq(mona.environment.NIMBUS_TEST, "yes")
assert(#mona.configs > 0)
fails(function() mona.configs.x = 1 end)
