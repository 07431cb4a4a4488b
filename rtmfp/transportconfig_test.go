package rtmfp

import (
	"testing"
	"time"

	"nimbus/rtmfp/crypto"
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
