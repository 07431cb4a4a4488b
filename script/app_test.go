package script

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAppPath(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true}, {"/", "", true}, {"/a", "/a", true}, {"/a/", "/a", true},
		{"/a/b?x=1&y=2", "/a/b", true}, {"a/b/", "/a/b", true},
		{"/a//b", "", false}, {"/../x", "", false}, {"/a/./b", "", false}, {"/.git", "", false},
	} {
		got, ok := AppPath(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("AppPath(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestLazyLoadingAndInheritance(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": `
			order = {}
			rootValue = "root"
			function onStart(path) table.insert(order, "start:" .. path) end
			function getNameApp() return "root" end`,
		"a/main.lua": `
			table.insert(super.order, "run:/a")
			aValue = "a"
			function getNameApp() return "a" end`,
		"a/b/main.lua": `
			table.insert(super.super.order, "run:/a/b")
			function getNameApp() return "b:" .. super:getNameApp() end`,
		"empty/x.txt": "not an app file",
	})
	if got := th.global("", "order"); got == "" {
		t.Fatal("root not loaded")
	}
	th.loop.do(func() {
		if th.h.apps["/a"] != nil {
			t.Error("/a loaded before first use")
		}
	})
	th.mustRun("/a/b", `
		assert(path == "/a/b", "path " .. tostring(path))
		assert(name == "b", "name")
		assert(this.aValue == "a", "inherited from parent")
		assert(rootValue == "root", "inherited from root")
		assert(super.path == "/a" and super.super.path == "", "super chain")
		assert(super.super.super == _G, "root super is _G")
		assert(getNameApp() == "b:a", getNameApp())
		local o = super.super.order
		assert(table.concat(o, ",") == "start:,run:/a,start:/a,run:/a/b,start:/a/b", table.concat(o, ","))
		-- shadowing and re-exposing
		rootValue = "mine"
		assert(rootValue == "mine")
		rootValue = nil
		assert(rootValue == "root")
		assert(getmetatable(this) ~= nil and type(getmetatable(this)) == "string", "protected metatable")
	`)
	th.mustRun("", `
		assert(#children == 1, "children has only loaded apps: " .. #children)
		assert(children.a ~= nil and children.a.aValue == "a")
		assert(children.empty == nil, "not loaded yet")
		local e = children("empty")
		assert(e ~= nil and e.rootValue == "root", "folder without main.lua is a valid app")
		assert(#children == 2)
		assert(children("a/b").path == "/a/b")
		assert(children("nope") == nil)
		local n = 0
		for k, v in pairs(children) do n = n + 1; assert(v.path == "/" .. k) end
		assert(n == 2)
		assert(not pcall(function() children.x = 1 end), "collections are read-only")
	`)
	var err error
	th.loop.do(func() { _, err = th.h.resolve("/missing") })
	if !errors.Is(err, ErrNoApp) {
		t.Fatalf("missing app: %v", err)
	}
	th.loop.do(func() { _, err = th.h.resolve("/a/x.txt") })
	if !errors.Is(err, ErrNoApp) {
		t.Fatalf("file is not an app: %v", err)
	}
}

func TestCumulusNameAccess(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua":              `cumulus.x = 1; rootMark = true`,
		"Games/main.lua":        `gamesMark = true; local c = cumulus`,
		"Games/myGame/main.lua": `function who() return myGame, Games, www end; local c = cumulus`,
		"Other/main.lua":        `local c = cumulus; function reach() return Games.myGame end`,
	})
	th.mustRun("/Games/myGame", `
		local me, parent, root = who()
		assert(me == this, "self by folder name")
		assert(parent == super, "parent by folder name")
		assert(root == super.super, "root is www")
	`)
	th.mustRun("/Other", `assert(reach().path == "/Games/myGame", "Games.myGame from anywhere")`)
	th.mustRun("", `assert(Other.path == "/Other")`)
}

func TestFlavourDetection(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua":        `function onConnection(client) client.writer:writeInvocation("x") end`,
		"cu/main.lua":     `function onPublish(client, pub) client.writer:writeAMFMessage("x") end`,
		"cu/sub/main.lua": `x = 1`,
		"both/main.lua":   `local a, b = mona, cumulus`,
		"forced/main.lua": `local a = mona`,
	}, func(o *Options) { o.Flavours = map[string]Flavour{"/forced": FlavourCumulus} })
	for path, want := range map[string]Flavour{
		"": FlavourMona, "/cu": FlavourCumulus, "/cu/sub": FlavourCumulus,
		"/both": FlavourMona, "/forced": FlavourCumulus,
	} {
		var got Flavour
		th.loop.do(func() {
			a, err := th.h.resolve(path)
			if err != nil {
				t.Fatal(err)
			}
			got = a.flavour
		})
		if got != want {
			t.Errorf("flavour of %q = %v, want %v", path, got, want)
		}
	}
}

