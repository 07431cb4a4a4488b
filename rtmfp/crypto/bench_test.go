package crypto

import (
	"net/netip"
	"runtime"
	"testing"
	"time"

	"nimbus/rtmfp/wire"
)

// maxBody fills the largest packet that fits wire.MaxPacketSize: with the
// 4-byte SSID and whole 16-byte blocks that is 4 + 74·16 = 1188 bytes.
const maxBody = (wire.MaxPacketSize-ssidLen)/blockSize*blockSize - checksumLen

func benchSealOpen(b *testing.B, seal, open PacketCipher) {
	body := make([]byte, maxBody)
	body[0] = 0x0d
	buf := make([]byte, 0, wire.MaxPacketSize+MaxOverhead)
	pkt := seal.Seal(buf[:0], 1, body)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		pkt := seal.Seal(buf[:0], 1, body)
		if _, err := open.Open(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealOpen seals and opens one maximum-size packet per iteration.
func BenchmarkSealOpen(b *testing.B) {
	b.Run("default-key", func(b *testing.B) {
		k, _ := NewDefaultPacketKey()
		benchSealOpen(b, k, k)
	})
	for _, tc := range []struct {
		name string
		m    Mode
	}{
		{"session-checksum", Mode{}},
		{"session-hmac16-sseq", Mode{SendHMACLen: 16, RecvHMACLen: 16, SendSSeq: true, RecvSSeq: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rk, ik := pairKeys()
			s, _ := NewSessionCipher(&rk, tc.m)
			c, _ := NewSessionCipher(&ik, mirror(tc.m))
			benchSealOpen(b, s, c)
		})
	}
}

// BenchmarkSessionCipherMemory reports the heap a checksum-mode session
// cipher keeps once built (what every idle session pays), measured over
// many ciphers after a GC.
func BenchmarkSessionCipherMemory(b *testing.B) {
	const n = 10000
	rk, _ := pairKeys()
	keep := make([]*SessionCipher, n)
	for range b.N {
		clear(keep)
		before := liveHeap()
		for i := range keep {
			c, err := NewSessionCipher(&rk, Mode{})
			if err != nil {
				b.Fatal(err)
			}
			keep[i] = c
		}
		after := liveHeap()
		b.ReportMetric(float64(after-before)/n, "bytes/cipher")
	}
	runtime.KeepAlive(keep)
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkDH generates our ephemeral key pair and computes the shared
// secret with a peer's public value: the server's cost per handshake.
func BenchmarkDH(b *testing.B) {
	for _, g := range []*Group{Group2, Group5, Group14} {
		b.Run(groupName(g), func(b *testing.B) {
			peer, err := GenerateKey(g, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			reportCPU(b)
			for b.Loop() {
				k, err := GenerateKey(g, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := k.SharedSecret(peer.Public); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDHKeyGen generates an ephemeral key pair (g^x mod p and the
// public value's validation): what keypair_reuse saves.
func BenchmarkDHKeyGen(b *testing.B) {
	for _, g := range []*Group{Group2, Group5, Group14} {
		b.Run(groupName(g), func(b *testing.B) {
			if _, err := GenerateKey(g, nil); err != nil { // any lazy setup
				b.Fatal(err)
			}
			b.ReportAllocs()
			reportCPU(b)
			for b.Loop() {
				if _, err := GenerateKey(g, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDHSharedSecret computes y^x mod p for a peer's public value,
// with its validation: what every handshake pays.
func BenchmarkDHSharedSecret(b *testing.B) {
	for _, g := range []*Group{Group2, Group5, Group14} {
		b.Run(groupName(g), func(b *testing.B) {
			k, err := GenerateKey(g, nil)
			if err != nil {
				b.Fatal(err)
			}
			peer, err := GenerateKey(g, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			reportCPU(b)
			for b.Loop() {
				if _, err := k.SharedSecret(peer.Public); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func groupName(g *Group) string {
	return "group" + string(rune('0'+g.ID/10)) + string(rune('0'+g.ID%10))
}

// BenchmarkCookie mints a cookie and verifies it.
func BenchmarkCookie(b *testing.B) {
	jar, _ := NewCookieJar(nil, 0)
	addr := netip.MustParseAddrPort("198.51.100.4:61234")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		c := jar.Mint(now, addr)
		if jar.Check(c[:], now, addr) != CookieValid {
			b.Fatal("rejected")
		}
	}
}

// BenchmarkDeriveSessionKeys measures the keying HMACs after DH.
func BenchmarkDeriveSessionKeys(b *testing.B) {
	secret := make([]byte, 128)
	skic := make([]byte, 76)
	skrc := make([]byte, 139)
	b.ReportAllocs()
	for b.Loop() {
		DeriveSessionKeys(secret, skrc, skic)
	}
}
