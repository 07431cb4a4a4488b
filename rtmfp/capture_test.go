package rtmfp

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"nimbus/rtmfp/crypto"
)

// Appendix A.1 (GOCAP): Flash Player 11.7 talking to a server whose DH
// private exponent is published, so our responder can be made to produce
// the very bytes of the capture.
const (
	gocapIHello  = "aa3b94548ea6bff7249d2ba3c54fd3e555d9a98b3212edec2b7462e90d781020959eaf35228f820945037bafa79f30b4907b71beadcc3987c683c2ffefaabaa5450e953e"
	gocapRHello  = "57147598b859c822ef4dbdba5fcf91ebe55806eb850beace7cbcedcb77b9a30098f6cb29e20467a5a30a812750740ab9c4663a9621f267bebcd6df54bf975960219f7c203961a877d8f71b89a8f724af2ca1f0a538d7c56f03151e8b20102fa08ddfe1d97d4e07f0c08a2eecc563fc9922a033fe07edbbdebe51d3eab4002446ec3fc10fc0ee1755c67c5108dddb0261ccd08a3a2c706f9c3751bc9153fb90865322672e999e4984fecb7ae40e4a10cb1cb6a07a"
	gocapRIKey   = "9d6fe813760d3c91e962d4820be5cb171a918c75649e3cc1f3ba707fff63ab2a5459dccbdcf0818560ffa0a9038afc0e082536f77fa63f07354f2d600b6d33a38ace2d85b249b4b2c44c8fe85910c4068ec0768d28bebc4f053e814fee84ca487dd50e3ce75178dff9e7d3e33f78857fd0ea49451b0ec7034aca894f0c31a688dae26f922adbd202a8e6c290c557c7adc4adf2895e9e409360db59359215f614863e4181"
	gocap5       = "cdc8f1c57954ccdcb49c3d184cc98a1329f9b6db5c271089c5fda0b344a704348afe2ee74ad56468d036d35d2d3d3844189dd20ae1948c412976c2c7424b5957608751d0448cf0bf608155c2ca37ad214513d1a18a26360a16dd04246e812d518b196a377cac45ad7acde549b016a2ee2433a757bfbbf07be9b063f6337a9a783f4a884697507be7e00574730f4ca59ba3eeb32582a55afb1706c0074915abe424daf937f2a9a710b85ba2973e75fcd45a0bc54dde042cd3f12728204faefe9cba17d1863740413d893989f5720815e87838b7e4991ae7ff66ff07ccce1b4f22d32a9149dcbe47bcf8d6c1ac8d2f37c620fa2917c5a132d525a8897267fa2b70ca51d466f64f75c38b837e00fe1e81a2255d6122"
	gocapServerX = "00FFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"

	capTag       = "2175b73f525fa0dd1f75ae339a706cc3"
	capCookie    = "b549c3e57f851a22a7e0a078bc6348a97c289b6430ba2b78c8a63c0efa863cd485481fa001d44e4272208e5dc3186d070a84dc385e3561f13263ae857f478a1b"
	capCertRand  = "dca02507eed7fde67b9b219331ecfa94a214c3b5ed2039fd3f0581e835f495047b746a80694a62780464cbcc63e38c9f9f4d3cc3cbfbd62a6323c945fafa1077"
	capClientKey = "d29eaed01fedbb439022d9203a1b7ee4dc261922e5fbda3236648367d2af6e90a5d22cadd9b6759f0ae9f7cd349ed6408fb9cedeb272b34b2c4b22cdeaf384a7063fd0be63c6041e5ddc75142c286200c67d1caa963e1adf7ffec0683237d311a9c7446ff4d7e0ee9d370f000b72f85347ec6b572891be7fe11d6413653b7cda"
	capSKICRand  = "f39d1c5592126b046da3eb5fae38c04631bf90cb7a44a5cc526a256e321b389ed9f0c19346ab5b0dda10ce8045cbd5f538dd1de2b574c77e0afe4c77f8809569"
	capServerKey = "eb93677023c1fc1223e636134aa839b9c33891380868c4753d1a45deefc92b925346ef482735349e6d9a5bca2ca29407710fac393c8a3c05ad951a1fa1f3a2a4dfd641a06f739ba82c26ac45c08919d8dae41ac21ed6de83298ac9535c913ed6696f5061c27b6d5e424dfe63a09f788e9351ee29537bd6b4b9c0dfe1c913d762"

	// Bodies (after the checksum) with the header's flags and timestamp
	// (3 bytes) cut off, since our clock differs.
	capRHelloTail   = "70009f10" + capTag + "40" + "%COOKIE%" + "010a410e" + capCertRand + "02150202150502150e" + "ffffffffffffffffff"
	capIIKeyingBody = "0b1e69" + "38011902000000" + "40" + "%COOKIE%" + "8104" + "81021d02" + capClientKey + "4c" + "021d02410e" + capSKICRand + "031a020a021e02" + "58"
	capRIKeyingTail = "78009200000001810b031a0000021e0081020d02" + capServerKey + "58ffffffffffff"

	capConnectMsg = "1400000000020007636f6e6e656374003ff00000000000000300036170700200000008666c61736856657202001057494e2031312c372c3730302c323032000673776655726c060005746355726c02001872746d66703a2f2f3139322e3136382e3133372e3138332f0004667061640100000c6361706162696c697469657300406d600000000000000b617564696f436f646563730040abee0000000000000b766964656f436f6465637300406f800000000000000d766964656f46756e6374696f6e003ff000000000000000077061676555726c06000e6f626a656374456e636f64696e67004008000000000000000009"

	capNearNonce = "f478fd0f9ce5045a55f0e1dd007e28ee6e979b2f57e81cc5d182bef96b50da96"
	capFarNonce  = "e613485a97a4015eef70bd584159bd5a73c64ba2b5e198ac2ec5d8c83465ad9f"
	capFarID     = "86241000ea4d58784f613f40f28bc022b475d8682d2091c5ed8a1af5bf0aa0c4"
	capPeerID    = "9210df7cb656cad82a607efd810e6c3f922a062ec7dae6df0f39e8a7248dcbf8"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// rawPeer is a bare UDP socket speaking to an endpoint byte by byte.
type rawPeer struct {
	t    testing.TB
	conn *net.UDPConn
	to   netip.AddrPort
	key  *crypto.PacketKey
}

func newRawPeer(t testing.TB, to net.Addr) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	k, err := crypto.NewDefaultPacketKey()
	if err != nil {
		t.Fatal(err)
	}
	return &rawPeer{t: t, conn: c, to: to.(*net.UDPAddr).AddrPort(), key: k}
}