func TestInclude(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua":         `rootLib = "root"`,
		"shared.lua":       `sharedOwner = path; return "shared", path`,
		"a/main.lua":       `local s, p = require("shared.lua"); fromRequire = s .. p`,
		"a/local.lua":      `return path`,
		"a/mod.lua":        `counter = (counter or 0) + 1; return counter`,
		"a/sub/main.lua":   ``,
		"a/sub/helper.lua": `return "helper@" .. path`,
	})
	th.mustRun("/a", `
		assert(fromRequire == "shared", fromRequire)
		assert(super.sharedOwner == "", "chunk found in root folder runs in the root env")
		assert(dofile("local.lua") == "/a")
		local f = loadfile("local.lua"); assert(f() == "/a")
		local f2, err = loadfile("nothing.lua"); assert(f2 == nil and err:find("cannot find"), err)
		assert(require("mod.lua") == 1 and require("mod.lua") == 2, "require of .lua re-executes")
		assert(require("string") == string, "other names use the standard require")
		assert(not pcall(dofile, "nothing.lua"))
	`)
	th.mustRun("/a/sub", `
		assert(dofile("helper.lua") == "helper@/a/sub")
		assert(dofile("local.lua") == "/a", "found in ancestor folder, runs in its env")
	`)
	// Syntax error text in an include.
	writeFiles(t, th.www, map[string]string{"a/bad.lua": "x = = 1"})
	err := th.run("/a", `dofile("bad.lua")`)
	if err == nil || !strings.Contains(err.Error(), "a/bad.lua:1:") {
		t.Fatalf("include syntax error: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua":        ``,
		"syntax/main.lua": "x = 1\nfunction (",
		"run/main.lua":    "x = 1\nerror('boom')",
	})
	for _, c := range []struct{ path, text string }{
		{"/syntax", "syntax/main.lua:2:"},
		{"/run", "run/main.lua:2: boom"},
	} {
		var a *app
		th.loop.do(func() { a, _ = th.h.resolve(c.path) })
		if a == nil || a.state != appFailed || a.loadErr == nil || !strings.Contains(a.loadErr.Text, c.text) {
			t.Fatalf("%s: state %v err %v", c.path, a.state, a.loadErr)
		}
		if th.logs.find("ERROR", c.text) == "" {
			t.Errorf("%s: error not logged:\n%s", c.path, th.logs.all())
		}
		if got := th.global(c.path, "x"); got != "" {
			t.Errorf("%s: env not emptied (x=%s)", c.path, got)
		}
	}
}

