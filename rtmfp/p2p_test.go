package rtmfp

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"nimbus/rtmfp/wire"
)

// rendezvousServer makes h introduce peers the way Cumulus does: a
// Redirect with the target's address to the initiator, a Forwarded IHello
// with the initiator's address to the target.
func rendezvousServer(t *testing.T, srv *Endpoint, h *testHandler) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rendezvous = func(req RendezvousRequest) {
		h.mu.Lock()
		var target *Session
		for _, s := range h.sessions {
			if s.FarPeerID() == req.Target && !s.isGone() {
				target = s
			}
		}
		h.mu.Unlock()
		if target == nil {
			return
		}
		if err := srv.SendRedirect(req.From, req.Tag, []Address{{AddrPort: target.RemoteAddr(), Origin: wire.OriginObserved}}); err != nil {
			t.Errorf("redirect: %v", err)
		}
		if err := target.ForwardHello(req.EPD, []Address{{AddrPort: req.From, Origin: wire.OriginObserved}}, req.Tag); err != nil {
			t.Errorf("forward: %v", err)
		}
	}
}

func TestPeersMeetThroughServer(t *testing.T) {
	srv, sh := listenServer(t, Config{Loops: 2})
	rendezvousServer(t, srv, sh)
	mk := func(acceptPeers bool) (*Endpoint, *testHandler) {
		h := newTestHandler()
		e, err := Listen("udp4", "127.0.0.1:0", Config{Loops: 1, Handler: h, Logger: testLogger(), AcceptPeers: acceptPeers})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e, h
	}
	pub, pubH := mk(true)
	player, playerH := mk(false)
	dial(t, pub, srv)
	via := dial(t, player, srv)
	waitFor(t, 5*time.Second, "server sessions", func() bool { return sh.count() == 2 })
	before := srv.Stats()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p2p, err := player.DialPeer(ctx, via, pub.PeerID())
	if err != nil {
		t.Fatalf("dial peer: %v", err)
	}
	if p2p.FarPeerID() != pub.PeerID() {
		t.Fatal("connected to the wrong peer")
	}
	if p2p.RemoteAddr() != netip.MustParseAddrPort(pub.LocalAddr().String()) {
		t.Fatalf("P2P session goes to %v, not to the publisher %v", p2p.RemoteAddr(), pub.LocalAddr())
	}
	waitFor(t, 5*time.Second, "publisher's P2P session", func() bool { return pubH.count() == 2 })
	ps, pr := pubH.session(1)
	if ps.FarPeerID() != player.PeerID() || ps.Initiator() {
		t.Fatal("publisher sees the wrong peer")
	}

	// 1 MiB each way, directly.
	const size = 1 << 20
	f, err := p2p.OpenFlow([]byte("TC\x04\xfa\x89\x01"), 0)
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, size)
	if err := f.Write(payload); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "publisher got the message", func() bool { _, n := pr.totals(); return n == size })
	back, err := ps.OpenFlow([]byte("back"), pr.firstFlow().ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	plr := playerH.recorderOf(p2p)
	waitFor(t, 10*time.Second, "player got the answer", func() bool { _, n := plr.totals(); return n == size })

	after := srv.Stats()
	if in := after.BytesIn - before.BytesIn; in > 64<<10 {
		t.Fatalf("the server received %d bytes during the P2P exchange", in)
	}
	if after.RendezvousForwarded == 0 || pub.Stats().ForwardedHellos == 0 {
		t.Fatalf("rendezvous %d, forwarded hellos answered %d", after.RendezvousForwarded, pub.Stats().ForwardedHellos)
	}
	t.Logf("server traffic during the P2P exchange: %d bytes in, %d out", after.BytesIn-before.BytesIn, after.BytesOut-before.BytesOut)
}

func TestRendezvousRefusedFromUnknownAddress(t *testing.T) {
	srv, sh := listenServer(t, Config{Loops: 1})
	var called atomic.Bool
	sh.mu.Lock()
	sh.rendezvous = func(RendezvousRequest) { called.Store(true) }
	sh.mu.Unlock()
	p := newRawPeer(t, srv.LocalAddr())
	var target [32]byte
	target[0] = 1
	p.send(p.ihelloPacket(wire.AppendCanonicalEPD(nil, target), make([]byte, 16)))
	if p.recv(200*time.Millisecond) != nil {
		t.Fatal("answer to a rendezvous from an unknown address")
	}
	if srv.Stats().RendezvousRefused != 1 || called.Load() {
		t.Fatal("rendezvous not refused")
	}
}
