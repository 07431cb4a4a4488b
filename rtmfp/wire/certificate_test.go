package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestServerCertificateLayout(t *testing.T) {
	var rnd [64]byte
	for i := range rnd {
		rnd[i] = byte(i)
	}
	c := AppendServerCertificate(nil, &rnd)
	if len(c) != ServerCertificateLen {
		t.Fatalf("server certificate is %d bytes", len(c))
	}
	want := append(append(unhex(t, "010a 410e"), rnd[:]...), unhex(t, "021502 021505 02150e")...)
	if !bytes.Equal(c, want) {
		t.Fatalf("layout %x", c)
	}
}

// multiKeyCert builds an rtmfp-cpp style client certificate: one static key
// per group (16, 14, 2), about 900 bytes.
func multiKeyCert() ([]byte, map[uint64][]byte) {
	keys := map[uint64][]byte{
		16: bytes.Repeat([]byte{0x16}, 512),
		14: bytes.Repeat([]byte{0x14}, 256),
		2:  bytes.Repeat([]byte{0x02}, 128),
	}
	var c []byte
	for _, g := range []uint64{16, 14, 2} {
		c = AppendStaticKeyOption(c, g, keys[g])
	}
	return c, keys
}

func TestCertificateMultiKey(t *testing.T) {
	raw, keys := multiKeyCert()
	if len(raw) < 900 {
		t.Fatalf("certificate only %d bytes", len(raw))
	}
	c, err := ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsStatic() || c.CanonicalLen != len(raw) {
		t.Fatalf("%+v", c)
	}
	for g, k := range keys {
		got, ok := c.StaticKey(g)
		if !ok || !bytes.Equal(got, k) || !c.SupportsGroup(g) {
			t.Fatalf("group %d: %v", g, ok)
		}
	}
	if _, ok := c.StaticKey(5); ok || c.SupportsGroup(5) {
		t.Fatalf("group 5 found")
	}
}

func TestCertificateMarker(t *testing.T) {
	// Options after the marker are outside the canonical part and ignored.
	raw := AppendEphemeralGroupOption(nil, 2)
	raw = AppendMarker(raw)
	raw = AppendEphemeralGroupOption(raw, 14)
	raw = AppendAcceptsAncillaryOption(raw)
	c, err := ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Canonical(), raw[:3]) || c.SupportsGroup(14) || !c.SupportsGroup(2) || c.AcceptsAncillaryData {
		t.Fatalf("%+v", c)
	}
}

func TestCertificateRejects(t *testing.T) {
	for name, raw := range map[string][]byte{
		"neither":           AppendAcceptsAncillaryOption(nil),
		"both":              AppendStaticKeyOption(AppendEphemeralGroupOption(nil, 2), 2, []byte{1}),
		"bad group":         unhex(t, "02 15 81"),
		"group with junk":   unhex(t, "03 15 02 00"),
		"bad static group":  unhex(t, "02 1d 81"),
		"truncated option":  unhex(t, "41 0e 00"),
		"empty certificate": {},
	} {
		if _, err := ParseCertificate(raw); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTruncated) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEPD(t *testing.T) {
	var fp [32]byte
	for i := range fp {
		fp[i] = byte(0xa0 + i)
	}
	canon := AppendCanonicalEPD(nil, fp)
	if len(canon) != 34 || canon[0] != 0x21 || canon[1] != 0x0f {
		t.Fatalf("canonical epd %x", canon)
	}
	e, err := ParseEPD(canon)
	if err != nil || !bytes.Equal(e.Fingerprint, fp[:]) || e.AncillaryData != nil || e.IsZero() {
		t.Fatalf("%+v %v", e, err)
	}
	all := EPD{Fingerprint: fp[:], AncillaryData: []byte("rtmfp://h/app"), Hostname: []byte("h")}
	enc := all.Append(nil)
	if len(enc) != all.Len() {
		t.Fatalf("Len")
	}
	got, err := ParseEPD(enc)
	if err != nil || !bytes.Equal(got.Hostname, all.Hostname) || !bytes.Equal(got.AncillaryData, all.AncillaryData) {
		t.Fatalf("%+v", got)
	}
	// Markers and unknown options are skipped; an empty EPD is zero.
	got, err = ParseEPD(unhex(t, "00 03 7f 01 02"))
	if err != nil || !got.IsZero() {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := ParseEPD(unhex(t, "21 0f 00")); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated epd: %v", err)
	}
	// An empty hostname option is present, not absent.
	got, _ = ParseEPD(unhex(t, "01 00"))
	if got.Hostname == nil || got.IsZero() {
		t.Fatalf("empty hostname lost")
	}
}

func TestKeyComponentServerSKRC(t *testing.T) {
	pub := bytes.Repeat([]byte{0xeb}, 128)
	skrc := AppendServerSKRC(nil, 0, 0, 0, 2, pub)
	if len(skrc) != 139 || !bytes.Equal(skrc[:11], unhex(t, "031a0000 021e00 8102 0d02")) {
		t.Fatalf("skrc %x", skrc[:12])
	}
	short := AppendServerSKRC(nil, 0, 0, 0, 2, pub[:127])
	if !bytes.Equal(short[:11], unhex(t, "031a0000 021e00 8101 0d02")) {
		t.Fatalf("127-byte skrc %x", short[:12])
	}
	// Negotiated variant.
	neg := AppendServerSKRC(nil, NegotiateSendOnRequest|NegotiateRequest, 16, NegotiateSendAlways, 14, pub)
	k, err := ParseKeyComponent(neg)
	if err != nil {
		t.Fatal(err)
	}
	if k.HMAC != (Negotiation{Present: true, Flags: 3, HMACLength: 16}) || k.SSeq != (Negotiation{Present: true, Flags: 4}) {
		t.Fatalf("%+v", k)
	}
	if got, ok := k.EphemeralKey(14); !ok || !bytes.Equal(got, pub) {
		t.Fatalf("ephemeral key")
	}
	if _, ok := k.EphemeralKey(2); ok {
		t.Fatalf("wrong group found")
	}
}

func TestKeyComponentLenient(t *testing.T) {
	// Empty negotiation values negotiate nothing; the first of duplicate
	// options wins; absent options are absent.
	k, err := ParseKeyComponent(unhex(t, "01 1a | 01 1e | 03 1a 04 08"))
	if err != nil || k.HMAC != (Negotiation{Present: true}) || k.SSeq != (Negotiation{Present: true}) {
		t.Fatalf("%+v %v", k, err)
	}
	k, err = ParseKeyComponent(nil)
	if err != nil || k.HMAC.Present || k.SSeq.Present || k.HasGroupSelect {
		t.Fatalf("%+v %v", k, err)
	}
	for name, raw := range map[string][]byte{
		"bad group select":  unhex(t, "02 1d 81"),
		"bad ephemeral key": unhex(t, "02 0d 81"),
	} {
		if _, err := ParseKeyComponent(raw); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
