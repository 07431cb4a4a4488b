-- Applications in sub-folders (reference §1.3, §1.4, MonaServer): the
-- per-app names, inheritance of globals and events, super, children.

function getNameApp() return "root" end
rootValue = "root"

function onConnection(client)
	-- inherited by applications without onConnection: runs in this
	-- (the root's) environment; client.path names the target
	client.handledBy = path
	client.target = client.path
	function client:whoami() return getNameApp(), path end
end

function test(t)
	t.writeFile("subapp/main.lua", [[
		function getNameApp() return "subapp" end
		function onConnection(client)
			client.handledBy = path
			client.parentName = super:getNameApp()
			function client:whoami() return getNameApp(), super.getNameApp() end
		end]])
	t.writeFile("subapp/subsubapp/main.lua", [[
		function getNameApp() return "subsubapp" end
		function parents() return super:getNameApp(), super.super:getNameApp() end
		localOnly = true]])

	-- the deepest app has no onConnection: its parent's runs, with the
	-- parent's environment (M1)
	local deep = t.connect("rtmfp://host/subapp/subsubapp")
	eq(deep.client.handledBy, "/subapp")
	eq(deep.client.parentName, "root")
	local _, who, from = t.call(deep, "whoami")
	eq(who, "subapp"); eq(from, "root")

	local sub = t.connect("rtmfp://host/subapp")
	eq(sub.client.handledBy, "/subapp")

	-- per-app names: path, name, this, super, children, clients
	local s, ss = children.subapp, children("subapp/subsubapp")
	eq(s.path, "/subapp"); eq(s.name, "subapp")
	eq(ss.path, "/subapp/subsubapp"); eq(ss.name, "subsubapp")
	eq(ss.this, ss)
	eq(ss.super, s); eq(s.super, this); eq(super, _G, "the root's super is _G")
	eq(path, ""); eq(name, "")
	eq(s.children.subsubapp, ss)
	eq(#ss.clients, 1); eq(#s.clients, 1); eq(#clients, 0)

	-- globals: inherited, shadowed, re-exposed by nil
	eq(ss.rootValue, "root")
	eq(ss.getNameApp(), "subsubapp")
	local a, b = ss.parents()
	eq(a, "subapp"); eq(b, "root")
	s.rootValue = "shadowed"
	eq(ss.rootValue, "shadowed")
	s.rootValue = nil
	eq(ss.rootValue, "root")
	eq(localOnly, nil, "a child's globals are not the parent's")
	-- environments are protected
	eq(type(getmetatable(s)), "string")
	fails(function() setmetatable(s, {}) end)

	-- a folder without main.lua inherits everything, including events
	t.writeFile("empty/x.txt", "")
	local e = t.connect("rtmfp://host/empty")
	eq(e.client.handledBy, "", "root's onConnection in root's environment")
	eq(e.client.target, "/empty")
	local _, ewho, epath = t.call(e, "whoami")
	eq(ewho, "root"); eq(epath, "")

	-- children("x") loads on demand; names starting with "." never are apps
	t.writeFile("later/main.lua", "loaded = true")
	eq(children.later, nil)
	eq(children("later").loaded, true)
	t.writeFile(".hidden/main.lua", "")
	eq(children(".hidden"), nil)
	eq(t.tryConnect("rtmfp://host/.hidden").code, "NetConnection.Connect.InvalidApp")

	-- onDisconnection goes to the app that accepted the client
	t.writeFile("own/main.lua", [[
		function onConnection(client) end
		function onDisconnection(client) super.ownGone = client.path end]])
	local o = t.connect("rtmfp://host/own")
	t.disconnect(o)
	eq(ownGone, "/own")
end
