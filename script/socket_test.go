package script

import (
	"errors"
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// tcpPairMona is a MonaServer app: a TCP server whose clients consume one
// line per onData call (bytes consumed), and a TCP client connected to it.
const tcpPairMona = `
lines, got, serverGone, clientGone = "", "", nil, nil
server = mona:createTCPServer()
function server:onConnection(client)
	serverClient = client
	function client:onData(data)
		local i = data:find("\n", 1, true)
		if not i then return 0 end -- keep the partial line
		lines = lines .. data:sub(1, i)
		assert(self:send("echo:" .. data:sub(1, i)) == nil)
		return i
	end
	function client:onDisconnection(addr, err)
		serverGone = tostring(addr) .. "|" .. tostring(err)
	end
end
assert(server:start("127.0.0.1", 0) == true)
assert(server.running and server.port > 0)
assert(tostring(server.address) == "127.0.0.1:" .. server.port)
client = mona:createTCPClient()
function client:onData(data) got = got .. data end -- nil: all consumed
function client:onDisconnection(addr, err)
	clientGone = tostring(addr) .. "|" .. tostring(err)
end
assert(client:connect("127.0.0.1:" .. server.port) == true)
assert(client:connect("127.0.0.1", server.port) == false, "connect twice")
`

// tcpPairCumulus is the same with Cumulus semantics: clientHandler and
// onReception returning the bytes left.
const tcpPairCumulus = `
lines, got, serverGone, clientGone = "", "", nil, nil
server = cumulus:createTCPServer()
function server:clientHandler(client)
	serverClient = client
	function client:onReception(data)
		local i = data:find("\n", 1, true)
		if not i then return #data end
		lines = lines .. data:sub(1, i)
		self:send("echo:" .. data:sub(1, i))
		return #data - i
	end
	function client:onDisconnection()
		serverGone = "|" .. tostring(self.error)
	end
end
assert(server:start(0) == true)
client = cumulus:createTCPClient()
function client:onReception(data) got = got .. data; return 0 end
function client:onDisconnection() clientGone = "|" .. tostring(self.error) end
assert(client:connect("127.0.0.1", server.port) == nil)
assert(type(client:connect("127.0.0.1", server.port)) == "string", "connect twice")
`

func TestSocketTCPExchange(t *testing.T) {
	for _, c := range []struct {
		name, path, wantClientGone string
	}{
		{"mona", "", "127.0.0.1:"},
		{"cumulus", "/cu", "|nil"},
	} {
		t.Run(c.name, func(t *testing.T) {
			th := startHost(t, map[string]string{"main.lua": tcpPairMona, "cu/main.lua": tcpPairCumulus})
			if c.path != "" {
				th.mustRun(c.path, `assert(server.running)`) // loads the app
			}
			g := func(name string) string { return th.globalOnLoop(c.path, name) }
			th.waitFor("connected", func() bool { return g("serverClient") != "" && th.tcpConnected(c.path, "client") })
			th.mustRun(c.path, `
				assert(client.connected)
				assert(tostring(client.peerAddress) == "127.0.0.1:" .. server.port)
				assert(client:send("one\ntwo\npart") == nil)`)
			th.waitFor("two lines echoed", func() bool { return g("got") == "echo:one\necho:two\n" })
			if got := g("lines"); got != "one\ntwo\n" {
				t.Fatalf("server lines %q", got)
			}
			th.mustRun(c.path, `assert(client:send("ial\n") == nil)`)
			th.waitFor("rest completed", func() bool { return g("lines") == "one\ntwo\npartial\n" })
			th.waitFor("echo of the rest", func() bool { return strings.HasSuffix(g("got"), "echo:partial\n") })

			th.mustRun(c.path, `client:disconnect(); assert(not client.connected)`)
			if got := th.global(c.path, "clientGone"); !strings.HasPrefix(got, c.wantClientGone) || !strings.HasSuffix(got, "|nil") {
				t.Errorf("client onDisconnection: %q", got)
			}
			th.waitFor("server side disconnection", func() bool { return g("serverGone") != "" })
			if got := th.global(c.path, "serverGone"); !strings.HasSuffix(got, "|nil") {
				t.Errorf("server side onDisconnection: %q", got)
			}
			th.mustRun(c.path, `
				local r = client:send("late")
				assert(type(r) == "string", "send when disconnected")
				assert(not serverClient.connected)`)
		})
	}
}

// closedPort returns a loopback port nobody listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestSocketTCPConnectFailure(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": `function onStart() end -- mona`,
		"cu/main.lua": `
			c = cumulus:createTCPClient()
			function c:onDisconnection() failed = tostring(self.error) end`,
	})
	port := strconv.Itoa(closedPort(t))
	th.mustRun("", `
		c = mona:createTCPClient()
		function c:onDisconnection(addr, err) failed = tostring(err) end
		assert(c:connect("127.0.0.1", `+port+`) == true, "the attempt starts")
		assert(c:connect("no port") == false)`)
	th.waitFor("M1 failure event", func() bool { return th.globalOnLoop("", "failed") != "" })
	if got := th.global("", "failed"); !strings.Contains(got, "refused") {
		t.Errorf("M1 error %q", got)
	}
	th.mustRun("/cu", `assert(c:connect("127.0.0.1:`+port+`") == nil); assert(c.connected == false)`)
	th.waitFor("CU failure event", func() bool { return th.globalOnLoop("/cu", "failed") != "" })
	if got := th.global("/cu", "failed"); !strings.Contains(got, "refused") {
		t.Errorf("CU error %q", got)
	}
}

