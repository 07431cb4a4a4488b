package crypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"nimbus/rtmfp/wire"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex: %v", err)
	}
	return b
}

// GOCAP capture (reference Appendix A.1): Flash Player 11.7 ↔ go-rtmfp.
const (
	gocapIHello   = "aa3b94548ea6bff7249d2ba3c54fd3e555d9a98b3212edec2b7462e90d781020959eaf35228f820945037bafa79f30b4907b71beadcc3987c683c2ffefaabaa5450e953e"
	gocapRHello   = "57147598b859c822ef4dbdba5fcf91ebe55806eb850beace7cbcedcb77b9a30098f6cb29e20467a5a30a812750740ab9c4663a9621f267bebcd6df54bf975960219f7c203961a877d8f71b89a8f724af2ca1f0a538d7c56f03151e8b20102fa08ddfe1d97d4e07f0c08a2eecc563fc9922a033fe07edbbdebe51d3eab4002446ec3fc10fc0ee1755c67c5108dddb0261ccd08a3a2c706f9c3751bc9153fb90865322672e999e4984fecb7ae40e4a10cb1cb6a07a"
	gocapIIKeying = "26db61caab4bff3f8d909ef541ecdd9129de73cbdfa8b95a2381d39b6f3352b8c103c2e3af9923f83005b0c5d09a6f56b657907302c38762ebeccb497f1222395b02135b77f86bd19e538466c9bb206a87da341174cf842c488ac3f9b8dd99967716a80e369bfbd273438d52b5b9d2251302ea5176747df4112dd8d5e29fc9365b6618fd5697485b5d6da93eb04befff0ff2f3056681f832352bd4f9e3d8280ed0f02d7b82736e16b8359239e8355fee3b2a95532f6683d2713c88da4a4265ffe0cbedf664342e65e1b4de48970f7aadb1e963fb372aed4c05c2411ffa9a776273d2afd8bc4a7a594bec606574a22a04718e535fd6f683b5d653c4155db83f5f21683e9d4848e9571a58c0d26333a7876d901444c7d36c5f52cc2f85ca9fa7a6de6be64d42ee706cdbd4a680e220b7df3d9ab1b0"
	gocapRIKeying = "9d6fe813760d3c91e962d4820be5cb171a918c75649e3cc1f3ba707fff63ab2a5459dccbdcf0818560ffa0a9038afc0e082536f77fa63f07354f2d600b6d33a38ace2d85b249b4b2c44c8fe85910c4068ec0768d28bebc4f053e814fee84ca487dd50e3ce75178dff9e7d3e33f78857fd0ea49451b0ec7034aca894f0c31a688dae26f922adbd202a8e6c290c557c7adc4adf2895e9e409360db59359215f614863e4181"
	gocap5        = "cdc8f1c57954ccdcb49c3d184cc98a1329f9b6db5c271089c5fda0b344a704348afe2ee74ad56468d036d35d2d3d3844189dd20ae1948c412976c2c7424b5957608751d0448cf0bf608155c2ca37ad214513d1a18a26360a16dd04246e812d518b196a377cac45ad7acde549b016a2ee2433a757bfbbf07be9b063f6337a9a783f4a884697507be7e00574730f4ca59ba3eeb32582a55afb1706c0074915abe424daf937f2a9a710b85ba2973e75fcd45a0bc54dde042cd3f12728204faefe9cba17d1863740413d893989f5720815e87838b7e4991ae7ff66ff07ccce1b4f22d32a9149dcbe47bcf8d6c1ac8d2f37c620fa2917c5a132d525a8897267fa2b70ca51d466f64f75c38b837e00fe1e81a2255d6122"

	gocapServerX = "00FFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
	gocapS       = "283c871296cebd97d34d69ed0d0db6950d729fbd31e25e87eb06269363b2096d08916dbfffcdd9ed39228c4afcf2c1b285c19cc8e4a17274d0fb014b2e69d60a0b9083aaff0c4c79b892dc5dc41a739cc3da25ffa67171e922883c184b155f753deff551a914473ed7358de89c47c6da19a864447c570596441160b04c771594"
	gocapKeyS2C  = "bc4b145aafb0f8287b3cf87bd036acf0"
	gocapKeyC2S  = "ca3e6206c4fe662bbd950e8d03574e35"
	gocapNearN   = "f478fd0f9ce5045a55f0e1dd007e28ee6e979b2f57e81cc5d182bef96b50da96"
	gocapFarN    = "e613485a97a4015eef70bd584159bd5a73c64ba2b5e198ac2ec5d8c83465ad9f"
	gocapFarID   = "86241000ea4d58784f613f40f28bc022b475d8682d2091c5ed8a1af5bf0aa0c4"
	gocapPeerID  = "9210df7cb656cad82a607efd810e6c3f922a062ec7dae6df0f39e8a7248dcbf8"
	gocapGroupA  = "2a48615742f7135593f69d757ee8a78c477416f12be9ffed79164a617593bfff"

	apnicIHello = "7ec60dab48a2a66b3664abc0af23e0c89634118f0d423863f988da53ac9c2f0bacbfb1238447bf5b9ff305faeb82f6d31eafee29"
)

