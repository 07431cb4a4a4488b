package flash

import (
	"net/netip"
	"testing"

	"nimbus/core"
)

func TestScriptRedirect(t *testing.T) {
	target := &app{}
	tsB := startServer(t, target, nil)
	addrB := netip.MustParseAddrPort(tsB.srv.Addrs()[0].String())
	front := &app{handshake: func(req *core.HandshakeRequest) core.HandshakeResult {
		if req.Path == "/elsewhere" && req.Properties["room"] == "7" {
			return core.HandshakeResult{Redirect: []netip.AddrPort{addrB}}
		}
		return core.HandshakeResult{}
	}}
	tsA := startServer(t, front, func(c *Config, _ *core.Options) { c.ScriptRedirect = true })

	c := tsA.mustDial("elsewhere?room=7")
	if tsB.srv.Stats().Connects.Load() != 1 || tsA.srv.Stats().Connects.Load() != 0 {
		t.Fatalf("connects: front %d, target %d", tsA.srv.Stats().Connects.Load(), tsB.srv.Stats().Connects.Load())
	}
	if front.count("handshake /elsewhere") == 0 {
		t.Fatal("the application was not asked")
	}
	c.Close()
	// Without a redirection the handshake continues with the front server.
	tsA.mustDial("here")
	if tsA.srv.Stats().Connects.Load() != 1 {
		t.Fatal("not connected to the front server")
	}
	// Off by default: the application is never asked before the address
	// is proven.
	plain := &app{}
	tsC := startServer(t, plain, nil)
	tsC.mustDial("x")
	if plain.count("handshake") != 0 {
		t.Fatal("OnHandshake called with ScriptRedirect off")
	}
}