func TestEventErrorIsolation(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": `
			function fail() local t = nil; return t.x end
			function ok() return 42 end`,
	})
	th.loop.do(func() {
		_, found, err := th.h.event(th.h.root, "fail")
		if !found || err == nil {
			t.Fatal("expected an error")
		}
		var e *Error
		if !errors.As(err, &e) || e.File != "main.lua" || e.Line != 2 || !errors.Is(err, ErrRuntime) {
			t.Fatalf("error %#v", err)
		}
		rets, _, err := th.h.event(th.h.root, "ok")
		if err != nil || len(rets) != 1 || rets[0].String() != "42" {
			t.Fatalf("server must keep serving: %v %v", rets, err)
		}
	})
	rec := th.logs.find("ERROR", "main.lua:2:", "app=/", "event=fail", "stack=")
	if rec == "" {
		t.Fatalf("error not logged with app, position and stack:\n%s", th.logs.all())
	}
}

func TestRunawayScript(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": `
			function spin() while true do end end
			function spinProtected() while true do pcall(function() while true do end end) end end
			co = coroutine.create(function() while true do coroutine.yield(1) end end)
			function resume() return coroutine.resume(co) end
			function spinCoroutine() local c = coroutine.wrap(function() while true do end end); c() end
			function ok() return "ok" end`,
	}, func(o *Options) { o.Budget = 100 * time.Millisecond })
	for _, ev := range []string{"spin", "spinProtected", "spinCoroutine"} {
		th.loop.do(func() {
			start := time.Now()
			_, _, err := th.h.event(th.h.root, ev)
			if !errors.Is(err, ErrBudgetExceeded) {
				t.Fatalf("%s: %v", ev, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s interrupted after %v", ev, d)
			}
			rets, _, err := th.h.event(th.h.root, "ok")
			if err != nil || rets[0].String() != "ok" {
				t.Fatalf("after %s: %v", ev, err)
			}
			// A coroutine created in an earlier event still runs.
			rets, _, err = th.h.event(th.h.root, "resume")
			if err != nil || rets[0].String() != "true" {
				t.Fatalf("coroutine after %s: %v %v", ev, rets, err)
			}
		})
	}
	if th.logs.find("budget exceeded", "main.lua:") == "" {
		t.Errorf("runaway not logged:\n%s", th.logs.all())
	}
}

func TestLogFunctions(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": "",
		"a/main.lua": `
			local t = setmetatable({}, {__tostring = function() return "T" end})
			INFO("hello ", 1, " ", t)
			WARN("warned")
			ERROR("bad")
			NOTE("note"); DEBUG("dbg"); TRACE("trace")
			print("p", 2)`,
	})
	th.run("/a", "")
	for _, want := range [][]string{
		{"INFO hello 1 T", "lua=a/main.lua:3", "app=/a"},
		{"WARN warned", "lua=a/main.lua:4"},
		{"ERROR bad"}, {"INFO+2 note"}, {"DEBUG dbg"}, {"DEBUG-4 trace"}, {"INFO p\t2"},
	} {
		if th.logs.find(want...) == "" {
			t.Errorf("missing log %q in:\n%s", want, th.logs.all())
		}
	}
}

func TestHotReload(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": `
			log = log or {}
			function record(s) table.insert(log, s) end`,
		"app/main.lua": `
			version = 1
			function onStart(p) super.record("start1") end
			function onStop(p) super.record("stop1") end
			function getVersion() return version end`,
	})
	th.mustRun("/app", `assert(version == 1)`)
	logOf := func() string {
		var s string
		th.mustRun("", `_logText = table.concat(log, ",")`)
		s = th.global("", "_logText")
		return s
	}
	main := filepath.Join(th.www, "app", "main.lua")

	// A held function (like a client's closure) keeps working across reloads.
	th.mustRun("", `held = children.app.getVersion`)

	saveLikeEditor(t, main, `
		version = 2
		function onStart(p) super.record("start2") end
		function onStop(p) super.record("stop2") end
		function getVersion() return version end`)
	th.waitFor("reload to version 2", func() bool { return th.globalOnLoop("/app", "version") == "2" })
	if got := logOf(); got != "start1,stop1,start2" {
		t.Fatalf("sequence %q", got)
	}
	th.mustRun("", `assert(held() == 2, "old closure sees the refilled env")`)

	// Syntax error: logged as file:line: message, running version kept.
	saveLikeEditor(t, main, "version = 3\nfunction (")
	th.waitFor("syntax error logged", func() bool { return th.logs.find("app/main.lua:2:", "keeping the running version") != "" })
	if th.global("/app", "version") != "2" || logOf() != "start1,stop1,start2" {
		t.Fatalf("running version not kept: version=%s log=%s", th.global("/app", "version"), logOf())
	}

	// Runtime error at load: old version restored and restarted.
	saveLikeEditor(t, main, "version = 4\nerror('load failure')")
	th.waitFor("load error logged", func() bool { return th.logs.find("app/main.lua:2: load failure", "keeping") != "" })
	if th.global("/app", "version") != "2" {
		t.Fatalf("version %s after failed load", th.global("/app", "version"))
	}
	if got := logOf(); got != "start1,stop1,start2,stop2,start2" {
		t.Fatalf("sequence %q", got)
	}

	// In-place write (not rename).
	if err := os.WriteFile(main, []byte("version = 5"), 0o644); err != nil {
		t.Fatal(err)
	}
	th.waitFor("reload to version 5", func() bool { return th.globalOnLoop("/app", "version") == "5" })

	// New app folder, created after start, works without restart.
	writeFiles(t, th.www, map[string]string{"late/deeper/main.lua": `late = true`})
	th.waitFor("new folder usable", func() bool {
		a, err := th.h.resolve("/late/deeper")
		return err == nil && th.h.lookup(a, "late").String() == "true"
	})

	// main.lua removed: stopped and emptied, folder stays a valid app.
	if err := os.Remove(main); err != nil {
		t.Fatal(err)
	}
	th.waitFor("app emptied", func() bool { return th.globalOnLoop("/app", "version") == "" })

	// Folder deleted: app stopped and forgotten.
	writeFiles(t, th.www, map[string]string{"gone/main.lua": `function onStop() super.record("gone-stop") end`})
	th.waitFor("gone loaded", func() bool { _, err := th.h.resolve("/gone"); return err == nil })
	if err := os.RemoveAll(filepath.Join(th.www, "gone")); err != nil {
		t.Fatal(err)
	}
	th.waitFor("gone deleted", func() bool { return th.h.apps["/gone"] == nil })
	if !strings.Contains(logOf(), "gone-stop") {
		t.Fatalf("deleted app not stopped: %s", logOf())
	}
}

func TestReloadWithoutWatcher(t *testing.T) {
	th := startHost(t, map[string]string{"main.lua": "v = 1"}, func(o *Options) { o.NoWatch = true })
	if err := os.WriteFile(filepath.Join(th.www, "main.lua"), []byte("v = 2"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(3 * time.Second)
	os.Chtimes(filepath.Join(th.www, "main.lua"), future, future)
	th.loop.do(func() { th.h.root.lastCheck = time.Time{} })
	if got := th.global("", "v"); got != "2" {
		t.Fatalf("v = %s", got)
	}
}