// Session packets #6–#11 of the capture are documented as plaintext only
// (checksum ‖ body); #6 is rebuilt from the reference's abbreviated form.
var gocapPlain = map[string]string{
	"#6": "b284" + "4e64551e70" + "510003027f01" + "1000a5" + "80010101" + "050054430400" + "020a02" + "00" +
		"1400000000" + "0200075f726573756c74" + "003ff0000000000000" + "05" + "03" +
		"000e6f626a656374456e636f64696e67" + "004008000000000000" +
		"0004636f6465" + "02001d" + "4e6574436f6e6e656374696f6e2e436f6e6e6563742e53756363657373" +
		"000464617461" + "05" +
		"000b6465736372697074696f6e" + "020014" + "436f6e6e656374696f6e20737563636565646564" +
		"00056c6576656c" + "020006" + "737461747573" + "000009" + "ffffffffffffffffffffff",
	"#7":  "a627" + "0d1e766455" + "51000401ff7f01" + "ffff",
	"#8":  "2363" + "8d1e80645f" + "10004f" + "00020201" + "1100000082" + "00" + "02000b73657450656572496e666f" + "000000000000000000" + "05" + "0200133139322e3136382e3133372e313a3535363535" + "0200143139322e3136382e3230322e39393a3535363535" + "ffffffffffffff",
	"#11": "f82c" + "0d208d666d" + "4c0000" + "ffffffffffff",
}

// openCapture decrypts a captured packet with key and checks its SSID.
func openCapture(t *testing.T, wireHex string, key *PacketKey, wantSSID uint32) (packet, body []byte) {
	t.Helper()
	packet = unhex(t, wireHex)
	orig := bytes.Clone(packet)
	ssid, body, err := Open(packet, func(ssid uint32) PacketCipher { return key })
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if ssid != wantSSID {
		t.Fatalf("ssid %#x, want %#x", ssid, wantSSID)
	}
	// Re-sealing the decrypted body reproduces the captured bytes exactly:
	// same checksum, padding, ciphertext and scrambled SSID.
	if resealed := key.Seal(nil, ssid, body); !bytes.Equal(resealed, orig) {
		t.Fatalf("re-sealed packet differs:\n%x\n%x", resealed, orig)
	}
	return orig, body
}

// resealStructs rebuilds a packet from decoded structs only (header, chunk
// values, padding added by Seal) and requires the captured wire bytes.
func resealStructs(t *testing.T, c PacketCipher, ssid uint32, h wire.Header, v wire.ChunkValue, want string) {
	t.Helper()
	body := v.Append(h.Append(nil))
	if got := c.Seal(nil, ssid, body); !bytes.Equal(got, unhex(t, want)) {
		t.Fatalf("%v sealed from parsed structs differs from the capture:\n%x", v.ChunkType(), got)
	}
}

