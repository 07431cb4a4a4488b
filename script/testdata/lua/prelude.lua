-- Helpers for the Lua assert scripts (loaded before each script).

function eq(a, b, msg)
	if a ~= b then
		error((msg or "values differ") .. ": got " .. tostring(a) .. ", want " .. tostring(b), 2)
	end
end

-- deepEq compares values recursively; keys listed in `ignore` are skipped
-- on both sides (e.g. the calendar fields of date tables).
function deepEq(a, b, path, seen)
	path = path or "value"
	seen = seen or {}
	if type(a) ~= "table" or type(b) ~= "table" then
		if a ~= b then
			error(path .. ": got " .. tostring(a) .. ", want " .. tostring(b), 2)
		end
		return
	end
	if seen[a] == b then return end
	seen[a] = b
	local dateA, dateB = rawget(a, "__time"), rawget(b, "__time")
	if dateA or dateB then
		if dateA ~= dateB then error(path .. ": dates differ " .. tostring(dateA) .. " vs " .. tostring(dateB), 2) end
		return
	end
	for k, v in pairs(b) do
		deepEq(rawget(a, k), v, path .. "." .. tostring(k), seen)
	end
	for k, v in pairs(a) do
		if rawget(b, k) == nil then
			error(path .. ": unexpected key " .. tostring(k), 2)
		end
	end
end

function count(t)
	local n = 0
	for _ in pairs(t) do n = n + 1 end
	return n
end

function fails(f, pattern, ...)
	local ok, err = pcall(f, ...)
	if ok then error("expected an error", 2) end
	if pattern and not tostring(err):find(pattern) then
		error("error '" .. tostring(err) .. "' does not match '" .. pattern .. "'", 2)
	end
	return err
end
