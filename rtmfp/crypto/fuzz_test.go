package crypto

import (
	"bytes"
	"testing"

	"nimbus/rtmfp/wire"
)

// FuzzOpen feeds arbitrary bytes to every packet opener: none may panic,
// and whatever opens must parse without panicking either.
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
		ciphers := []PacketCipher{def}
		for _, m := range []Mode{{}, hm} {
			c, err := NewSessionCipher(&ik, m)
			if err != nil {
				t.Fatal(err)
			}
			ciphers = append(ciphers, c)
		}
		for _, c := range ciphers {
			p := bytes.Clone(packet)
			_, body, err := Open(p, func(uint32) PacketCipher { return c })
			if err != nil {
				continue
			}
			if len(body) > len(packet) {
				t.Fatal("body longer than the packet")
			}
			h, n, err := wire.ParseHeader(body)
			if err != nil {
				continue
			}
			_ = h.Mode()
			for ch := range wire.Chunks(body[n:]) {
				_, _ = wire.ParseChunk(ch)
			}
		}
	})
}

func FuzzCookie(f *testing.F) {
	jar, err := NewCookieJar(nil)
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
