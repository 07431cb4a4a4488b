package rtmfp

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"nimbus/rtmfp/wire"
)

// lockstepRendezvous makes h introduce peers like rendezvousServer, but it
// holds the first request until one from another address arrives and
// then answers both: the two openings of a simultaneous dial progress
// together, so that their IIKeyings cross (a forced glare). Later
// requests are answered at once. It never blocks the server's reader.
func lockstepRendezvous(t *testing.T, srv *Endpoint, h *testHandler) {
	var mu sync.Mutex
	var held *RendezvousRequest
	paired := false
	introduce := func(req RendezvousRequest) {
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
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rendezvous = func(req RendezvousRequest) {
		mu.Lock()
		switch {
		case paired:
			mu.Unlock()
			introduce(req)
		case held == nil || held.From == req.From:
			// The first request, or a retransmission of it.
			held = &req
			mu.Unlock()
		default:
			first := *held
			held, paired = nil, true
			mu.Unlock()
			introduce(first)
			introduce(req)
		}
	}
}

// glarePeer is a client endpoint that accepts peers, in session with srv.
type glarePeer struct {
	e   *Endpoint
	h   *testHandler
	via *Session
}

func newGlarePeer(t *testing.T, srv *Endpoint) *glarePeer {
	t.Helper()
	h := newTestHandler()
	e, err := Listen("udp4", "127.0.0.1:0", Config{Loops: 2, Handler: h, Logger: testLogger(), AcceptPeers: true,
		testHooks: &testHooks{closeWait: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return &glarePeer{e: e, h: h, via: dial(t, e, srv)}
}

// sessionsWith lists p's live sessions whose far end is peer.
func (p *glarePeer) sessionsWith(peer [32]byte) []*Session {
	p.h.mu.Lock()
	defer p.h.mu.Unlock()
	var out []*Session
	for _, s := range p.h.sessions {
		if s.FarPeerID() == peer && !s.isGone() {
			out = append(out, s)
		}
	}
	return out
}

// dialBoth starts a.DialPeer(b) and b.DialPeer(a) at once and waits for
// both.
func dialBoth(t *testing.T, a, b *glarePeer) (sa, sb *Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var errA, errB error
	start := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		<-start
		sa, errA = a.e.DialPeer(ctx, a.via, b.e.PeerID())
	}()
	go func() {
		defer wg.Done()
		<-start
		sb, errB = b.e.DialPeer(ctx, b.via, a.e.PeerID())
	}()
	close(start)
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("dial peer: A %v, B %v", errA, errB)
	}
	return sa, sb
}

// checkOneSession verifies that sa (A's) and sb (B's) are the two ends of
// one session, the only one between A and B, and that data flows both
// ways on it.
func checkOneSession(t *testing.T, a, b *glarePeer, sa, sb *Session) {
	t.Helper()
	if sa.FarPeerID() != b.e.PeerID() || sb.FarPeerID() != a.e.PeerID() {
		t.Fatal("sessions with the wrong peers")
	}
	if sa.ID() != sb.FarID() || sb.ID() != sa.FarID() || sa.Initiator() == sb.Initiator() {
		t.Fatalf("not one session: A %d→%d initiator %v, B %d→%d initiator %v",
			sa.ID(), sa.FarID(), sa.Initiator(), sb.ID(), sb.FarID(), sb.Initiator())
	}

	fa, err := sa.OpenFlow([]byte("a to b"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := fa.Write([]byte("hello from A")); err != nil {
		t.Fatal(err)
	}
	fb, err := sb.OpenFlow([]byte("b to a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := fb.Write([]byte("hello from B")); err != nil {
		t.Fatal(err)
	}
	rb, ra := b.h.recorderOf(sb), a.h.recorderOf(sa)
	waitFor(t, 5*time.Second, "B got A's message", func() bool { m, _ := rb.totals(); return m == 1 })
	waitFor(t, 5*time.Second, "A got B's message", func() bool { m, _ := ra.totals(); return m == 1 })
	if f := rb.firstFlow(); f == nil || !bytes.Equal(rb.messages(f.ID())[0], []byte("hello from A")) {
		t.Fatal("B received the wrong message")
	}

	for _, p := range []struct {
		name string
		p    *glarePeer
		far  [32]byte
	}{{"A", a, b.e.PeerID()}, {"B", b, a.e.PeerID()}} {
		if n := len(p.p.sessionsWith(p.far)); n != 1 {
			t.Fatalf("%s has %d sessions with the other peer", p.name, n)
		}
		// The server session and the P2P one, nothing else ever.
		st := p.p.e.Stats()
		if st.SessionsOpened != 2 || st.SessionsActive != 2 || st.SessionsReplaced != 0 || p.p.h.count() != 2 {
			t.Fatalf("%s: opened %d active %d replaced %d handler sessions %d",
				p.name, st.SessionsOpened, st.SessionsActive, st.SessionsReplaced, p.p.h.count())
		}
	}
	for _, r := range []*recorder{ra, rb} {
		if closed, err := r.isClosed(); closed {
			t.Fatalf("P2P session closed: %v", err)
		}
	}
}

// TestSimultaneousDialPeer: both peers dial each other at once, many times
// over; each time both calls return the two ends of one session.
func TestSimultaneousDialPeer(t *testing.T) {
	for _, mode := range []struct {
		name     string
		lockstep bool
		runs     int
	}{{"lockstep", true, 20}, {"free", false, 10}} {
		t.Run(mode.name, func(t *testing.T) {
			var won, lost, late, initiators uint64
			for i := 0; i < mode.runs; i++ {
				// A server per run: the lockstep state is per pair.
				srv, sh := listenServer(t, Config{Loops: 2})
				if mode.lockstep {
					lockstepRendezvous(t, srv, sh)
				} else {
					rendezvousServer(t, srv, sh)
				}
				a, b := newGlarePeer(t, srv), newGlarePeer(t, srv)
				t0 := time.Now()
				sa, sb := dialBoth(t, a, b)
				if d := time.Since(t0); d > 500*time.Millisecond {
					t.Logf("slow dial %v: A %+v\nB %+v\nS %+v", d, a.e.Stats(), b.e.Stats(), srv.Stats())
				}
				checkOneSession(t, a, b, sa, sb)
				for _, p := range []*glarePeer{a, b} {
					st := p.e.Stats()
					won += st.GlareWon
					lost += st.GlareLost
					late += st.GlareLate
				}
				if sa.Initiator() {
					initiators++
				}
				a.e.Close()
				b.e.Close()
				srv.Close()
			}
			t.Logf("%d runs: glare won %d, lost %d, late keyings %d; A initiated %d times", mode.runs, won, lost, late, initiators)
			if mode.lockstep && won+lost == 0 {
				t.Fatal("no glare happened")
			}
		})
	}
}

// TestDialPeerReusesSession: a peer dialing back a peer that already
// opened a session to it gets that session, and no second one appears.
func TestDialPeerReusesSession(t *testing.T) {
	srv, sh := listenServer(t, Config{Loops: 2})
	rendezvousServer(t, srv, sh)
	a, b := newGlarePeer(t, srv), newGlarePeer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sa, err := a.e.DialPeer(ctx, a.via, b.e.PeerID())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B's session", func() bool { return len(b.sessionsWith(a.e.PeerID())) == 1 })
	sb, err := b.e.DialPeer(ctx, b.via, a.e.PeerID())
	if err != nil {
		t.Fatal(err)
	}
	if !sa.Initiator() || sb.Initiator() {
		t.Fatal("B's dial did not return A's session")
	}
	checkOneSession(t, a, b, sa, sb)
	// A dialing again gets its own session back.
	again, err := a.e.DialPeer(ctx, a.via, b.e.PeerID())
	if err != nil || again != sa {
		t.Fatalf("second dial from A: %v, same session %v", err, again == sa)
	}
	if st := a.e.Stats(); st.SessionsOpened != 2 {
		t.Fatalf("A opened %d sessions", st.SessionsOpened)
	}
	// Once A closes it (the close handshake still running), a new dial
	// opens a new session rather than handing the closing one out.
	sa.Close()
	fresh, err := a.e.DialPeer(ctx, a.via, b.e.PeerID())
	if err != nil || fresh == sa {
		t.Fatalf("dial after close: %v, same session %v", err, fresh == sa)
	}
}

// TestYieldedDialCancelKeepsSession: a cancelled dial that ended with an
// existing session does not close it.
func TestYieldedDialCancelKeepsSession(t *testing.T) {
	srv, sh := listenServer(t, Config{Loops: 1})
	rendezvousServer(t, srv, sh)
	a, b := newGlarePeer(t, srv), newGlarePeer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sa, err := a.e.DialPeer(ctx, a.via, b.e.PeerID())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B's session", func() bool { return len(b.sessionsWith(a.e.PeerID())) == 1 })
	// Cancelled before the result is read: whichever way the race goes,
	// the existing session survives.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	_, err = b.e.DialPeer(cctx, b.via, a.e.PeerID())
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled dial: %v", err)
	}
	if len(b.sessionsWith(a.e.PeerID())) != 1 || sa.isGone() {
		t.Fatal("the existing session was closed")
	}
	if st := b.e.Stats(); st.SessionsActive != 2 {
		t.Fatalf("B has %d active sessions", st.SessionsActive)
	}
}

// TestNearWinsGlare: exactly one side of a glare wins, the one with the
// lower certificate (rtmfp-cpp's rule).
func TestNearWinsGlare(t *testing.T) {
	low, high := []byte{0x81, 0x02, 0x1d, 0x02, 0x10}, []byte{0x81, 0x02, 0x1d, 0x02, 0x20}
	if !nearWinsGlare(low, high) || nearWinsGlare(high, low) {
		t.Fatal("the lower certificate must win, the higher yield")
	}
	short := []byte{0x81, 0x02}
	if nearWinsGlare(low, short) == nearWinsGlare(short, low) {
		t.Fatal("a prefix and its extension both win or both lose")
	}
}

// TestLateKeyingKeepsFreshSession: an IIKeying from a peer we opened a
// session to moments ago (a glare loser's late retransmission) neither
// replaces that session nor opens a second one; past glareGrace the
// replace rule for restarted clients applies again.
func TestLateKeyingKeepsFreshSession(t *testing.T) {
	srv, sh := listenServer(t, Config{Loops: 2})
	rendezvousServer(t, srv, sh)
	a, b := newGlarePeer(t, srv), newGlarePeer(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sa, err := a.e.DialPeer(ctx, a.via, b.e.PeerID())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "B's session", func() bool { return len(b.sessionsWith(a.e.PeerID())) == 1 })

	// B's keying for A, as its own (abandoned) opening would have sent
	// it, from B's socket.
	now := time.Now()
	aAddr := mustAddrPort(t, a.e.LocalAddr().String())
	cookie := a.e.cookies.Mint(now, mustAddrPort(t, b.e.LocalAddr().String()))
	skic, err := b.e.id.initiatorSKIC(b.e.random)
	if err != nil {
		t.Fatal(err)
	}
	ik := wire.IIKeying{InitiatorSID: 7, Cookie: cookie[:], Certificate: b.e.id.staticCert, SKIC: skic, Signature: []byte{'X'}}
	if err := b.e.writeStartup(aAddr, 0, ik.Append(b.e.startupBody(nil, now))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "late keying counted", func() bool { return a.e.Stats().GlareLate == 1 })
	st := a.e.Stats()
	if st.SessionsReplaced != 0 || st.SessionsOpened != 2 || st.DHComputed != 0 || sa.isGone() {
		t.Fatalf("replaced %d opened %d DH %d, session gone %v", st.SessionsReplaced, st.SessionsOpened, st.DHComputed, sa.isGone())
	}
	bAddr := mustAddrPort(t, b.e.LocalAddr().String())
	if !a.e.freshInitiated(bAddr, b.e.PeerID(), time.Now()) || a.e.freshInitiated(bAddr, b.e.PeerID(), time.Now().Add(glareGrace)) {
		t.Fatal("the protection must last glareGrace, no longer")
	}
	if b.e.freshInitiated(aAddr, a.e.PeerID(), time.Now()) {
		t.Fatal("B's session is a responder session: a keying from A may replace it")
	}
}
