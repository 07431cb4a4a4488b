package script

import (
	"strings"
	"testing"
)

// Equivalents of MonaServer's FunctionalTests (reference §7.1) that are not
// covered elsewhere: LUATests/Require (with module()), subapp inheritance,
// ConnectionRejected over a client, LUATests/Scripts.

func TestFunctionalRequire(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": "",
		"LUATests/Require/main.lua": `
			local subdir = children("subdir")
			function run() subdir.run() end`,
		"LUATests/Require/module2.lua": `local M = {}; local loaded = true; function M.isLoaded() return loaded end; return M`,
		"LUATests/Require/module3.lua": `
			module("module3", package.seeall)
			local loaded3 = true
			function isLoaded() return loaded3 end`,
		"LUATests/Require/module4.lua":        `local M4 = {}; function M4.isLoaded() return true end; return M4`,
		"LUATests/Require/subdir/module1.lua": `local M = {}; function M.isLoaded() return true end; return M`,
		"LUATests/Require/subdir/main.lua": `
			local module1 = dofile("module1.lua")
			local module2 = dofile("module2.lua")
			local module1bis = require("module1.lua")
			local module2bis = require("module2.lua")
			require("module3.lua")
			local file4 = loadfile("module4.lua")
			function run()
				assert(module1.isLoaded())
				assert(module2.isLoaded())
				assert(module3.isLoaded())
				assert(module1bis.isLoaded())
				assert(module2bis.isLoaded())
				local ok, module4 = pcall(file4)
				assert(ok)
				assert(module4.isLoaded())
			end`,
	})
	th.mustRun("/LUATests/Require", "run()")
}

func TestFunctionalSubapp(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			function getNameApp() return "root" end
			function onConnection(client)
				function client:whoami() return getNameApp(), client.path end
			end`,
		"subapp/main.lua": `
			function getNameApp() return "subapp" end
			function onConnection(client)
				client.writer:writeMessage("connected to " .. path .. " parent " .. super:getNameApp())
				function client:whoami() return getNameApp(), super.getNameApp() end
			end`,
		"subapp/subsubapp/main.lua": `
			function getNameApp() return "subsubapp" end
			function parents() return super:getNameApp(), super.super:getNameApp() end`,
	})
	c := e.connect("rtmfp://host/subapp")
	c.waitFor("main result 0 [connected to /subapp parent root]")
	c.call("whoami")
	c.waitFor("main result 2 [subapp root]")
	// subsubapp has no onConnection: the parent's runs, in the parent's
	// environment (M1), and client.path tells the target.
	s := e.connect("rtmfp://host/subapp/subsubapp")
	s.waitFor("main result 0 [connected to /subapp parent root]")
	e.mustLua("/subapp/subsubapp", `
		local a, b = parents()
		assert(a == "subapp" and b == "root")
		assert(#super.clients == 1 and #clients == 1, "each app lists its own clients")`)
	r := e.connect("rtmfp://host/nothere")
	if !strings.Contains(r.conn.log.find("reject"), "InvalidApp") {
		t.Fatal(r.conn.log.all())
	}
}
