package rtmfp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
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

// pump writes the generator's messages to f until total bytes were
// written, waiting whenever the flow is full.
func pump(t testing.TB, f *SendFlow, gen *msgGen, total int) int {
	t.Helper()
	written, n := 0, 0
	for written < total {
		msg := gen.next()
		for {
			err := f.Write(msg)
			if err == nil {
				break
			}
			if !errors.Is(err, ErrFlowFull) {
				t.Errorf("write: %v", err)
				return n
			}
			deadline := time.Now().Add(10 * time.Minute)
			for f.Buffered() > f.s.ep.cfg.MaxFlowQueue/2 {
				if time.Now().After(deadline) {
					t.Errorf("flow stuck with %d bytes buffered", f.Buffered())
					return n
				}
				time.Sleep(time.Millisecond)
			}
		}
		written += len(msg)
		n++
	}
	return n
}

func TestTenMegabytesEachWay(t *testing.T) {
	const total = 10 << 20
	srv, cli, sh, ch := listenPair(t, Config{Loops: 2}, Config{Loops: 2})
	cs := dial(t, cli, srv)
	waitFor(t, 5*time.Second, "server session", func() bool { return sh.count() == 1 })
	ss, sr := sh.session(0)
	cr := ch.recorderOf(cs)
	sr.mu.Lock()
	sr.keep = false
	sr.mu.Unlock()
	cr.mu.Lock()
	cr.keep = false
	cr.mu.Unlock()

	up, err := cs.OpenFlow([]byte("up"), 0)
	if err != nil {
		t.Fatal(err)
	}
	sr.mu.Lock()
	sr.hashes[up.ID()] = &streamCheck{gen: &msgGen{seed: 1}}
	sr.mu.Unlock()
	down, err := ss.OpenFlow([]byte("down"), 0)
	if err != nil {
		t.Fatal(err)
	}
	cr.mu.Lock()
	cr.hashes[down.ID()] = &streamCheck{gen: &msgGen{seed: 2}}
	cr.mu.Unlock()

	start := time.Now()
	done := make(chan int, 2)
	go func() { done <- pump(t, up, &msgGen{seed: 1}, total) }()
	go func() { done <- pump(t, down, &msgGen{seed: 2}, total) }()
	nUp, nDown := <-done, <-done
	_ = nDown
	check := func(r *recorder, flow uint64, want int) func() bool {
		return func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			c := r.hashes[flow]
			return c != nil && c.n >= want
		}
	}
	waitFor(t, 60*time.Second, "upload delivered", check(sr, up.ID(), nUp))
	waitFor(t, 60*time.Second, "download delivered", check(cr, down.ID(), nDown))
	elapsed := time.Since(start)
	for _, x := range []struct {
		r    *recorder
		flow uint64
	}{{sr, up.ID()}, {cr, down.ID()}} {
		x.r.mu.Lock()
		c := x.r.hashes[x.flow]
		if c.bad != 0 {
			t.Errorf("%d of %d messages corrupted or out of order", c.bad, c.n)
		}
		x.r.mu.Unlock()
	}
	st := cs.Stats()
	t.Logf("10 MiB each way in %v; client: %d packets out, %d retransmissions; rtt %v", elapsed, st.PacketsOut, st.Retransmissions, cs.RTT())
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "flow end at server", func() bool {
		sr.mu.Lock()
		defer sr.mu.Unlock()
		return sr.ended[up.ID()]
	})
	cs.Close()
	waitFor(t, 10*time.Second, "closed", func() bool { c, _ := sr.isClosed(); return c })
}

// TestDualStack serves IPv4 clients from a dual-stack socket (batched
// reads and writes on an AF_INET6 socket) and IPv6 clients over ::1.
func TestDualStack(t *testing.T) {
	sh := newTestHandler()
	srv, err := Listen("udp", ":0", Config{Server: true, Loops: 1, Handler: sh, Logger: testLogger()})
	if err != nil {
		t.Skip("no dual-stack socket:", err)
	}
	defer srv.Close()
	port := srv.LocalAddr().(*net.UDPAddr).Port
	for _, c := range []struct{ network, host string }{{"udp4", "127.0.0.1"}, {"udp6", "[::1]"}} {
		ch := newTestHandler()
		cli, err := Listen(c.network, net.JoinHostPort(strings.Trim(c.host, "[]"), "0"), Config{Loops: 1, Handler: ch, Logger: testLogger()})
		if err != nil {
			t.Logf("%s: %v", c.network, err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cs, err := cli.Dial(ctx, fmt.Sprintf("rtmfp://%s:%d/app", c.host, port))
		cancel()
		if err != nil {
			cli.Close()
			t.Fatalf("%s: %v", c.network, err)
		}
		n := sh.count()
		exchange2 := func() {
			f, _ := cs.OpenFlow([]byte("x"), 0)
			f.Write(bytes.Repeat([]byte{1}, 5000))
		}
		exchange2()
		waitFor(t, 5*time.Second, "server session", func() bool { return sh.count() == n })
		ss, sr := sh.session(n - 1)
		waitFor(t, 5*time.Second, "message", func() bool { m, _ := sr.totals(); return m == 1 })
		if ss.RemoteAddr().Addr().Is4In6() {
			t.Fatalf("%s: unnormalized address %v", c.network, ss.RemoteAddr())
		}
		cli.Close()
	}
}
