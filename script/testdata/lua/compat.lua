-- Lua 5.2 / LuaJIT compatibility of the host.

-- table.pack / table.unpack
local p = table.pack(1, nil, 3)
eq(p.n, 3, "pack.n")
eq(p[3], 3)
eq(select("#", table.unpack({1, 2, 3})), 3, "unpack")

-- bit (LuaJIT semantics: signed 32-bit results)
eq(bit.band(0xff, 0x0f), 0x0f)
eq(bit.bor(1, 2, 4), 7)
eq(bit.bxor(5, 1), 4)
eq(bit.bnot(0), -1)
eq(bit.lshift(1, 31), -2147483648, "lshift to sign bit")
eq(bit.rshift(-1, 28), 15, "logical shift")
eq(bit.arshift(-16, 2), -4, "arithmetic shift")
eq(bit.tobit(0xffffffff), -1)
eq(bit.tobit(2^32 + 5), 5)
eq(bit.tohex(255), "000000ff")
eq(bit.tohex(255, -2), "FF")
eq(bit.tohex(-1), "ffffffff")
eq(bit.rol(0x80000000, 1), 1)
eq(bit.ror(1, 1), -2147483648)
eq(bit.bswap(0x01020304), 0x04030201)

-- string.format with Lua/C semantics
local obj = setmetatable({}, {__tostring = function() return "OBJ" end})
eq(string.format("%s", obj), "OBJ", "%s honours __tostring")
eq(string.format("%5.1f", "3.14"), "  3.1", "numeric string coercion")
eq(string.format("%d", "42"), "42")
eq(string.format("%g", 123456789), "1.23457e+08", "C precision for %g")
eq(string.format("%g", 0.1), "0.1")
eq(string.format("%q", 'a\nb"c'), '"a\\\nb\\"c"', "%q quoting")
eq(string.format("%x %X %o", 255, 255, 8), "ff FF 10")
eq(string.format("%5s|%-5s|", "ab", "cd"), "   ab|cd   |")
eq(string.format("%c%c", 72, 105), "Hi")
eq(string.format("100%%"), "100%")
fails(function() string.format("%d", "x") end, "number expected")

-- math.huge is infinity
eq(math.huge, 1/0)

-- pairs/ipairs/next on plain tables and on __pairs
local t = {10, 15, 20, 25}
local n = 0
for k, v in pairs(t) do n = n + 1 end
eq(n, 4)
n = 0
for i, v in ipairs(t) do n = n + 1; eq(v, t[i]) end
eq(n, 4)
local custom = setmetatable({}, {__pairs = function(self)
	return function(_, k) if not k then return 1, "one" end end, self, nil
end})
for k, v in pairs(custom) do eq(k, 1); eq(v, "one") end

-- collections: #, pairs, next, CU methods, read-only
eq(#children, 0)
eq(children.count, 0)
eq(next(children), nil)
fails(function() children.x = 1 end, "read%-only")
local iter, snap = children:pairs()
eq(type(iter), "function")

-- os.exit is disabled, io/os/string/table/math are there
fails(function() os.exit(1) end, "disabled")
assert(io.open and os.time and string.rep and table.concat and math.floor)

-- goto (5.2) is supported by gopher-lua
do
	local i = 0
	::again::
	i = i + 1
	if i < 3 then goto again end
	eq(i, 3)
end
