package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"

	"nimbus/rtmfp/wire"
)

// pairKeys derives the two ends' keys from a fixed secret and components.
func pairKeys() (responder, initiator SessionKeys) {
	secret := bytes.Repeat([]byte{0x5a}, 128)
	skic := []byte("initiator component")
	skrc := []byte("responder component")
	return DeriveSessionKeys(secret, skrc, skic), DeriveSessionKeys(secret, skic, skrc)
}

// mirror returns the mode of the far end given ours.
func mirror(m Mode) Mode {
	return Mode{SendHMACLen: m.RecvHMACLen, RecvHMACLen: m.SendHMACLen, SendSSeq: m.RecvSSeq, RecvSSeq: m.SendSSeq}
}

func newPair(t *testing.T, m Mode) (server, client *SessionCipher) {
	t.Helper()
	rk, ik := pairKeys()
	server, err := NewSessionCipher(&rk, m)
	if err != nil {
		t.Fatal(err)
	}
	client, err = NewSessionCipher(&ik, mirror(m))
	if err != nil {
		t.Fatal(err)
	}
	return server, client
}

var modes = []Mode{
	{},
	{SendHMACLen: 10, RecvHMACLen: 16},
	{SendSSeq: true, RecvSSeq: true},
	{SendHMACLen: 32, RecvHMACLen: 4, SendSSeq: true, RecvSSeq: true},
	{SendHMACLen: 16, RecvSSeq: true},
}

func TestSessionCipherRoundTrip(t *testing.T) {
	for _, m := range modes {
		server, client := newPair(t, m)
		for i, size := range []int{0, 1, 13, 14, 15, 16, 100, 1150} {
			body := bytes.Repeat([]byte{byte(i)}, size)
			for _, dir := range []struct{ from, to *SessionCipher }{{server, client}, {client, server}} {
				pkt := dir.from.Seal(nil, 0x45020000, body)
				if len(pkt) > 4+size+dir.from.Overhead()+1 { // +1: the sequence number may have grown
					t.Fatalf("%+v: %d-byte body sealed into %d bytes (overhead %d)", m, size, len(pkt), dir.from.Overhead())
				}
				ssid, err := SSID(pkt)
				if err != nil || ssid != 0x45020000 {
					t.Fatalf("ssid %#x", ssid)
				}
				got, err := dir.to.Open(pkt)
				if err != nil || !bytes.Equal(got[:size], body) {
					t.Fatalf("%+v size %d: %v", m, size, err)
				}
			}
		}
	}
}

// TestSessionCipherLayout rebuilds an HMAC + sequence-number packet with
// the standard library alone, following RFC 7425 §4.6 / rtmfp-cpp.
func TestSessionCipherLayout(t *testing.T) {
	rk, _ := pairKeys()
	m := Mode{SendHMACLen: 10, SendSSeq: true}
	c, err := NewSessionCipher(&rk, m)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte{0x0a, 0x12, 0x34, 0x4c, 0x00, 0x00}
	c.Seal(nil, 1, body)                 // sseq 0
	pkt := c.Seal(nil, 0x11223344, body) // sseq 1

	plain := append([]byte{0x01}, body...) // VLU(1) ‖ body, no checksum
	for len(plain)%16 != 0 {
		plain = append(plain, 0xff)
	}
	block, _ := aes.NewCipher(rk.EncryptKey[:])
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(ct, plain)
	mac := hmac.New(sha256.New, rk.SendHMACKey[:])
	mac.Write(ct)
	want := append(append(make([]byte, 4), ct...), mac.Sum(nil)[:10]...)
	putSSID(want, 0x11223344)
	if !bytes.Equal(pkt, want) {
		t.Fatalf("layout:\n%x\n%x", pkt, want)
	}
	// And the HMAC key is H(S, full encrypt hash).
	secret := bytes.Repeat([]byte{0x5a}, 128)
	inner := hmac.New(sha256.New, []byte("initiator component"))
	inner.Write([]byte("responder component"))
	full := hmac.New(sha256.New, secret)
	full.Write(inner.Sum(nil))
	encHash := full.Sum(nil)
	k := hmac.New(sha256.New, secret)
	k.Write(encHash)
	if !bytes.Equal(k.Sum(nil), rk.SendHMACKey[:]) || !bytes.Equal(encHash[:16], rk.EncryptKey[:]) {
		t.Fatalf("HMAC key derivation")
	}
}

func TestSessionCipherTampering(t *testing.T) {
	for _, m := range modes {
		server, client := newPair(t, m)
		pkt := server.Seal(nil, 3, []byte("some session body with chunks"))
		for i := 4; i < len(pkt); i++ {
			b := bytes.Clone(pkt)
			b[i] ^= 0x80
			_, err := client.Open(b)
			if err == nil {
				t.Fatalf("%+v: flip at byte %d accepted", m, i)
			}
			if m.SendHMACLen > 0 && !errors.Is(err, ErrHMAC) {
				t.Fatalf("%+v: flip at %d: %v, want ErrHMAC", m, i, err)
			}
		}
		if _, err := client.Open(pkt[:len(pkt)-1]); !errors.Is(err, ErrPacketSize) {
			t.Fatalf("%+v: truncated: %v", m, err)
		}
		// The untouched packet still opens: failed attempts did not
		// consume its sequence number.
		if _, err := client.Open(pkt); err != nil {
			t.Fatalf("%+v: original after tampering: %v", m, err)
		}
	}
}

