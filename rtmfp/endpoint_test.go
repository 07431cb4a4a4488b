package rtmfp

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestDialAndExchange(t *testing.T) {
	srv, cli, sh, ch := listenPair(t, Config{Loops: 2}, Config{Loops: 1})
	cs := dial(t, cli, srv)
	if cs.FarPeerID() != srv.PeerID() {
		t.Fatal("client sees a server fingerprint different from the server's")
	}
	waitFor(t, 5*time.Second, "server session", func() bool { return sh.count() == 1 })
	ss, sr := sh.session(0)
	if ss.FarPeerID() != cli.id.initiatorPeerID {
		t.Fatal("server sees a client peer ID different from the client's")
	}
	if !bytes.Equal(ss.NearNonce(), cs.FarNonce()) || !bytes.Equal(ss.FarNonce(), cs.NearNonce()) {
		t.Fatal("nonces do not match across the session")
	}
	f, err := cs.OpenFlow([]byte("TC\x04\x00"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "message at server", func() bool { m, _ := sr.totals(); return m == 1 })
	rf := sr.firstFlow()
	if got := sr.messages(rf.ID()); string(got[0]) != "hello" || string(rf.Metadata()) != "TC\x04\x00" {
		t.Fatalf("got %q metadata %q", got, rf.Metadata())
	}
	// Answer on a return flow.
	back, err := ss.OpenFlow([]byte("TC\x04\x00"), rf.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	cr := ch.recorderOf(cs)
	waitFor(t, 5*time.Second, "message at client", func() bool { m, _ := cr.totals(); return m == 1 })
	if got := cr.firstFlow().ReturnFor(); got != f.ID() {
		t.Fatalf("return association %d, want %d", got, f.ID())
	}
	// Orderly close from the client.
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "client closed", func() bool { c, _ := cr.isClosed(); return c })
	waitFor(t, 5*time.Second, "server closed", func() bool { c, _ := sr.isClosed(); return c })
	if _, err := cr.isClosed(); err != nil {
		t.Fatalf("client close error %v", err)
	}
	if _, err := sr.isClosed(); !errors.Is(err, ErrPeerClosed) {
		t.Fatalf("server close error %v", err)
	}
	if err := f.Write([]byte("late")); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("write after close: %v", err)
	}
}
