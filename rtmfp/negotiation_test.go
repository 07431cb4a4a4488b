package rtmfp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"nimbus/rtmfp/crypto"
)

// exchange checks that a message goes each way on an open session pair.
func exchange(t *testing.T, cs *Session, sh, ch *testHandler) {
	t.Helper()
	waitFor(t, 5*time.Second, "server session", func() bool { return sh.count() == 1 })
	ss, sr := sh.session(0)
	f, err := cs.OpenFlow([]byte("x"), 0)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 50000)
	rand.Read(big)
	if err := f.Write(big); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "upload", func() bool { m, _ := sr.totals(); return m == 1 })
	if !bytes.Equal(sr.messages(sr.firstFlow().ID())[0], big) {
		t.Fatal("upload corrupted")
	}
	g, err := ss.OpenFlow([]byte("y"), sr.firstFlow().ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Write(big); err != nil {
		t.Fatal(err)
	}
	cr := ch.recorderOf(cs)
	waitFor(t, 5*time.Second, "download", func() bool { m, _ := cr.totals(); return m == 1 })
}

// TestHMACAndSequenceNumbers: an initiator that sends HMACs and sequence
// numbers always and requires them (as rtmfp-cpp can be configured to)
// gets them from our responder, in both directions.
func TestHMACAndSequenceNumbers(t *testing.T) {
	strict := &crypto.KeyingPolicy{
		HMAC:    crypto.Policy{SendAlways: true, SendOnRequest: true, Require: true},
		HMACLen: 16,
		SSeq:    crypto.Policy{SendAlways: true, SendOnRequest: true, Require: true},
	}
	srv, cli, sh, ch := listenPair(t, Config{Loops: 1}, Config{Loops: 1, testHooks: &testHooks{policy: strict}})
	cs := dial(t, cli, srv)
	exchange(t, cs, sh, ch)
	ss, _ := sh.session(0)
	cm, sm := cs.cipher.Mode(), ss.cipher.Mode()
	if cm.SendHMACLen != 16 || cm.RecvHMACLen != initiatorHMACLen || !cm.SendSSeq || !cm.RecvSSeq {
		t.Fatalf("client mode %+v", cm)
	}
	if sm.SendHMACLen != initiatorHMACLen || sm.RecvHMACLen != 16 || !sm.SendSSeq || !sm.RecvSSeq {
		t.Fatalf("server mode %+v", sm)
	}
}

// TestFlashNegotiationLayout: by default we offer what Flash offers and
// answer what Adobe's server answers.
func TestFlashNegotiationLayout(t *testing.T) {
	srv, cli, sh, ch := listenPair(t, Config{Loops: 1}, Config{Loops: 1})
	skic, err := cli.id.initiatorSKIC(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(skic[:5]) + ".." + hex.EncodeToString(skic[len(skic)-7:]); got != "021d02410e..031a020a021e02" {
		t.Fatalf("SKIC layout %s", got)
	}
	cs := dial(t, cli, srv)
	exchange(t, cs, sh, ch)
	if m := cs.cipher.Mode(); m != (crypto.Mode{}) {
		t.Fatalf("mode %+v, want plain checksum mode", m)
	}
}

// TestGroup14: an initiator whose static key is in group 14 (rtmfp-cpp
// picks the strongest common group) gets a group 14 ephemeral key.
func TestGroup14(t *testing.T) {
	srv, cli, sh, ch := listenPair(t, Config{Loops: 1}, Config{Loops: 1, testHooks: &testHooks{staticGroup: 14}})
	if len(cli.id.staticCert) != 2+1+1+256 {
		t.Fatalf("group 14 certificate of %d bytes", len(cli.id.staticCert))
	}
	cs := dial(t, cli, srv)
	exchange(t, cs, sh, ch)
}

// TestDeferredHelloRedirect: the handler defers a URL IHello and answers
// with a Redirect to another server, where the client connects.
func TestDeferredHelloRedirect(t *testing.T) {
	front, fh := listenServer(t, Config{Loops: 1})
	back, bh := listenServer(t, Config{Loops: 1})
	fh.mu.Lock()
	fh.hello = func(req HelloRequest) bool {
		if req.Attempt < 1 || req.URL != serverURL(front) {
			t.Errorf("hello request %+v", req)
		}
		go func() {
			ap := back.LocalAddr().String()
			if err := front.RespondHello(req, []Address{{AddrPort: mustAddrPort(t, ap), Origin: 2}}); err != nil {
				t.Errorf("respond: %v", err)
			}
		}()
		return true
	}
	fh.mu.Unlock()
	ch := newTestHandler()
	cli, err := Listen("udp4", "127.0.0.1:0", Config{Handler: ch, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cs := dial(t, cli, front)
	if cs.FarPeerID() != back.PeerID() {
		t.Fatal("not connected to the server we were redirected to")
	}
	waitFor(t, time.Second, "counters", func() bool {
		st := front.Stats()
		return st.RedirectsSent == 1 && st.HellosDeferred > 0
	})
	if fh.count() != 0 {
		t.Fatalf("front: %+v", front.Stats())
	}
	exchange(t, cs, bh, ch)
}
