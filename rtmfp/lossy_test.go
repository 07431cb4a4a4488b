package rtmfp

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"nimbus/rtmfp/internal/simnet"
)

var (
	simServerAddr = netip.MustParseAddrPort("10.0.0.1:1935")
	simClientAddr = netip.MustParseAddrPort("10.0.0.2:5000")
)

// simPair connects a server and a client endpoint over an in-memory
// network; it must run inside a synctest bubble.
func simPair(t *testing.T, link simnet.Link, scfg, ccfg Config) (n *simnet.Network, srv, cli *Endpoint, sh, ch *testHandler) {
	t.Helper()
	n = simnet.New(link, 42)
	sc, err := n.Listen(simServerAddr)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := n.Listen(simClientAddr)
	if err != nil {
		t.Fatal(err)
	}
	sh, ch = newTestHandler(), newTestHandler()
	scfg.Server, scfg.Handler, scfg.Logger = true, sh, testLogger()
	ccfg.Handler, ccfg.Logger = ch, testLogger()
	if srv, err = NewEndpoint(sc, scfg); err != nil {
		t.Fatal(err)
	}
	if cli, err = NewEndpoint(cc, ccfg); err != nil {
		t.Fatal(err)
	}
	return n, srv, cli, sh, ch
}

func simDial(t *testing.T, cli *Endpoint) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := cli.Dial(ctx, "rtmfp://"+simServerAddr.String()+"/app")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return s
}

func closeBoth(srv, cli *Endpoint) {
	cli.Close()
	srv.Close()
}

// TestLossyTenMegabytes moves 10 MiB each way over a link that loses 10%,
// reorders 5% and duplicates 2% of the datagrams: everything arrives
// intact and in order.
func TestLossyTenMegabytes(t *testing.T) {
	total := 10 << 20
	if testing.Short() {
		total = 2 << 20
	}
	synctest.Test(t, func(t *testing.T) {
		link := simnet.Link{Latency: 10 * time.Millisecond, Loss: 0.10, Reorder: 0.05, ReorderDelay: 30 * time.Millisecond, Duplicate: 0.02, QueueLimit: 4096}
		n, srv, cli, sh, ch := simPair(t, link, Config{Loops: 2}, Config{Loops: 2})
		defer closeBoth(srv, cli)
		cs := simDial(t, cli)
		waitFor(t, time.Minute, "server session", func() bool { return sh.count() == 1 })
		ss, sr := sh.session(0)
		cr := ch.recorderOf(cs)
		for _, r := range []*recorder{sr, cr} {
			r.mu.Lock()
			r.keep = false
			r.mu.Unlock()
		}
		up, err := cs.OpenFlow([]byte("up"), 0)
		if err != nil {
			t.Fatal(err)
		}
		down, err := ss.OpenFlow([]byte("down"), 0)
		if err != nil {
			t.Fatal(err)
		}
		sr.mu.Lock()
		sr.hashes[up.ID()] = &streamCheck{gen: &msgGen{seed: 1}}
		sr.mu.Unlock()
		cr.mu.Lock()
		cr.hashes[down.ID()] = &streamCheck{gen: &msgGen{seed: 2}}
		cr.mu.Unlock()
		start := time.Now()
		done := make(chan int, 2)
		go func() { done <- pump(t, up, &msgGen{seed: 1}, total) }()
		go func() { done <- pump(t, down, &msgGen{seed: 2}, total) }()
		nUp, nDown := <-done, <-done
		delivered := func(r *recorder, flow uint64, want int) func() bool {
			return func() bool {
				r.mu.Lock()
				defer r.mu.Unlock()
				return r.hashes[flow].n >= want
			}
		}
		waitFor(t, 10*time.Minute, "upload", delivered(sr, up.ID(), nUp))
		waitFor(t, 10*time.Minute, "download", delivered(cr, down.ID(), nDown))
		for _, x := range []struct {
			r    *recorder
			flow uint64
		}{{sr, up.ID()}, {cr, down.ID()}} {
			x.r.mu.Lock()
			if c := x.r.hashes[x.flow]; c.bad != 0 {
				t.Errorf("%d of %d messages corrupted or out of order", c.bad, c.n)
			}
			x.r.mu.Unlock()
		}
		ns := n.Stats()
		t.Logf("%d KiB each way in %v virtual; network: sent %d lost %d reordered %d duplicated %d; retransmissions client %d server %d",
			total>>10, time.Since(start), ns.Sent, ns.Lost, ns.Reordered, ns.Duplicated, cs.Stats().Retransmissions, ss.Stats().Retransmissions)
		if cs.Stats().Retransmissions == 0 {
			t.Error("no retransmissions on a lossy link")
		}
		if wl := cs.Stats().WindowLimited; wl < time.Second {
			t.Errorf("window-limited for %v only while pushing 10 MiB through a lossy link", wl)
		}
	})
}

func TestKeepaliveKeepsIdleSessionUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Loops: 1, Keepalive: time.Second, IdleTimeout: 5 * time.Second}
		_, srv, cli, sh, ch := simPair(t, simnet.Link{Latency: 5 * time.Millisecond}, cfg, cfg)
		defer closeBoth(srv, cli)
		cs := simDial(t, cli)
		before := cs.Stats().PacketsOut
		time.Sleep(60 * time.Second)
		synctest.Wait()
		if cs.isGone() || sh.count() != 1 {
			t.Fatal("an idle session with keepalives died")
		}
		if closed, _ := ch.recorderOf(cs).isClosed(); closed {
			t.Fatal("closed")
		}
		pings := cs.Stats().PacketsOut - before
		if pings < 20 || pings > 130 {
			t.Fatalf("%d packets in 60 s of keepalive at 1 s", pings)
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Loops: 1, Keepalive: time.Second, IdleTimeout: 10 * time.Second}
		n, srv, cli, sh, ch := simPair(t, simnet.Link{Latency: 5 * time.Millisecond}, cfg, cfg)
		defer closeBoth(srv, cli)
		cs := simDial(t, cli)
		waitFor(t, time.Minute, "server session", func() bool { return sh.count() == 1 })
		_, sr := sh.session(0)
		cr := ch.recorderOf(cs)
		n.SetFilter(func(from, to netip.AddrPort, b []byte) bool { return false }) // the link dies
		cut := time.Now()
		<-cr.closeCh
		<-sr.closeCh
		elapsed := time.Since(cut)
		if _, err := cr.isClosed(); !errors.Is(err, ErrIdleTimeout) {
			t.Fatalf("client: %v", err)
		}
		if _, err := sr.isClosed(); !errors.Is(err, ErrIdleTimeout) {
			t.Fatalf("server: %v", err)
		}
		if elapsed < 9*time.Second || elapsed > 11*time.Second {
			t.Fatalf("idle timeout after %v, want about 10 s", elapsed)
		}
	})
}

func TestCloseHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Loops: 1}
		n, srv, cli, sh, ch := simPair(t, simnet.Link{Latency: 5 * time.Millisecond}, cfg, cfg)
		defer closeBoth(srv, cli)
		cs := simDial(t, cli)
		waitFor(t, time.Minute, "server session", func() bool { return sh.count() == 1 })
		_, sr := sh.session(0)
		cr := ch.recorderOf(cs)
		// The server's answers are lost for 7 s: the client repeats 0x0c
		// every 5 s and the lingering server answers the repeat.
		var dropUntil time.Time
		n.SetFilter(func(from, to netip.AddrPort, b []byte) bool {
			return from != simServerAddr || !time.Now().Before(dropUntil)
		})
		dropUntil = time.Now().Add(7 * time.Second)
		start := time.Now()
		cs.Close()
		<-sr.closeCh
		<-cr.closeCh
		if _, err := cr.isClosed(); err != nil {
			t.Fatalf("client: %v", err)
		}
		if _, err := sr.isClosed(); !errors.Is(err, ErrPeerClosed) {
			t.Fatalf("server: %v", err)
		}
		if d := time.Since(start); d < 10*time.Second || d > 11*time.Second {
			t.Fatalf("closed after %v, want the second repeat at 10 s", d)
		}
	})
}

func TestCloseGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Loops: 1, Keepalive: 30 * time.Second, IdleTimeout: 5 * time.Minute}
		n, srv, cli, _, ch := simPair(t, simnet.Link{Latency: 5 * time.Millisecond}, cfg, cfg)
		defer closeBoth(srv, cli)
		cs := simDial(t, cli)
		cr := ch.recorderOf(cs)
		n.SetFilter(func(from, to netip.AddrPort, b []byte) bool { return from != simServerAddr })
		start := time.Now()
		cs.Close()
		<-cr.closeCh
		if d := time.Since(start); d < 89*time.Second || d > 91*time.Second {
			t.Fatalf("gave up after %v, want 90 s", d)
		}
		if _, err := cr.isClosed(); err != nil {
			t.Fatalf("client: %v", err)
		}
	})
}

func TestRetransmissionGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		scfg := Config{Loops: 1, Keepalive: time.Second, IdleTimeout: time.Minute}
		ccfg := Config{Loops: 1, Keepalive: 5 * time.Second, IdleTimeout: 10 * time.Second}
		n, srv, cli, _, ch := simPair(t, simnet.Link{Latency: 5 * time.Millisecond}, scfg, ccfg)
		defer closeBoth(srv, cli)
		cs := simDial(t, cli)
		cr := ch.recorderOf(cs)
		f, err := cs.OpenFlow([]byte("x"), 0)
		if err != nil {
			t.Fatal(err)
		}
		// Nothing from the client arrives any more, but the server's
		// keepalives do: the client is not idle, its data is never acked.
		n.SetFilter(func(from, to netip.AddrPort, b []byte) bool { return from != simClientAddr })
		start := time.Now()
		if err := f.Write(make([]byte, 5000)); err != nil {
			t.Fatal(err)
		}
		<-cr.closeCh
		if _, err := cr.isClosed(); !errors.Is(err, ErrRetransmitLimit) {
			t.Fatalf("client: %v", err)
		}
		if d := time.Since(start); d < 9*time.Second || d > 11*time.Second {
			t.Fatalf("gave up after %v, want 10 s", d)
		}
		if cs.Stats().Retransmissions < 3 {
			t.Fatalf("only %d retransmissions", cs.Stats().Retransmissions)
		}
	})
}

func TestHandshakeTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, cli, _, _ := simPair(t, simnet.Link{Latency: 5 * time.Millisecond}, Config{Loops: 1}, Config{Loops: 1})
		defer closeBoth(srv, cli)
		n.SetFilter(func(from, to netip.AddrPort, b []byte) bool { return false })
		start := time.Now()
		_, err := cli.Dial(context.Background(), "rtmfp://"+simServerAddr.String()+"/app")
		if !errors.Is(err, ErrHandshakeTimeout) {
			t.Fatalf("dial: %v", err)
		}
		if d := time.Since(start); d != openingTimeout {
			t.Fatalf("gave up after %v", d)
		}
		// 1 + 2.5 + 4 + ... : the IHellos of the schedule.
		if sent := n.Stats().Sent; sent < 10 || sent > 14 {
			t.Fatalf("%d IHellos in 95 s", sent)
		}
	})
}