func TestSessionCipherReplay(t *testing.T) {
	server, client := newPair(t, Mode{SendSSeq: true, RecvSSeq: true, SendHMACLen: 8, RecvHMACLen: 8})
	var pkts [][]byte
	for range 100 {
		pkts = append(pkts, server.Seal(nil, 1, []byte("data")))
	}
	open := func(i int) error { _, err := client.Open(bytes.Clone(pkts[i])); return err }
	for _, i := range []int{0, 5, 3, 4, 1} {
		if err := open(i); err != nil {
			t.Fatalf("first delivery of %d: %v", i, err)
		}
	}
	for _, i := range []int{0, 5, 3} {
		if err := open(i); !errors.Is(err, ErrReplay) {
			t.Fatalf("replay of %d: %v", i, err)
		}
	}
	if err := open(60); err != nil {
		t.Fatal(err)
	}
	// 29 is 31 behind 60: still inside the window; 28 is 32 behind: too old.
	if err := open(29); err != nil {
		t.Fatalf("29: %v", err)
	}
	if err := open(28); !errors.Is(err, ErrReplay) {
		t.Fatalf("28: %v", err)
	}
	if err := open(2); !errors.Is(err, ErrReplay) {
		t.Fatalf("2 (never seen, too old): %v", err)
	}
	// A jump of more than 64 resets the bitmap cleanly.
	if err := open(99); err != nil || open(99) == nil {
		t.Fatalf("99")
	}
	if err := open(61); !errors.Is(err, ErrReplay) {
		t.Fatalf("61 is 38 behind 99: %v", err)
	}
	if err := open(70); err != nil {
		t.Fatalf("70 is 29 behind 99: %v", err)
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		local      Policy
		far        uint8
		send, recv bool
		fail       bool
	}{
		{Policy{}, wire.NegotiateSendOnRequest, false, false, false},                    // Flash ↔ Adobe-style server
		{Policy{SendOnRequest: true}, wire.NegotiateSendOnRequest, false, false, false}, // rtmfp-cpp default ↔ default
		{Policy{SendOnRequest: true}, wire.NegotiateSendOnRequest | wire.NegotiateRequest, true, false, false},
		{Policy{}, wire.NegotiateRequest, false, false, true},                    // they require, we never send
		{Policy{Require: true}, 0, false, false, true},                           // we require, they never send
		{Policy{Require: true}, wire.NegotiateSendOnRequest, false, true, false}, // they send because we ask
		{Policy{}, wire.NegotiateSendAlways, false, true, false},                 // they always send
		{Policy{SendAlways: true}, 0, true, false, false},
	} {
		send, recv, err := Negotiate(tc.local, tc.far)
		if (err != nil) != tc.fail || send != tc.send || recv != tc.recv {
			t.Errorf("Negotiate(%+v, %#x) = %v %v %v", tc.local, tc.far, send, recv, err)
		}
	}
	if (Policy{SendAlways: true, SendOnRequest: true, Require: true}).Flags() != 7 {
		t.Fatal("flags")
	}
}

func TestNegotiateMode(t *testing.T) {
	// An rtmfp-cpp client that always sends a 16-byte HMAC and requires
	// sequence numbers, against a server willing to do both on request.
	far := wire.KeyComponent{
		HMAC: wire.Negotiation{Present: true, Flags: wire.NegotiateSendAlways | wire.NegotiateSendOnRequest | wire.NegotiateRequest, HMACLength: 16},
		SSeq: wire.Negotiation{Present: true, Flags: wire.NegotiateSendOnRequest | wire.NegotiateRequest},
	}
	p := KeyingPolicy{HMAC: Policy{SendOnRequest: true}, HMACLen: 12, SSeq: Policy{SendOnRequest: true}}
	m, err := NegotiateMode(p, far)
	if err != nil || m != (Mode{SendHMACLen: 12, RecvHMACLen: 16, SendSSeq: true}) {
		t.Fatalf("%+v %v", m, err)
	}
	// Bad far HMAC length.
	far.HMAC.HMACLength = 40
	if _, err := NegotiateMode(p, far); !errors.Is(err, ErrNegotiation) {
		t.Fatalf("length 40: %v", err)
	}
	// The Adobe-style zero policy refuses a client that requires HMAC.
	if _, err := NegotiateMode(KeyingPolicy{}, far); !errors.Is(err, ErrNegotiation) {
		t.Fatalf("zero policy: %v", err)
	}
	if _, err := NewSessionCipher(&SessionKeys{}, Mode{SendHMACLen: 3}); !errors.Is(err, ErrNegotiation) {
		t.Fatalf("hmac length 3: %v", err)
	}
}

func TestSessionCipherDoesNotAllocate(t *testing.T) {
	for _, m := range []Mode{{}, {SendHMACLen: 16, RecvHMACLen: 16, SendSSeq: true, RecvSSeq: true}} {
		server, client := newPair(t, m)
		body := make([]byte, 1100)
		buf := make([]byte, 0, len(body)+MaxOverhead)
		var err error
		allocs := testing.AllocsPerRun(100, func() {
			pkt := server.Seal(buf[:0], 1, body)
			_, err = client.Open(pkt)
		})
		if err != nil || allocs != 0 {
			t.Fatalf("mode %+v: %.1f allocations, err %v", m, allocs, err)
		}
	}
}

// TestSessionCipherKeepsOneModePerDirection guards the memory layout: a
// session cipher holds an encrypter for its encrypt key, a decrypter for
// its decrypt key, and no cipher.Block besides (each would be another
// copy of an AES key schedule per session).
func TestSessionCipherKeepsOneModePerDirection(t *testing.T) {
	server, _ := newPair(t, Mode{})
	if server.enc.mode == nil || server.dec.mode == nil {
		t.Fatal("CBC modes not built")
	}
	if server.enc.block != nil || server.dec.block != nil {
		t.Fatal("a cipher.Block is kept besides the CBC modes")
	}
	if server.enc.decrypt || !server.dec.decrypt {
		t.Fatal("directions swapped")
	}
}
