package rtmfp

import (
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// fakeFlash replays the capture's handshake and then speaks as Flash in
// the established session, with the keys of the captured exchange.
type fakeFlash struct {
	*rawPeer
	srv    *Endpoint
	h      *testHandler
	cipher *crypto.SessionCipher
	s      *Session
	r      *recorder
}

func newFakeFlash(t *testing.T) *fakeFlash {
	t.Helper()
	x, _ := new(big.Int).SetString(gocapServerX, 16)
	var rnd [64]byte
	copy(rnd[:], unhex(t, capCertRand))
	h := newTestHandler()
	srv, err := Listen("udp4", "127.0.0.1:0", Config{
		Server: true, Loops: 1, Handler: h, Logger: testLogger(),
		testHooks: &testHooks{certRandomness: &rnd, ephemeralExponent: x, nextSID: 1, closeWait: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p := newRawPeer(t, srv.LocalAddr())
	p.send(unhex(t, gocapIHello))
	_, body := p.openStartup(p.recv(5 * time.Second))
	cookie := body[3+4+16+1 : 3+4+16+1+64]
	p.send(p.key.Seal(nil, 0, unhex(t, strings.Replace(capIIKeyingBody, "%COOKIE%", hex.EncodeToString(cookie), 1))))
	if p.recv(5*time.Second) == nil {
		t.Fatal("no RIKeying")
	}
	// Flash's view: near = SKIC, far = SKRC.
	flashKey := unhex(t, capClientKey)
	server, _ := crypto.NewPrivateKey(crypto.Group2, x)
	secret, err := server.SharedSecret(flashKey)
	if err != nil {
		t.Fatal(err)
	}
	skic := unhex(t, "021d02410e"+capSKICRand+"031a020a021e02")
	skrc := unhex(t, "031a0000021e0081020d02"+capServerKey)
	keys := crypto.DeriveSessionKeys(secret, skic, skrc)
	c, err := crypto.NewSessionCipher(&keys, crypto.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "session", func() bool { return h.count() == 1 })
	s, r := h.session(0)
	return &fakeFlash{rawPeer: p, srv: srv, h: h, cipher: c, s: s, r: r}
}

// sendChunks sends a session packet without timestamps (as rtmfp-cpp may).
func (f *fakeFlash) sendChunks(chunks ...wire.ChunkValue) {
	body := []byte{byte(wire.ModeInitiator)}
	for _, c := range chunks {
		body = c.Append(body)
	}
	f.send(f.cipher.Seal(nil, 1, body))
}

// recvChunks returns the header and chunks of the next session packet.
func (f *fakeFlash) recvChunks(timeout time.Duration) (wire.Header, []wire.ChunkValue, bool) {
	f.t.Helper()
	pkt := f.recv(timeout)
	if pkt == nil {
		return wire.Header{}, nil, false
	}
	if sid, _ := crypto.SSID(pkt); sid != 0x02000000 {
		f.t.Fatalf("packet to ssid %#x", sid)
	}
	body, err := f.cipher.Open(pkt)
	if err != nil {
		f.t.Fatalf("open: %v", err)
	}
	h, n, err := wire.ParseHeader(body)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []wire.ChunkValue
	for c := range wire.Chunks(body[n:]) {
		v, err := wire.ParseChunk(c)
		if err != nil {
			f.t.Fatalf("chunk %v: %v", c.Type, err)
		}
		out = append(out, v)
	}
	return h, out, true
}

func dataChunk(seq uint64, withMeta bool, data string) wire.UserData {
	u := wire.UserData{FlowID: 2, Seq: seq, FSNOffset: seq, Data: []byte(data)}
	if withMeta {
		u.Flags = wire.UserDataHasOptions
		u.Options = wire.AppendMetadataOption(nil, []byte("TC\x04\x00"))
	}
	return u
}

// TestAckTiming: a data packet that completes no message is acknowledged
// within 200 ms; one that completes a message, or the second data packet,
// at once.
func TestAckTiming(t *testing.T) {
	f := newFakeFlash(t)
	frag := func(seq uint64, fra wire.UserDataFlags, meta bool) wire.UserData {
		u := dataChunk(seq, meta, "part")
		u.Flags |= fra
		return u
	}
	start := time.Now()
	f.sendChunks(frag(1, wire.FragmentFirst, true))
	h, chunks, ok := f.recvChunks(time.Second)
	if !ok {
		t.Fatal("no ack")
	}
	delay := time.Since(start)
	a, isAck := chunks[0].(wire.Ack)
	if !isAck || a.FlowID != 2 || a.CumAck != 1 || a.BufferBlocks == 0 {
		t.Fatalf("got %#v", chunks)
	}
	if delay < 150*time.Millisecond || delay > 300*time.Millisecond {
		t.Fatalf("delayed ack after %v", delay)
	}
	// The server stamps every packet; Flash sent no timestamp, so there is
	// nothing to echo; the server sets TCR only per the rule.
	if !h.HasTimestamp() || h.HasTimestampEcho() || h.Mode() != wire.ModeResponder || h.TimeCriticalReverse() {
		t.Fatalf("header %+v", h)
	}
	start = time.Now()
	f.sendChunks(frag(2, wire.FragmentMiddle, false))
	f.sendChunks(frag(3, wire.FragmentMiddle, false))
	_, chunks, ok = f.recvChunks(time.Second)
	if !ok {
		t.Fatal("no ack")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("ack after two packets took %v", d)
	}
	if a := chunks[0].(wire.Ack); a.CumAck != 3 {
		t.Fatalf("cum ack %d", a.CumAck)
	}
	start = time.Now()
	f.sendChunks(frag(4, wire.FragmentLast, false))
	_, chunks, ok = f.recvChunks(time.Second)
	if !ok {
		t.Fatal("no ack")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("ack of a completed message took %v", d)
	}
	if a := chunks[0].(wire.Ack); a.CumAck != 4 {
		t.Fatalf("cum ack %d", a.CumAck)
	}
	waitFor(t, time.Second, "message", func() bool { m, _ := f.r.totals(); return m == 1 })
	if got := string(f.r.messages(2)[0]); got != "partpartpartpart" {
		t.Fatalf("reassembled %q", got)
	}
}

// TestBitmapAck: the server accepts the bitmap form of acknowledgements
// and repeats only what it says is missing.
func TestBitmapAck(t *testing.T) {
	f := newFakeFlash(t)
	f.sendChunks(dataChunk(1, true, "connect"))
	waitFor(t, time.Second, "flow", func() bool { return f.r.firstFlow() != nil })
	out, err := f.s.OpenFlow([]byte("TC\x04\x00"), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"one", "two", "three"} {
		out.Write([]byte(m))
	}
	seen := map[uint64]int{}
	deadline := time.Now().Add(2 * time.Second)
	for len(seen) < 3 && time.Now().Before(deadline) {
		_, chunks, ok := f.recvChunks(time.Second)
		if !ok {
			break
		}
		var prev wire.UserData
		for _, c := range chunks {
			switch u := c.(type) {
			case wire.UserData:
				seen[u.Seq]++
				prev = u
			case wire.NextUserData:
				prev = u.Follow(prev)
				seen[prev.Seq]++
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("saw %v", seen)
	}
	// Bitmap: cumulative 0, then seqs 2 and 3 (bits 0 and 1).
	f.sendChunks(wire.AckBitmap{FlowID: out.ID(), BufferBlocks: 0x3fff, CumAck: 0, Bitmap: []byte{0x03}})
	// Flash sent no timestamp echo, so no RTT sample: the initial 3 s
	// ERTO applies.
	var resent []uint64
	deadline = time.Now().Add(4 * time.Second)
	for time.Now().Before(deadline) && len(resent) == 0 {
		_, chunks, ok := f.recvChunks(time.Second)
		if !ok {
			continue
		}
		for _, c := range chunks {
			if u, ok := c.(wire.UserData); ok && u.FlowID == out.ID() {
				resent = append(resent, u.Seq)
			}
		}
	}
	if len(resent) != 1 || resent[0] != 1 {
		t.Fatalf("repeated %v, want only seq 1", resent)
	}
	f.sendChunks(wire.Ack{FlowID: out.ID(), BufferBlocks: 0x3fff, CumAck: 3})
	if _, chunks, ok := f.recvChunks(600 * time.Millisecond); ok {
		for _, c := range chunks {
			if _, isData := c.(wire.UserData); isData {
				t.Fatalf("data repeated after a full ack: %#v", c)
			}
		}
	}
}
