package crypto

import (
	"bytes"
	"testing"

	"nimbus/rtmfp/wire"
)

// FuzzOpen feeds arbitrary bytes to every packet opener: none may panic,
// and whatever opens must parse without panicking either. The input is also
// sealed as a body by each cipher and must open back to itself.
func FuzzOpen(f *testing.F) {
	for _, s := range []string{gocapIHello, gocapRHello, gocapIIKeying, gocapRIKeying, gocap5, apnicIHello} {
		f.Add(unhex(f, s))
	}
	def, err := NewDefaultPacketKey()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def.Seal(nil, 0, []byte{0x0b, 0, 0, 0x30, 0, 2, 0, 0}))
	rk, ik := pairKeys()
	hm := Mode{SendHMACLen: 8, RecvHMACLen: 8, SendSSeq: true, RecvSSeq: true}
	srv, _ := NewSessionCipher(&rk, hm)
	f.Add(srv.Seal(nil, 1, []byte{0x09, 0, 1, 0x01, 0, 0}))
	f.Fuzz(func(t *testing.T, packet []byte) {
		// Fresh ciphers per input: sequence-number state must not carry
		// over between inputs, and the round trip gets its own opener.
		openers := []PacketCipher{def}
		sealers := []PacketCipher{def}
		roundTrip := []PacketCipher{def}
		for _, m := range []Mode{{}, hm} {
			for _, list := range []*[]PacketCipher{&openers, &roundTrip} {
				c, err := NewSessionCipher(&ik, m)
				if err != nil {
					t.Fatal(err)
				}
				*list = append(*list, c)
			}
			s, err := NewSessionCipher(&rk, mirror(m))
			if err != nil {
				t.Fatal(err)
			}
			sealers = append(sealers, s)
		}
		for i, c := range openers {
			p := bytes.Clone(packet)
			_, body, err := Open(p, func(uint32) PacketCipher { return c })
			if err == nil {
				if len(body) > len(packet) {
					t.Fatal("body longer than the packet")
				}
				if h, n, err := wire.ParseHeader(body); err == nil {
					_ = h.Mode()
					for ch := range wire.Chunks(body[n:]) {
						_, _ = wire.ParseChunk(ch)
					}
				}
			}

			sealed := sealers[i].Seal(nil, 0x02000000, packet)
			ssid, got, err := Open(sealed, func(uint32) PacketCipher { return roundTrip[i] })
			if err != nil || ssid != 0x02000000 || !bytes.HasPrefix(got, packet) {
				t.Fatalf("cipher %d: sealed input does not open: %v", i, err)
			}
		}
	})
}

func FuzzCookie(f *testing.F) {
	jar, err := NewCookieJar(nil, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(make([]byte, CookieLen))
	f.Fuzz(func(t *testing.T, cookie []byte) {
		if jar.Check(cookie, jar.epoch.Add(10e9), netipZero) != CookieBad {
			t.Fatal("forged cookie accepted")
		}
	})
}
