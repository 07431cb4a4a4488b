package rtmfp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nimbus/rtmfp/wire"
)

func listenServer(t testing.TB, cfg Config) (*Endpoint, *testHandler) {
	t.Helper()
	h := newTestHandler()
	cfg.Server = true
	cfg.Handler = h
	if cfg.testHooks == nil {
		cfg.testHooks = &testHooks{closeWait: 100 * time.Millisecond}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	srv, err := Listen("udp4", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, h
}

// ihelloPacket builds a startup packet holding an IHello.
func (p *rawPeer) ihelloPacket(epd, tag []byte) []byte {
	body := wire.NewHeader(wire.ModeStartup, 1, 0, false).Append(nil)
	body = wire.IHello{EPD: epd, Tag: tag}.Append(body)
	return p.key.Seal(nil, 0, body)
}

// cookieFor runs IHello/RHello and returns the cookie.
func (p *rawPeer) cookieFor(url string) []byte {
	p.t.Helper()
	p.send(p.ihelloPacket(wire.EPD{AncillaryData: []byte(url)}.Append(nil), bytes.Repeat([]byte{7}, 16)))
	pkt := p.recv(5 * time.Second)
	if pkt == nil {
		p.t.Fatal("no RHello")
	}
	_, body := p.openStartup(pkt)
	rh, _, err := wire.ParseRHello(body[3+3:])
	if err != nil {
		p.t.Fatal(err)
	}
	return rh.Cookie
}

// flashKeying is the captured Flash IIKeying with another cookie and
// initiator session ID.
func flashKeying(t testing.TB, cookie []byte, sid uint32) []byte {
	b := unhex(t, strings.Replace(capIIKeyingBody, "%COOKIE%", hex.EncodeToString(cookie), 1))
	binary.BigEndian.PutUint32(b[3+3:], sid)
	return b
}

func TestBadCookieGetsNoAnswer(t *testing.T) {
	srv, _ := listenServer(t, Config{Loops: 1})
	p := newRawPeer(t, srv.LocalAddr())
	forged := make([]byte, 64)
	rand.Read(forged)
	p.send(p.key.Seal(nil, 0, flashKeying(t, forged, 0x02000000)))
	// A genuine cookie, expired or not, would be answered at once; give
	// the endpoint time to misbehave.
	if pkt := p.recv(300 * time.Millisecond); pkt != nil {
		t.Fatalf("answer to a forged cookie: %x", pkt)
	}
	if st := srv.Stats(); st.CookiesInvalid != 1 || st.DHComputed != 0 {
		t.Fatalf("cookies invalid %d, DH computed %d", st.CookiesInvalid, st.DHComputed)
	}
}

func TestCookieChange(t *testing.T) {
	srv, h := listenServer(t, Config{Loops: 1})
	a := newRawPeer(t, srv.LocalAddr())
	b := newRawPeer(t, srv.LocalAddr())
	cookie := a.cookieFor("rtmfp://localhost/")
	// The keying comes from another address (NAT rebinding).
	b.send(b.key.Seal(nil, 0, flashKeying(t, cookie, 0x05000000)))
	pkt := b.recv(5 * time.Second)
	if pkt == nil {
		t.Fatal("no cookie change")
	}
	ssid, body := b.openStartup(pkt)
	if ssid != 0x05000000 || body[3] != byte(wire.ChunkCookieChange) {
		t.Fatalf("ssid %#x chunk %#x", ssid, body[3])
	}
	cc, _, err := wire.ParseCookieChange(body[3+3 : 3+3+int(binary.BigEndian.Uint16(body[4:]))])
	if err != nil || !bytes.Equal(cc.OldCookie, cookie) || len(cc.NewCookie) != 64 {
		t.Fatalf("cookie change %+v %v", cc, err)
	}
	// With the new cookie the keying goes through.
	b.send(b.key.Seal(nil, 0, flashKeying(t, cc.NewCookie, 0x05000000)))
	if pkt := b.recv(5 * time.Second); pkt == nil {
		t.Fatal("no RIKeying after the cookie change")
	}
	waitFor(t, 5*time.Second, "session", func() bool { return h.count() == 1 })
	if srv.Stats().CookieChanges != 1 {
		t.Fatal("cookie change not counted")
	}
}

// TestAmplificationBound sends IHellos of every size and checks that each
// answer is one datagram within the bound, that tiny ones get nothing, and
// that Flash's real IHellos (both captures) are answered.
func TestAmplificationBound(t *testing.T) {
	srv, _ := listenServer(t, Config{Loops: 1, HelloRate: 1e6, HelloBurst: 1e6})
	p := newRawPeer(t, srv.LocalAddr())
	answered, refused := 0, 0
	for urlLen := 0; urlLen <= 40; urlLen += 2 {
		for _, tagLen := range []int{0, 4, 16, 32} {
			url := strings.Repeat("a", urlLen)
			req := p.ihelloPacket(wire.EPD{AncillaryData: []byte(url)}.Append(nil), make([]byte, tagLen))
			p.send(req)
			ans := p.recv(60 * time.Millisecond)
			if ans == nil {
				refused++
				continue
			}
			answered++
			if !withinAmplification(p.addr(), len(req), len(ans)) {
				t.Fatalf("request %d bytes answered with %d", len(req), len(ans))
			}
			if extra := p.recv(20 * time.Millisecond); extra != nil {
				t.Fatal("more than one datagram for one request")
			}
		}
	}
	if answered == 0 || refused == 0 {
		t.Fatalf("answered %d refused %d: the bound should cut somewhere", answered, refused)
	}
	if srv.Stats().AnswersTooLarge != uint64(refused) {
		t.Fatalf("refusals counted %d, seen %d", srv.Stats().AnswersTooLarge, refused)
	}
	for _, capture := range []string{gocapIHello, "7ec60dab48a2a66b3664abc0af23e0c89634118f0d423863f988da53ac9c2f0bacbfb1238447bf5b9ff305faeb82f6d31eafee29"} {
		p.send(unhex(t, capture))
		if p.recv(time.Second) == nil {
			t.Fatalf("Flash IHello of %d bytes not answered", len(capture)/2)
		}
	}
}

// TestShortPathIHelloAnswered: librtmfp (FFmpeg's RTMFP, 2.15) sends only
// the path of the URL in its EPD, so rtmfp://127.0.0.1:19371/live/stream
// gives this captured 36-byte IHello (EPD 05 0a "live", 16-byte tag). It
// must get an RHello despite the amplification bound.
func TestShortPathIHelloAnswered(t *testing.T) {
	srv, _ := listenServer(t, Config{Loops: 1})
	p := newRawPeer(t, srv.LocalAddr())
	const librtmfpIHello = "8a5c0646e2dfc8236883ce65eb0e09c7bf0a984be95f56059be61a6906f819447d1a934c"
	req := unhex(t, librtmfpIHello)
	if len(req) != 36 {
		t.Fatalf("capture is %d bytes", len(req))
	}
	p.send(req)
	ans := p.recv(time.Second)
	if ans == nil {
		t.Fatalf("36-byte IHello not answered (answers too large: %d)", srv.Stats().AnswersTooLarge)
	}
	_, body := p.openStartup(ans)
	if body[3] != byte(wire.ChunkRHello) {
		t.Fatalf("answer chunk %#x", body[3])
	}
	if !withinAmplification(p.addr(), len(req), len(ans)) {
		t.Fatalf("request %d bytes answered with %d", len(req), len(ans))
	}
}

func TestHelloRateLimit(t *testing.T) {
	srv, _ := listenServer(t, Config{Loops: 1, HelloRate: 0.001, HelloBurst: 3})
	p := newRawPeer(t, srv.LocalAddr())
	epd := wire.EPD{AncillaryData: []byte("rtmfp://localhost/app/with/a/long/enough/path")}.Append(nil)
	for range 10 {
		p.send(p.ihelloPacket(epd, make([]byte, 16)))
	}
	got := 0
	for p.recv(200*time.Millisecond) != nil {
		got++
	}
	if got != 3 || srv.Stats().HellosRateLimited != 7 {
		t.Fatalf("%d answers, %d limited", got, srv.Stats().HellosRateLimited)
	}
}

// TestDHFlood floods the responder with valid keyings beyond
// MaxConcurrentDH while an established session exchanges messages: the
// excess is dropped and counted, the session is not disturbed.
func TestDHFlood(t *testing.T) {
	srv, sh := listenServer(t, Config{Loops: 2, MaxConcurrentDH: 1, HelloRate: 1e6, HelloBurst: 1e6})
	ch := newTestHandler()
	cli, err := Listen("udp4", "127.0.0.1:0", Config{Handler: ch, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cs := dial(t, cli, srv)
	waitFor(t, 5*time.Second, "server session", func() bool { return sh.count() == 1 })
	ss, sr := sh.session(0)
	f, err := cs.OpenFlow([]byte("x"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	floodDone := make(chan int)
	attacker := newRawPeer(t, srv.LocalAddr())
	cookie := attacker.cookieFor("rtmfp://localhost/")
	go func() {
		n := 0
		for sid := uint32(0x10000000); !stop.Load(); sid++ {
			attacker.send(attacker.key.Seal(nil, 0, flashKeying(t, cookie, sid)))
			n++
			if n%64 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		floodDone <- n
	}()
	// Messages keep flowing both ways during the flood.
	for i := range 50 {
		if err := f.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "message through the flood", func() bool { m, _ := sr.totals(); return m == i+1 })
	}
	waitFor(t, 10*time.Second, "drops", func() bool { return srv.Stats().DHDropped > 100 })
	stop.Store(true)
	sent := <-floodDone
	st := srv.Stats()
	t.Logf("flood of %d keyings: %d DH computed, %d dropped over the cap", sent, st.DHComputed, st.DHDropped)
	if ss.isGone() || cs.isGone() {
		t.Fatal("the established session died")
	}
	if st.DHComputed+st.DHDropped+st.KeyingsRetransmit+st.KeyingsInProgress > uint64(sent)+1 {
		t.Fatal("more keyings accounted than sent")
	}
}

// TestInitiatorFollowsCookieChange plays a server that answers the first
// IIKeying with a Cookie Change: our initiator repeats its keying with the
// new cookie, once.
func TestInitiatorFollowsCookieChange(t *testing.T) {
	ch := newTestHandler()
	cli, err := Listen("udp4", "127.0.0.1:0", Config{Loops: 1, Handler: ch, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	fake := newRawPeer(t, cli.LocalAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go cli.Dial(ctx, "rtmfp://"+fake.addr().String()+"/app")

	readChunk := func() wire.Chunk {
		pkt := fake.recv(5 * time.Second)
		if pkt == nil {
			t.Fatal("nothing from the initiator")
		}
		_, body := fake.openStartup(pkt)
		r := wire.NewChunkReader(body[3:])
		c, _ := r.Next()
		return c
	}
	c := readChunk()
	ih, _, err := wire.ParseIHello(c.Value)
	if c.Type != wire.ChunkIHello || err != nil || len(ih.Tag) != 16 {
		t.Fatalf("first packet %v %v", c.Type, err)
	}
	var rnd [64]byte
	cookie1, cookie2 := bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 64)
	body := wire.NewHeader(wire.ModeStartup, 1, 0, false).Append(nil)
	body = wire.RHello{TagEcho: ih.Tag, Cookie: cookie1, Certificate: serverCertificate(supportedGroups, &rnd)}.Append(body)
	fake.send(fake.key.Seal(nil, 0, body))

	c = readChunk()
	for c.Type == wire.ChunkIHello { // a retransmission raced the RHello
		c = readChunk()
	}
	ik, _, err := wire.ParseIIKeying(c.Value)
	if c.Type != wire.ChunkIIKeying || err != nil || !bytes.Equal(ik.Cookie, cookie1) {
		t.Fatalf("keying %v %v", c.Type, err)
	}
	// Flash's layout: a 132-byte certificate 81 02 1d 02 ‖ key, signature X.
	if len(ik.Certificate) != 132 || !bytes.Equal(ik.Certificate[:4], []byte{0x81, 0x02, 0x1d, 0x02}) || string(ik.Signature) != "X" {
		t.Fatalf("certificate %x signature %q", ik.Certificate[:4], ik.Signature)
	}
	body = wire.NewHeader(wire.ModeStartup, 2, 0, false).Append(nil)
	body = wire.CookieChange{OldCookie: cookie1, NewCookie: cookie2}.Append(body)
	fake.send(fake.key.Seal(nil, ik.InitiatorSID, body))
	c = readChunk()
	ik2, _, err := wire.ParseIIKeying(c.Value)
	if c.Type != wire.ChunkIIKeying || err != nil || !bytes.Equal(ik2.Cookie, cookie2) || ik2.InitiatorSID != ik.InitiatorSID {
		t.Fatalf("keying after cookie change: %v %v", c.Type, err)
	}
}

// TestSameCertificateReplacesSession: a new keying with the certificate of
// an open session, from its address, replaces it.
func TestSameCertificateReplacesSession(t *testing.T) {
	srv, h := listenServer(t, Config{Loops: 2})
	p := newRawPeer(t, srv.LocalAddr())
	cookie := p.cookieFor("rtmfp://localhost/")
	p.send(p.key.Seal(nil, 0, flashKeying(t, cookie, 0x02000000)))
	if p.recv(5*time.Second) == nil {
		t.Fatal("no RIKeying")
	}
	waitFor(t, 5*time.Second, "first session", func() bool { return h.count() == 1 })
	_, first := h.session(0)
	p.send(p.key.Seal(nil, 0, flashKeying(t, cookie, 0x03000000)))
	waitFor(t, 5*time.Second, "second session", func() bool { return h.count() == 2 })
	<-first.closeCh
	if _, err := first.isClosed(); !errors.Is(err, ErrReplaced) {
		t.Fatalf("first session closed with %v", err)
	}
	if st := srv.Stats(); st.SessionsReplaced != 1 || st.SessionsActive != 1 {
		t.Fatalf("replaced %d active %d", st.SessionsReplaced, st.SessionsActive)
	}
}

// TestBlockedAddressIgnored: a datagram from an address Config.Blocked
// refuses gets no answer and is counted; lifting the block restores
// service.
func TestBlockedAddressIgnored(t *testing.T) {
	var blocked atomic.Bool
	blocked.Store(true)
	srv, _ := listenServer(t, Config{Loops: 1, Blocked: func(a netip.Addr) bool {
		return blocked.Load() && a == netip.MustParseAddr("127.0.0.1")
	}})
	p := newRawPeer(t, srv.LocalAddr())
	epd := wire.EPD{AncillaryData: []byte("rtmfp://localhost/app")}.Append(nil)
	p.send(p.ihelloPacket(epd, make([]byte, 16)))
	if pkt := p.recv(300 * time.Millisecond); pkt != nil {
		t.Fatalf("blocked address answered: %x", pkt)
	}
	if st := srv.Stats(); st.DroppedBlocked != 1 || st.HellosAnswered != 0 {
		t.Fatalf("dropped blocked %d, hellos answered %d", st.DroppedBlocked, st.HellosAnswered)
	}
	blocked.Store(false)
	p.send(p.ihelloPacket(epd, make([]byte, 16)))
	if pkt := p.recv(5 * time.Second); pkt == nil {
		t.Fatal("no answer after the block was lifted")
	}
}
