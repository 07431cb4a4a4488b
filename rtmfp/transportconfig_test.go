package rtmfp

import (
	"bytes"
	"testing"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// TestConfiguredCookieLifetime: the endpoint's cookies expire after
// Config.CookieLifetime, not after the 95 s default.
func TestConfiguredCookieLifetime(t *testing.T) {
	srv, h := listenServer(t, Config{Loops: 1, CookieLifetime: time.Second})
	if got := srv.cookies.Lifetime(); got != time.Second {
		t.Fatalf("cookie jar lifetime %v, want 1s", got)
	}
	p := newRawPeer(t, srv.LocalAddr())
	stale := p.cookieFor("rtmfp://localhost/")
	// The cookie clock counts whole seconds: expiry comes 1 to 2 s later.
	waitFor(t, 5*time.Second, "cookie expiry", func() bool {
		return srv.cookies.Check(stale, time.Now(), p.addr()) == crypto.CookieBad
	})
	p.send(p.key.Seal(nil, 0, flashKeying(t, stale, 0x02000000)))
	waitFor(t, 5*time.Second, "refused cookie", func() bool { return srv.Stats().CookiesInvalid == 1 })
	if pkt := p.recv(100 * time.Millisecond); pkt != nil {
		t.Fatalf("answer to an expired cookie: %x", pkt)
	}
	if n := srv.Stats().DHComputed; n != 0 {
		t.Fatalf("DH computed %d times for an expired cookie", n)
	}
	// A fresh cookie still opens a session.
	fresh := p.cookieFor("rtmfp://localhost/")
	p.send(p.key.Seal(nil, 0, flashKeying(t, fresh, 0x03000000)))
	if p.recv(5*time.Second) == nil {
		t.Fatal("no RIKeying for a fresh cookie")
	}
	waitFor(t, 5*time.Second, "session", func() bool { return h.count() == 1 })
}

// serverPublicOf runs a Flash handshake from a new address and returns the
// ephemeral public value in the server's RIKeying.
func serverPublicOf(t *testing.T, srv *Endpoint, sid uint32) []byte {
	t.Helper()
	p := newRawPeer(t, srv.LocalAddr())
	cookie := p.cookieFor("rtmfp://localhost/")
	p.send(p.key.Seal(nil, 0, flashKeying(t, cookie, sid)))
	pkt := p.recv(5 * time.Second)
	if pkt == nil {
		t.Fatal("no RIKeying")
	}
	_, body := p.openStartup(pkt)
	if wire.ChunkType(body[3]) != wire.ChunkRIKeying {
		t.Fatalf("chunk %#x, want RIKeying", body[3])
	}
	ri, _, err := wire.ParseRIKeying(body[3+3:])
	if err != nil {
		t.Fatal(err)
	}
	opts, err := wire.ParseOptions(ri.SKRC)
	if err != nil {
		t.Fatal(err)
	}
	for o := range opts.All() {
		if o.Type == wire.KeyOptionEphemeralKey {
			_, n, err := wire.ReadVLU(o.Value)
			if err != nil {
				t.Fatal(err)
			}
			return o.Value[n:]
		}
	}
	t.Fatalf("no ephemeral key in SKRC %x", ri.SKRC)
	return nil
}

// TestKeypairReuse: within Config.KeypairReuse two handshakes get the same
// server public value; with the default 0 every handshake gets its own.
func TestKeypairReuse(t *testing.T) {
	for _, tc := range []struct {
		reuse time.Duration
		same  bool
	}{{time.Minute, true}, {0, false}} {
		srv, h := listenServer(t, Config{Loops: 1, KeypairReuse: tc.reuse})
		a := serverPublicOf(t, srv, 0x02000000)
		b := serverPublicOf(t, srv, 0x03000000)
		if len(a) != crypto.Group2.Size || len(b) != crypto.Group2.Size {
			t.Fatalf("public values of %d and %d bytes", len(a), len(b))
		}
		if bytes.Equal(a, b) != tc.same {
			t.Errorf("KeypairReuse %v: same public value = %v, want %v", tc.reuse, !tc.same, tc.same)
		}
		waitFor(t, 5*time.Second, "sessions", func() bool { return h.count() == 2 })
	}
}
