package script

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"nimbus/core"
)

// Regression tests for what running published MonaServer and Cumulus
// applications unchanged revealed. Each Lua snippet is our own and uses the
// API the way those applications do.

// LuaJIT string escapes: apps write binary headers as "\x46\x4c\x56" (an
// FLV header written with io.write) and long literals split with \z.
func TestCompatLuaJITStringEscapes(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": `
			header = "\x46\x4C\x56\x01"
			raw = {__raw="\xFF\x00\x14"}
			joined = "ab\z
			          cd"
			function lineAfterZ() error("here") end
		`,
		"inc/main.lua":  `value = dofile("bytes.lua")`,
		"inc/bytes.lua": `return '\x7f\x80'`,
	})
	th.mustRun("/", `
		assert(header == "FLV\1", "hex escapes: " .. header)
		assert(#raw.__raw == 3 and raw.__raw:byte(1) == 255 and raw.__raw:byte(2) == 0 and raw.__raw:byte(3) == 20)
		assert(joined == "abcd", joined)
		-- other escapes, escaped backslashes, long strings and comments are untouched
		assert("\\x41" == [[\x41]] and #"\\x41" == 4)
		assert("\65\t\"" == 'A\t"')
		assert("\xg1" == "xg1") -- not two hex digits: Lua 5.1 reading kept
	`)
	// \z swallowed a newline: the lines below it keep their numbers.
	err := th.run("/", `lineAfterZ()`)
	if err == nil || !strings.Contains(err.Error(), "main.lua:6: here") {
		t.Fatalf("line numbers after \\z moved: %v", err)
	}
	th.mustRun("/inc", `assert(value == "\127\128")`)
}

func TestCompatLuaJITEscapesRewrite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`x = 1`, `x = 1`},
		{`s = "\x41"`, `s = "\065"`},
		{`s = '\xfF'..'\x00'`, `s = '\255'..'\000'`},
		{`-- "\x41"` + "\n" + `s="\x41"`, `-- "\x41"` + "\n" + `s="\065"`},
		{`--[==[ "\x41" ]==] s=[[\x41]]`, `--[==[ "\x41" ]==] s=[[\x41]]`},
		{`s = "a\"\x41"`, `s = "a\"\065"`},
		{`s = "a\\x41"`, `s = "a\\x41"`},
		{"s = \"a\\z \n\n  b\" x", "s = \"ab\"\n\n x"},
		{`t[ [=[\x41]=] ] = a[1]`, `t[ [=[\x41]=] ] = a[1]`},
		{`s = "\x4`, `s = "\x4`},
		{"s = \"\\x41\nt = 1", "s = \"\\065\nt = 1"},
	} {
		if got := string(luajitEscapes([]byte(c.in))); got != c.want {
			t.Errorf("luajitEscapes(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzLuaJITEscapes: the rewrite never panics and never grows the source
// (\xHH and \DDD have the same length; \z only removes).
func FuzzLuaJITEscapes(f *testing.F) {
	for _, s := range []string{`s = "\x41\z  b"`, `--[[ \x ]] '\x'`, "[==[\\x41", `"\`, "'\\z\r\n\r\n'"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out := luajitEscapes(src)
		if len(out) > len(src) {
			t.Fatalf("rewrite grew %q to %q", src, out)
		}
	})
}

// A TCP client sends right after connect, before the connection is
// established (MonaServer's old TCPSockets sample forwards each message
// that way); the data must wait for the connection, not be refused.
func TestCompatTCPSendWhileConnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(io.LimitReader(c, 10))
		got <- string(b)
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	th := startHost(t, map[string]string{"main.lua": ""})
	th.mustRun("/", fmt.Sprintf(`
		forward = mona:createTCPClient()
		assert(forward:connect("127.0.0.1", %d) == true)
		local err = forward:send("first|")
		assert(err == nil, "send while connecting: " .. tostring(err))
		assert(forward:send("next") == nil)
	`, port))
	select {
	case s := <-got:
		if s != "first|next" {
			t.Fatalf("peer read %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the peer")
	}
	// Without a connection attempt, send still fails.
	th.mustRun("/", `
		local idle = mona:createTCPClient()
		assert(idle:send("x") == "not connected")
	`)
}