func (p *rawPeer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *rawPeer) send(b []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(b, p.to); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next datagram, or nil after timeout.
func (p *rawPeer) recv(timeout time.Duration) []byte {
	p.conn.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 4096)
	n, _, err := p.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// openStartup decrypts a startup packet and returns its SSID and body.
func (p *rawPeer) openStartup(pkt []byte) (uint32, []byte) {
	p.t.Helper()
	ssid, err := crypto.SSID(pkt)
	if err != nil {
		p.t.Fatal(err)
	}
	body, err := p.key.Open(bytes.Clone(pkt))
	if err != nil {
		p.t.Fatalf("open: %v", err)
	}
	return ssid, body
}

// TestCaptureByteExact replays Flash's side of the Appendix A.1 capture to
// our responder, made deterministic with the capture's certificate
// randomness, the published DH exponent and session ID 1. Our RHello and
// RIKeying must match the captured ones byte for byte (except the cookie,
// which is ours, and the timestamps), and Flash's first session packet,
// encrypted under keys derived from the captured exchange, must decrypt
// and deliver its connect command.
func TestCaptureByteExact(t *testing.T) {
	x, ok := new(big.Int).SetString(gocapServerX, 16)
	if !ok {
		t.Fatal("bad exponent")
	}
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
	defer srv.Close()
	if id := srv.PeerID(); hex.EncodeToString(id[:]) != capFarID {
		got := hex.EncodeToString(id[:])
		t.Fatalf("server fingerprint %s, want %s", got, capFarID)
	}
	flash := newRawPeer(t, srv.LocalAddr())

	// IHello → RHello.
	flash.send(unhex(t, gocapIHello))
	pkt := flash.recv(5 * time.Second)
	if pkt == nil {
		t.Fatal("no RHello")
	}
	if len(pkt) != len(gocapRHello)/2 {
		t.Fatalf("RHello datagram %d bytes, capture %d", len(pkt), len(gocapRHello)/2)
	}
	ssid, body := flash.openStartup(pkt)
	if ssid != 0 || body[0] != 0x0b {
		t.Fatalf("RHello ssid %#x flags %#x", ssid, body[0])
	}
	cookie := body[3+4+16+1 : 3+4+16+1+64]
	want := strings.Replace(capRHelloTail, "%COOKIE%", hex.EncodeToString(cookie), 1)
	if got := hex.EncodeToString(body[3:]); got != want {
		t.Fatalf("RHello differs from the capture:\n got %s\nwant %s", got, want)
	}

	// IIKeying (Flash's, with our cookie) → RIKeying.
	ik := unhex(t, strings.Replace(capIIKeyingBody, "%COOKIE%", hex.EncodeToString(cookie), 1))
	flash.send(flash.key.Seal(nil, 0, ik))
	pkt = flash.recv(5 * time.Second)
	if pkt == nil {
		t.Fatal("no RIKeying")
	}
	if len(pkt) != len(gocapRIKey)/2 {
		t.Fatalf("RIKeying datagram %d bytes, capture %d", len(pkt), len(gocapRIKey)/2)
	}
	ssid, body = flash.openStartup(pkt)
	if ssid != 0x02000000 || body[0] != 0x0b {
		t.Fatalf("RIKeying ssid %#x flags %#x", ssid, body[0])
	}
	if got := hex.EncodeToString(body[3:]); got != capRIKeyingTail {
		t.Fatalf("RIKeying differs from the capture:\n got %s\nwant %s", got, capRIKeyingTail)
	}

	// The retransmitted IIKeying gets the same bytes from the cache.
	flash.send(flash.key.Seal(nil, 0, ik))
	again := flash.recv(5 * time.Second)
	if !bytes.Equal(again, pkt) {
		t.Fatal("retransmitted IIKeying got a different answer")
	}
	st := srv.Stats()
	if st.DHComputed != 1 || st.KeyingsRetransmit != 1 {
		t.Fatalf("DH computed %d times, %d cached answers", st.DHComputed, st.KeyingsRetransmit)
	}

	// Flash's connect, encrypted with the captured session's key.
	waitFor(t, 5*time.Second, "session", func() bool { return h.count() == 1 })
	s, r := h.session(0)
	if s.ID() != 1 || s.FarID() != 0x02000000 {
		t.Fatalf("session ids %#x/%#x", s.ID(), s.FarID())
	}
	if hex.EncodeToString(s.NearNonce()) != capNearNonce || hex.EncodeToString(s.FarNonce()) != capFarNonce {
		t.Fatal("nonces differ from the capture")
	}
	if got := s.FarPeerID(); hex.EncodeToString(got[:]) != capPeerID {
		t.Fatal("client peer ID differs from the capture")
	}
	flash.send(unhex(t, gocap5))
	waitFor(t, 5*time.Second, "connect message", func() bool { m, _ := r.totals(); return m == 1 })
	f := r.firstFlow()
	if f.ID() != 2 || string(f.Metadata()) != "TC\x04\x00" {
		t.Fatalf("flow %d metadata %x", f.ID(), f.Metadata())
	}
	if got := hex.EncodeToString(r.messages(2)[0]); got != capConnectMsg {
		t.Fatalf("connect message differs:\n got %s\nwant %s", got, capConnectMsg)
	}
	// The server acknowledges flow 2 within 200 ms (Flash sent one packet).
	ack := flash.recv(2 * time.Second)
	if ack == nil {
		t.Fatal("no acknowledgement")
	}
	if sid, _ := crypto.SSID(ack); sid != 0x02000000 {
		t.Fatalf("ack to ssid %#x", sid)
	}
}
