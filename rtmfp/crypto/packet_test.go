package crypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestChecksumVectors(t *testing.T) {
	// Appendix A.3 (rtmfp-cpp testchecksums): odd byte added low.
	if got := Checksum([]byte{1, 2, 3, 4, 5}); got != 0xfbf4 {
		t.Fatalf("checksum %04x", got)
	}
	if got := Checksum(nil); got != 0xffff {
		t.Fatalf("empty %04x", got)
	}
	// Carries fold back: ffff + 0001 = 1 0000 → 0001 → ^ = fffe.
	if got := Checksum([]byte{0xff, 0xff, 0x00, 0x01}); got != 0xfffe {
		t.Fatalf("carry %04x", got)
	}
	// Many carries (more than 16 bits of overflow) still fold correctly.
	big := bytes.Repeat([]byte{0xff}, 1<<17)
	if got := Checksum(big); got != 0 {
		t.Fatalf("all-ones %04x", got)
	}
}

func TestPaddedLen(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 16, 15: 16, 16: 16, 17: 32, 1188: 1200} {
		if PaddedLen(n) != want {
			t.Fatalf("PaddedLen(%d) = %d", n, PaddedLen(n))
		}
	}
}

func TestPacketKeySealOpen(t *testing.T) {
	k, err := NewDefaultPacketKey()
	if err != nil {
		t.Fatal(err)
	}
	for size := 0; size <= 40; size++ {
		body := bytes.Repeat([]byte{0x42}, size)
		pkt := k.Seal([]byte("prefix"), 0x01020304, body)
		if !bytes.Equal(pkt[:6], []byte("prefix")) {
			t.Fatalf("Seal clobbered dst")
		}
		pkt = pkt[6:]
		if (len(pkt)-4)%16 != 0 || len(pkt) < 20 || len(pkt) != 4+PaddedLen(2+size) {
			t.Fatalf("size %d: packet of %d bytes", size, len(pkt))
		}
		ssid, err := SSID(pkt)
		if err != nil || ssid != 0x01020304 {
			t.Fatalf("ssid %#x %v", ssid, err)
		}
		got, err := k.Open(pkt)
		if err != nil || !bytes.Equal(got[:size], body) {
			t.Fatalf("size %d: %v", size, err)
		}
		for _, p := range got[size:] {
			if p != 0xff {
				t.Fatalf("padding byte %02x", p)
			}
		}
	}
}

func TestPacketKeyRejects(t *testing.T) {
	k, _ := NewDefaultPacketKey()
	pkt := k.Seal(nil, 7, []byte{0x0b, 0x12, 0x34, 0x4c, 0, 0})
	for _, n := range []int{0, 4, 19, 21, 35} {
		b := make([]byte, n)
		if _, err := k.Open(b); !errors.Is(err, ErrPacketSize) {
			t.Fatalf("%d bytes: %v", n, err)
		}
	}
	// Any single-bit change in the ciphertext breaks the checksum (CBC
	// garbles the whole block).
	for i := 4; i < len(pkt); i++ {
		b := bytes.Clone(pkt)
		b[i] ^= 0x01
		if _, err := k.Open(b); !errors.Is(err, ErrChecksum) {
			t.Fatalf("bit flip at %d: %v", i, err)
		}
	}
	if _, err := SSID(pkt[:11]); !errors.Is(err, ErrPacketSize) {
		t.Fatalf("short ssid: %v", err)
	}
	if err := k.Encrypt(make([]byte, 16), make([]byte, 15)); !errors.Is(err, ErrBlockSize) {
		t.Fatalf("encrypt 15: %v", err)
	}
	if err := k.Decrypt(make([]byte, 15), make([]byte, 16)); !errors.Is(err, ErrBlockSize) {
		t.Fatalf("decrypt into short dst: %v", err)
	}
	// An unknown session.
	if _, _, err := Open(bytes.Clone(pkt), func(uint32) PacketCipher { return nil }); !errors.Is(err, ErrUnknownSession) {
		t.Fatalf("unknown session: %v", err)
	}
}

func TestPacketKeyIndependentPackets(t *testing.T) {
	// The IV is reset per packet: sealing the same body twice gives the
	// same bytes, and a different key does not open it.
	k, _ := NewDefaultPacketKey()
	a := k.Seal(nil, 0, []byte("same body"))
	b := k.Seal(nil, 0, []byte("same body"))
	if !bytes.Equal(a, b) {
		t.Fatalf("CBC state leaked between packets")
	}
	other, _ := NewPacketKey([KeySize]byte{1})
	if _, err := other.Open(a); !errors.Is(err, ErrChecksum) {
		t.Fatalf("wrong key: %v", err)
	}
	// The scramble uses words 4–7 and 8–11 of the ciphertext.
	c := k.Seal(nil, 0, []byte("x"))
	if binary.BigEndian.Uint32(c) != binary.BigEndian.Uint32(c[4:])^binary.BigEndian.Uint32(c[8:]) {
		t.Fatalf("ssid 0 scramble")
	}
}

func TestSealDoesNotAllocate(t *testing.T) {
	k, _ := NewDefaultPacketKey()
	body := make([]byte, 1100)
	buf := make([]byte, 0, len(body)+MaxOverhead)
	allocs := testing.AllocsPerRun(100, func() {
		pkt := k.Seal(buf[:0], 9, body)
		if _, err := k.Open(pkt); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per seal+open", allocs)
	}
}

func TestPacketKeyWithoutSetIV(t *testing.T) {
	// The fallback for a BlockMode without SetIV builds a mode per packet.
	k, _ := NewDefaultPacketKey()
	block, err := newAES(DefaultKey, "test")
	if err != nil {
		t.Fatal(err)
	}
	fallback := &PacketKey{
		enc: zeroIVCBC{block: block},
		dec: zeroIVCBC{block: block, decrypt: true},
	}
	body := []byte("fallback path body, longer than one block")
	a := k.Seal(nil, 5, body)
	b := fallback.Seal(nil, 5, body)
	if !bytes.Equal(a, b) {
		t.Fatal("fallback encrypts differently")
	}
	if got, err := fallback.Open(a); err != nil || !bytes.HasPrefix(got, body) {
		t.Fatalf("fallback open: %v", err)
	}
}