// A call assigned to a function's last parameter (the idiom
// `s = (s:gsub(...))`, used by Cumulus apps to quote SQL strings) was
// compiled in place by gopher-lua: wrong argument, clobbered locals, or a
// crash of the VM. A multiple assignment to a name and a field from locals
// stored the field's key in the name.
func TestCompatCallAssignedToLastParameter(t *testing.T) {
	const main = `
		function quote(s)
			if s == nil then return "NULL" end
			s = string.gsub(s, "(['\\])", "\\%1")
			s = (string.gsub(s, "%z", "\\0"))
			return "'" .. s .. "'"
		end
		function keepsLocals(s)
			local before, after = 1, 2
			s = (s:upper())
			return s, before, after
		end
		obj = {}
		function obj:method(a, s)
			local n = 7
			s, a = tostring(s), (tostring(a))
			return a, s, n
		end
		function nested(s)
			local f = function(x) x = (tostring(x) .. "!"); return x end
			s = (f(s))
			return s
		end
		function failsOnLine(s)
			s = (error("boom"))
		end
	`
	th := startHost(t, map[string]string{"main.lua": main})
	th.mustRun("/", `
		assert(quote("it's") == "'it\\'s'", quote("it's"))
		assert(quote(nil) == "NULL")
		local s, b, a = keepsLocals("abc")
		assert(s == "ABC" and b == 1 and a == 2, tostring(s) .. tostring(b) .. tostring(a))
		local x, y, n = obj:method(1, 2)
		assert(x == "1" and y == "2" and n == 7)
		assert(nested("hi") == "hi!")
		-- assignments to globals and fields keep working
		local t = {}
		g, t.k = (tostring(5)), (tostring(6))
		assert(g == "5" and t.k == "6")
		local p, q = (function() return 1, 2 end)()
		assert(p == 1 and q == 2)
		-- a name and a field assigned from locals in one statement
		local v1, v2 = "one", "two"
		h, t.k = v1, v2
		assert(h == "one" and t.k == "two", tostring(h))
		-- table and key are evaluated before any assignment (Lua manual)
		local a, i = {}, 3
		i, a[i] = i + 1, 20
		assert(i == 4 and a[3] == 20 and a[4] == nil)
		a[i], i = 30, i + 1
		assert(i == 5 and a[4] == 30)
		local u = {}
		u, u.k = {}, 1
		assert(u.k == nil)
		local w, z = {}, nil
		z, w.k = (function() return 1, 2 end)()
		assert(z == 1 and w.k == 2)
	`)
	line := 1 + strings.Count(main[:strings.Index(main, `(error("boom"))`)], "\n")
	err := th.run("/", `failsOnLine("x")`)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("main.lua:%d: boom", line)) {
		t.Fatalf("error position after the rewrite: %v", err)
	}
}