// firstChunk parses a body into its header and first chunk, which must be
// of type want.
func firstChunk(t *testing.T, body []byte, want wire.ChunkType) (wire.Header, wire.ChunkValue) {
	t.Helper()
	h, n, err := wire.ParseHeader(body)
	if err != nil {
		t.Fatal(err)
	}
	r := wire.NewChunkReader(body[n:])
	c, ok := r.Next()
	if !ok || c.Type != want {
		t.Fatalf("first chunk %v, want %v (%v)", c.Type, want, r.Err())
	}
	v, err := wire.ParseChunk(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v.Append(nil), c.Append(nil)) {
		t.Fatalf("%v does not re-encode to the captured bytes", want)
	}
	return h, v
}

func TestCaptureHandshakeAndKeys(t *testing.T) {
	def, err := NewDefaultPacketKey()
	if err != nil {
		t.Fatal(err)
	}

	// IHello: re-encrypting our re-encoded plaintext gives the wire bytes.
	_, body := openCapture(t, gocapIHello, def, 0)
	h, v := firstChunk(t, body, wire.ChunkIHello)
	resealStructs(t, def, 0, h, v, gocapIHello)

	// RHello: the server certificate and its fingerprint (Flash's farID).
	_, body = openCapture(t, gocapRHello, def, 0)
	h, v = firstChunk(t, body, wire.ChunkRHello)
	resealStructs(t, def, 0, h, v, gocapRHello)
	rhello := v.(wire.RHello)
	cert, err := wire.ParseCertificate(rhello.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if fp := Fingerprint(cert); hex.EncodeToString(fp[:]) != gocapFarID {
		t.Fatalf("server fingerprint %x", fp)
	}

	// IIKeying: client certificate → peer ID and group address.
	_, body = openCapture(t, gocapIIKeying, def, 0)
	h, v = firstChunk(t, body, wire.ChunkIIKeying)
	resealStructs(t, def, 0, h, v, gocapIIKeying)
	iik := v.(wire.IIKeying)
	if !bytes.Equal(iik.Cookie, rhello.Cookie) || iik.InitiatorSID != 0x02000000 {
		t.Fatalf("iikeying cookie/sid")
	}
	ccert, err := wire.ParseCertificate(iik.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	peerID := Fingerprint(ccert)
	if hex.EncodeToString(peerID[:]) != gocapPeerID {
		t.Fatalf("peer id %x", peerID)
	}
	if ga := GroupAddress(peerID); hex.EncodeToString(ga[:]) != gocapGroupA {
		t.Fatalf("group address %x", ga)
	}
	skic, err := wire.ParseKeyComponent(iik.SKIC)
	if err != nil || !skic.HasGroupSelect || skic.GroupSelect != 2 {
		t.Fatalf("skic %+v %v", skic, err)
	}

	// RIKeying: SSID scrambled with the initiator's SID, default key.
	_, body = openCapture(t, gocapRIKeying, def, 0x02000000)
	h, v = firstChunk(t, body, wire.ChunkRIKeying)
	resealStructs(t, def, 0x02000000, h, v, gocapRIKeying)
	rik := v.(wire.RIKeying)
	skrc, err := wire.ParseKeyComponent(rik.SKRC)
	if err != nil {
		t.Fatal(err)
	}
	serverPub, _ := skrc.EphemeralKey(2)

	// The published server exponent gives the captured public value and,
	// with the client's static key, the shared secret.
	x, _ := new(big.Int).SetString(gocapServerX, 16)
	priv, err := NewPrivateKey(Group2, x)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(priv.Public, serverPub) {
		t.Fatalf("2^x mod p differs from the RIKeying public value")
	}
	clientPub, ok := ccert.StaticKey(skic.GroupSelect)
	if !ok {
		t.Fatal("no client key for the selected group")
	}
	secret, err := priv.SharedSecret(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(secret) != gocapS {
		t.Fatalf("shared secret %x", secret)
	}

	// Responder view: near = SKRC, far = SKIC.
	keys := DeriveSessionKeys(secret, rik.SKRC, iik.SKIC)
	for name, got := range map[string][]byte{
		gocapKeyS2C: keys.EncryptKey[:], gocapKeyC2S: keys.DecryptKey[:],
		gocapNearN: keys.NearNonce[:], gocapFarN: keys.FarNonce[:],
	} {
		if hex.EncodeToString(got) != name {
			t.Fatalf("derived %x, want %s", got, name)
		}
	}
	// The initiator's view mirrors it.
	ckeys := DeriveSessionKeys(secret, iik.SKIC, rik.SKRC)
	if ckeys.EncryptKey != keys.DecryptKey || ckeys.DecryptKey != keys.EncryptKey ||
		ckeys.NearNonce != keys.FarNonce || ckeys.SendHMACKey != keys.RecvHMACKey {
		t.Fatalf("initiator keys do not mirror the responder's")
	}

	// The server negotiates checksum mode with Flash.
	mode, err := NegotiateMode(KeyingPolicy{}, skic)
	if err != nil || mode != (Mode{}) {
		t.Fatalf("mode %+v %v", mode, err)
	}
	server, err := NewSessionCipher(&keys, mode)
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewSessionCipher(&ckeys, mode)
	if err != nil {
		t.Fatal(err)
	}

	// #5: Flash's connect, SSID = our responder SID 1, key_c2s.
	packet := unhex(t, gocap5)
	ssid, body, err := Open(packet, func(ssid uint32) PacketCipher {
		if ssid == rik.ResponderSID {
			return server
		}
		return nil
	})
	if err != nil || ssid != 1 {
		t.Fatalf("#5: %v ssid %d", err, ssid)
	}
	h, v = firstChunk(t, body, wire.ChunkUserData)
	u := v.(wire.UserData)
	if md, _ := u.Metadata(); h.Flags != 0x8d || u.FlowID != 2 || !bytes.Equal(md, []byte("TC\x04\x00")) {
		t.Fatalf("#5 %+v %+v", h, u)
	}
	// The client cipher seals the re-encoded connect to the captured bytes.
	resealStructs(t, client, 1, h, u, gocap5)

	// #6–#11: verify the documented checksums, then carry each body
	// through the right direction's cipher and parse it.
	for name, plain := range gocapPlain {
		p := unhex(t, plain)
		if len(p)%16 != 0 {
			t.Fatalf("%s: plaintext of %d bytes", name, len(p))
		}
		if got, want := Checksum(p[2:]), uint16(p[0])<<8|uint16(p[1]); got != want {
			t.Fatalf("%s: checksum %04x, documented %04x", name, got, want)
		}
		from, to, ssid := client, server, uint32(1)
		if name == "#6" {
			from, to, ssid = server, client, 0x02000000
		}
		sealed := from.Seal(nil, ssid, p[2:])
		// Body with its padding is block-aligned, so Seal adds none and the
		// plaintext under the cipher is exactly the documented one.
		if len(sealed) != 4+len(p) {
			t.Fatalf("%s: sealed %d bytes", name, len(sealed))
		}
		gotSSID, body, err := Open(sealed, func(uint32) PacketCipher { return to })
		if err != nil || gotSSID != ssid || !bytes.Equal(body, p[2:]) {
			t.Fatalf("%s: %v", name, err)
		}
		if _, n, err := wire.ParseHeader(body); err == nil {
			for c := range wire.Chunks(body[n:]) {
				if _, err := wire.ParseChunk(c); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
		}
	}
}

func TestCaptureAPNIC(t *testing.T) {
	def, _ := NewDefaultPacketKey()
	_, body := openCapture(t, apnicIHello, def, 0)
	_, v := firstChunk(t, body, wire.ChunkIHello)
	epd, err := wire.ParseEPD(v.(wire.IHello).EPD)
	if err != nil || string(epd.AncillaryData) != "rtmfp://cc.rtmfp.net" {
		t.Fatalf("epd %q %v", epd.AncillaryData, err)
	}
	// The documented checksum sits right before the body.
	p := unhex(t, apnicIHello)
	if _, err := def.Open(p); err != nil || p[4] != 0x99 || p[5] != 0xf9 {
		t.Fatalf("apnic checksum %x %v", p[4:6], err)
	}
}

func TestGroupAddressDefinition(t *testing.T) {
	var id [32]byte
	copy(id[:], unhex(t, gocapPeerID))
	want := sha256.Sum256(append([]byte{0x21, 0x0f}, id[:]...))
	if GroupAddress(id) != want {
		t.Fatal("group address")
	}
}
