-- Log functions (reference §1.8, §4.14): ERROR WARN NOTE INFO DEBUG TRACE
-- concatenate their arguments; print is tab-separated at INFO.

function test(t)
	local obj = setmetatable({}, {__tostring = function() return "<obj>" end})
	ERROR("e", 1, true)
	WARN("w", nil, obj)
	NOTE("n")
	INFO("i", 2.5)
	DEBUG("d")
	TRACE("t")
	print("p", 1, obj)

	local function one(prefix)
		local l = t.logs(prefix)
		eq(#l, 1, prefix)
		return l[1]
	end
	local line = one("ERROR e1true")
	assert(line:find("lua=main.lua:6"), line)
	assert(line:find("app=/"), line)
	one("WARN wnil<obj>")
	one("NOTE n ")
	one("INFO i2.5 ")
	one("DEBUG d ")
	one("TRACE t ")
	one("INFO p\t1\t<obj>")
	-- ERROR from a script is an error like any other
	local errs = t.errors()
	assert(#errs == 1 and errs[1]:find("^e1true"), errs[1])

	-- in a sub-application the record names it
	t.writeFile("sub/main.lua", "INFO('loaded sub')")
	t.connect("rtmfp://host/sub")
	line = one("INFO loaded sub")
	assert(line:find("app=/sub") and line:find("lua=sub/main.lua:1"), line)
end
