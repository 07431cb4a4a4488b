package flash

import (
	"context"
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"nimbus/core"
)

// TestBannedAddress: banning a client's IP in core closes its session, and
// the Flash server then ignores that IP entirely (no handshake answer)
// until the ban is lifted.
func TestBannedAddress(t *testing.T) {
	a := &app{}
	ts := startServer(t, a, nil)
	c := ts.mustDial("app")
	local := netip.MustParseAddr("127.0.0.1")
	ts.onLoop(func() { ts.core.Ban(local) })
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("banned client's session still open")
	}
	waitFor(t, 10*time.Second, "disconnection", func() bool { return a.count("disconnect") == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	d := Dialer{LocalAddr: "127.0.0.1:0", Logger: testLogger()}
	if c2, err := d.Dial(ctx, ts.url+"/app"); err == nil {
		c2.Close()
		t.Fatal("a banned address connected")
	}
	var blocked uint64
	for _, ep := range ts.srv.endpoints {
		blocked += ep.Stats().DroppedBlocked
	}
	if blocked == 0 {
		t.Fatal("no datagram counted as blocked")
	}

	ts.onLoop(func() { ts.core.Unban(local) })
	ts.mustDial("app")
}

// failApp records the failure reason of each disconnection.
type failApp struct {
	app
	reasons chan string
}

func (f *failApp) OnDisconnection(c *core.Client) { f.reasons <- c.FailureReason() }

// TestSilentClientFails: a client that goes silent is dropped by the idle
// timeout and core hears it as a failure (Cumulus onFailed); a client that
// closes normally is not a failure.
func TestSilentClientFails(t *testing.T) {
	var silent atomic.Bool
	f := &failApp{reasons: make(chan string, 2)}
	ts := startServer(t, f, func(cfg *Config, _ *core.Options) {
		cfg.Transport.IdleTimeout = 600 * time.Millisecond
		cfg.Transport.Keepalive = 200 * time.Millisecond
		// Stands for a client that vanished: the server hears nothing.
		cfg.Transport.Blocked = func(netip.Addr) bool { return silent.Load() }
	})
	c := ts.mustDial("app")
	c.Close()
	if r := <-f.reasons; r != "" {
		t.Fatalf("orderly close reported as failure %q", r)
	}
	ts.mustDial("app")
	silent.Store(true)
	select {
	case r := <-f.reasons:
		if r != "Timeout no client message" {
			t.Fatalf("failure reason %q", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("silent client never dropped")
	}
}

// TestConnectArgumentLimit: a connect with more extra arguments than
// Config.MaxConnectArgs is rejected before the application sees it.
func TestConnectArgumentLimit(t *testing.T) {
	a := &app{}
	ts := startServer(t, a, func(cfg *Config, _ *core.Options) { cfg.MaxConnectArgs = 2 })
	ts.mustDial("app", "one", "two")
	_, err := ts.dial("app", "one", "two", "three")
	var ce *CallError
	if !errors.As(err, &ce) || ce.Code != "NetConnection.Connect.Rejected" || ce.Description != "too many connect arguments: 3, at most 2" {
		t.Fatalf("error %v", err)
	}
	if n := a.count("connect"); n != 1 {
		t.Fatalf("the application saw %d connects, want 1", n)
	}
}