func TestSocketTCPOverflow(t *testing.T) {
	th := startHost(t, map[string]string{"main.lua": `
		server = mona:createTCPServer()
		function server:onConnection(client)
			function client:onData(data) return 0 end -- never consumes
			function client:onDisconnection(addr, err) overflow = tostring(err) end
		end
		assert(server:start("127.0.0.1:0"))
		port = server.port`})
	conn, err := net.Dial("tcp", "127.0.0.1:"+th.global("", "port"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The write fails once the script's side drops the connection.
	go conn.Write(make([]byte, socketMaxUnconsumed+256<<10))
	th.waitFor("overflow", func() bool { return th.globalOnLoop("", "overflow") != "" })
	if got := th.global("", "overflow"); !strings.Contains(got, "overflow") {
		t.Errorf("disconnection error %q", got)
	}
}

func TestSocketUDPPair(t *testing.T) {
	th := startHost(t, map[string]string{
		"main.lua": `
			packets = ""
			a = mona:createUDPSocket()
			b = mona:createUDPSocket()
			assert(a:bind("127.0.0.1", 0) == true)
			assert(b:bind("127.0.0.1:0") == true)
			assert(a:bind("127.0.0.1:0") == false, "bind twice")
			function b:onPacket(data, from)
				packets = packets .. "b<" .. data .. ";"
				local host, port = from:match("^(.*):(%d+)$")
				assert(self:send("re:" .. data, host, tonumber(port)))
			end
			function a:onPacket(data, from)
				assert(from == tostring(b.address), from)
				packets = packets .. "a<" .. data .. ";"
			end
			assert(a:send("hi", "127.0.0.1", b.address.port))`,
		"cu/main.lua": `
			packets = ""
			a = cumulus:createUDPSocket()
			b = cumulus:createUDPSocket()
			assert(b:bind("127.0.0.1:0") == nil)
			function b:onReception(data, from) packets = packets .. "b<" .. data .. ";"; self:send("re:" .. data, from) end
			function a:onReception(data, from) packets = packets .. "a<" .. data .. ";" end
			assert(a:connect(b.address) == nil, "connect binds")
			assert(a.peerAddress == b.address)
			assert(a:send("hi") == nil)`,
	})
	th.waitFor("M1 round trip", func() bool { return th.globalOnLoop("", "packets") == "b<hi;a<re:hi;" })
	th.mustRun("/cu", `assert(a.address ~= nil)`)
	th.waitFor("CU round trip", func() bool { return th.globalOnLoop("/cu", "packets") == "b<hi;a<re:hi;" })
	// A connected socket only hears its peer.
	th.mustRun("/cu", `
		local to = "127.0.0.1:" .. a.address:match(":(%d+)$")
		c = cumulus:createUDPSocket()
		assert(c:send("stranger", to) == nil)
		assert(b:send("friend", to) == nil)`)
	th.waitFor("friend", func() bool { return strings.HasSuffix(th.globalOnLoop("/cu", "packets"), "a<friend;") })
	if got := th.global("/cu", "packets"); strings.Contains(got, "stranger") {
		t.Errorf("connected socket received a stranger's packet: %q", got)
	}
	th.mustRun("/cu", `a:close(); assert(a.address == nil); assert(type(a:send("x")) == "string")`)
}

func TestSocketSendQueueBounded(t *testing.T) {
	tc := newTCPConn(t.Context())
	defer tc.cancel()
	if err := tc.enqueue(make([]byte, socketMaxQueued)); err != nil {
		t.Fatal(err)
	}
	if err := tc.enqueue([]byte{1}); !errors.Is(err, ErrSocketQueueFull) {
		t.Fatalf("enqueue past the limit: %v", err)
	}
}

// dialable reports whether something accepts TCP connections on port.
func dialable(port string) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestSocketsClosedOnReloadAndClose(t *testing.T) {
	const app = `
		version = %d
		server = mona:createTCPServer()
		function server:onConnection(c) function c:onData(d) end end
		assert(server:start("127.0.0.1", 0))
		client = mona:createTCPClient()
		assert(client:connect("127.0.0.1", server.port))
		udp = mona:createUDPSocket()
		assert(udp:bind("127.0.0.1", 0))
		port = server.port`
	th := startHost(t, map[string]string{"main.lua": strings.Replace(app, "%d", "1", 1)})
	port := th.global("", "port")
	th.waitFor("connected", func() bool { return th.tcpConnected("", "client") })
	if !dialable(port) {
		t.Fatal("server not listening")
	}
	saveLikeEditor(t, filepath.Join(th.www, "main.lua"), strings.Replace(app, "%d", "2", 1))
	th.waitFor("reload", func() bool { return th.globalOnLoop("", "version") == "2" })
	if dialable(port) {
		t.Error("the old server still listens after a reload")
	}
	if got := th.global("", "port"); got == port || !dialable(got) {
		t.Errorf("new server port %s (old %s)", got, port)
	}
	th.loop.do(func() { th.h.Close() })
	// Close waits for the socket goroutines' WaitGroup; a goroutine may
	// still be between its deferred Done and its exit, so poll briefly.
	deadline := time.Now().Add(2 * time.Second)
	for {
		n, stacks := socketGoroutines()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d socket goroutines left after Close:\n%s", n, stacks)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// socketGoroutines counts the goroutines running socket code. Close waits
// for them, so none may be left once it returned.
func socketGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "script/socket_tcp.go") || strings.Contains(g, "script/socket_udp.go") {
			n++
			out = append(out, g)
		}
	}
	return n, strings.Join(out, "\n\n")
}

// tcpConnected reports (on the loop) whether the TCP client in global name
// of app path is connected.
func (th *testHost) tcpConnected(path, name string) bool {
	a, err := th.h.resolve(path)
	if err != nil {
		return false
	}
	ud, ok := th.h.lookup(a, name).(*lua.LUserData)
	if !ok {
		return false
	}
	lc, ok := ud.Value.(*luaTCPClient)
	return ok && lc.state == tcpConnected
}