// onUnsubscribe runs while the listener still belongs to the publication,
// as in MonaServer and Cumulus: CumulusAdmin stores
// listener.publication.listeners.count-1 as the remaining audience.
func TestCompatUnsubscribeSeesLeavingListener(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": `
			function onConnection(client)
				function client:onUnsubscribe(listener)
					local n = 0
					for c, l in pairs(listener.publication.listeners) do
						n = n + 1
						assert(l == listener or c ~= client)
					end
					counts = (counts or "") .. #listener.publication.listeners .. "/" .. n .. " "
				end
			end`,
		"cu/main.lua": `
			server = cumulus -- a Cumulus app
			function onConnection(client) end
			function onUnsubscribe(client, listener)
				left = (left or "") .. (listener.publication.listeners.count - 1) .. " "
			end`,
	})
	for _, c := range []struct{ url, global, want string }{
		{"rtmfp://host/", "counts", "2/2 1/1 "},
		{"rtmfp://host/cu", "left", "1 0 "},
	} {
		pub := e.connect(c.url)
		h, _ := e.srv.Publish(pub.c, "show"+c.global, &fakeSink{log: pub.conn.log})
		pub.waitFor("publish started")
		var subs []*core.Subscription
		for i := 0; i < 2; i++ {
			sub := e.connect(c.url)
			s, _ := e.srv.Subscribe(sub.c, "show"+c.global, &fakeSubscriber{log: sub.conn.log})
			sub.waitFor("play started")
			subs = append(subs, s)
		}
		for _, s := range subs {
			e.srv.Unsubscribe(s)
		}
		e.srv.Unpublish(h)
		var got string
		e.onLoop(func() {
			a := e.h.root
			if c.global == "left" {
				a, _ = e.h.resolve("/cu")
			}
			got = e.h.lookup(a, c.global).String()
		})
		if got != c.want {
			t.Errorf("%s: listeners seen by onUnsubscribe %q, want %q", c.url, got, c.want)
		}
	}
}

// A QoS object is the same table on every read (MonaServer returns the
// same QualityOfService object): MonaStatus keeps qos.lastLatency on it
// between two calls to estimate congestion.
func TestCompatQoSKeepsScriptFields(t *testing.T) {
	e := startCore(t, map[string]string{"main.lua": ""})
	pub := e.connect("rtmfp://host/")
	h, _ := e.srv.Publish(pub.c, "status", &fakeSink{log: pub.conn.log})
	pub.waitFor("publish started")
	sub := e.connect("rtmfp://host/")
	e.srv.Subscribe(sub.c, "status", &fakeSubscriber{log: sub.conn.log})
	sub.waitFor("play started")
	e.srv.PushMedia(h, &core.MediaPacket{Kind: core.MediaVideo, Time: 1, Payload: []byte{0x17, 1, 0}})
	e.mustLua("", `
		local pub = mona.publications.status
		local function remember(qos) qos.lastLatency = qos.latency + 10 end
		remember(pub.videoQOS)
		assert(pub.videoQOS.lastLatency == pub.videoQOS.latency + 10, "publication QoS forgot")
		assert(pub.audioQOS.lastLatency == nil, "tracks share a table")
		assert(pub.videoQOS.packets >= 1, "counters refreshed")
		for client, listener in pairs(pub.listeners) do
			listener.videoQOS.lastLatency = 3
			assert(listener.videoQOS.lastLatency == 3, "listener QoS forgot")
			assert(type(listener.videoQOS.lostRate) == "number")
			client.writer.qos.mark = true
			assert(client.writer.qos.mark == true, "writer QoS forgot")
		end
	`)
}

// A Cumulus app of the 2012 API rejects with `return "reason"` (CumulusAdmin
// checks a connect key that way). Cumulus since 2012-11, like MonaServer and
// this server, only rejects on error(): the client is accepted, and the log
// says so.
func TestCompatCumulusStringReturnWarns(t *testing.T) {
	e := startCore(t, map[string]string{
		"main.lua": "",
		"old/main.lua": `
			function onConnection(client, response, key)
				client.writer:writeAMFMessage("hello")
				if key ~= "secret" then return "Invalid connect key" end
			end`,
	})
	c := e.connect("rtmfp://host/old", nil, "wrong")
	c.waitFor("accept")
	if s := e.logs.find("WARN", "Invalid connect key", "only error() rejects"); s == "" {
		t.Fatalf("no warning for a string returned by onConnection:\n%s", e.logs.all())
	}
	ok := e.connect("rtmfp://host/old", nil, "secret")
	ok.waitFor("accept")
	if n := strings.Count(e.logs.all(), "only error() rejects"); n != 1 {
		t.Fatalf("%d warnings, want 1", n)
	}
}
