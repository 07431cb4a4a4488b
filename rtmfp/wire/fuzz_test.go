package wire

import (
	"bytes"
	"testing"
)

// checkChunkValue re-encodes a parsed chunk value and requires the encoding
// to be stable: Len matches, and parsing it back yields the same encoding.
func checkChunkValue(t *testing.T, v ChunkValue) {
	enc := v.Append(nil)
	if len(enc) != v.Len() {
		t.Fatalf("%v: Len %d, Append %d", v.ChunkType(), v.Len(), len(enc))
	}
	if len(enc)-ChunkHeaderLen > MaxChunkValueLen {
		return
	}
	r := NewChunkReader(enc)
	c, ok := r.Next()
	if !ok && v.ChunkType() != ChunkPadding && v.ChunkType() != chunkPaddingAlternative {
		t.Fatalf("%v: re-encoding is not a chunk: %x", v.ChunkType(), enc)
	}
	if !ok {
		return
	}
	v2, err := ParseChunk(c)
	if err != nil {
		t.Fatalf("%v: re-encoding does not parse: %v", v.ChunkType(), err)
	}
	if enc2 := v2.Append(nil); !bytes.Equal(enc, enc2) {
		t.Fatalf("%v: encoding not stable:\n%x\n%x", v.ChunkType(), enc, enc2)
	}
}

func FuzzChunks(f *testing.F) {
	for _, s := range []string{capIHelloBody, capRHelloBody, capIIKeyingBody, capRIKeyingBody,
		cap5Body, cap6Body, cap7Body, cap8Body, cap11Body, apnicIHelloBody} {
		f.Add(mustUnhex(s))
	}
	for _, tc := range chunkCases() {
		f.Add(append([]byte{0x09, 0x12, 0x34}, tc.v.Append(nil)...))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h, n, err := ParseHeader(body)
		if err != nil {
			return
		}
		if n != h.Len() {
			t.Fatalf("header consumed %d, Len %d", n, h.Len())
		}
		r := NewChunkReader(body[n:])
		total := n
		for {
			c, ok := r.Next()
			if !ok {
				break
			}
			total += c.Len()
			if total > len(body) {
				t.Fatalf("chunks exceed the body")
			}
			v, err := ParseChunk(c)
			if err != nil {
				continue
			}
			checkChunkValue(t, v)
			switch v := v.(type) {
			case IHello:
				_, _ = ParseEPD(v.EPD)
			case ForwardedIHello:
				_, _ = ParseEPD(v.EPD)
			case RHello:
				if cert, err := ParseCertificate(v.Certificate); err == nil {
					cert.StaticKey(2)
					cert.SupportsGroup(14)
				}
			case IIKeying:
				_, _ = ParseCertificate(v.Certificate)
				_, _ = ParseKeyComponent(v.SKIC)
			case RIKeying:
				if k, err := ParseKeyComponent(v.SKRC); err == nil {
					k.FirstEphemeralKey()
				}
			case UserData:
				v.Metadata()
				v.ReturnAssociation()
			case AckBitmap:
				v.Ack(nil)
			}
		}
	})
}

func FuzzUserData(f *testing.F) {
	f.Add(mustUnhex("80020101050054430400001400000000"))
	f.Add(mustUnhex("80010101050054430400020a020014"))
	f.Add(mustUnhex("00020201110000008200"))
	f.Add(mustUnhex("0301000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if u, n, err := ParseUserData(b); err == nil {
			if n != len(b) || len(u.Data)+len(u.Options) > len(b) {
				t.Fatalf("lengths")
			}
			checkChunkValue(t, u)
			u.Metadata()
			u.ReturnAssociation()
			u.FSN()
		}
		if u, _, err := ParseNextUserData(b); err == nil {
			checkChunkValue(t, u)
			u.Follow(UserData{FlowID: 1, Seq: 1})
		}
	})
}

func FuzzAck(f *testing.F) {
	f.Add(mustUnhex("027f01"))
	f.Add(mustUnhex("01ff7f01"))
	f.Add(mustUnhex("01010a0000 01821d"))
	f.Add(mustUnhex("02010a1d8001"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if a, n, err := ParseAckRanges(b, nil); err == nil {
			if n != len(b) || len(a.Received) > len(b)/2 {
				t.Fatalf("%d ranges from %d bytes", len(a.Received), len(b))
			}
			cursor := a.CumAck
			for _, r := range a.Received {
				if r.From < cursor+2 || r.To < r.From {
					t.Fatalf("ranges out of order: %+v after %d", r, cursor)
				}
				cursor = r.To
			}
			checkChunkValue(t, a)
			if out, _, ok := a.AppendWithin(nil, 40); ok && len(out) > 40 {
				t.Fatalf("budget exceeded")
			}
		}
		if a, _, err := ParseAckBitmap(b); err == nil {
			checkChunkValue(t, a)
			ack := a.Ack(nil)
			if len(ack.Received) > 4*len(a.Bitmap) {
				t.Fatalf("too many ranges")
			}
			// The bitmap's ranges must encode as a valid 0x51 chunk.
			checkChunkValue(t, ack)
		}
	})
}

func FuzzCertificate(f *testing.F) {
	var rnd [64]byte
	f.Add(AppendServerCertificate(nil, &rnd))
	f.Add(mustUnhex("81021d02" + capClientKey))
	multi, _ := multiKeyCert()
	f.Add(multi)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCertificate(b)
		if err != nil {
			return
		}
		if c.CanonicalLen > len(b) {
			t.Fatalf("canonical part too long")
		}
		for _, g := range []uint64{2, 5, 14, 16} {
			if k, ok := c.StaticKey(g); ok && (!c.IsStatic() || len(k) > len(b)) {
				t.Fatalf("static key in an ephemeral certificate")
			}
			c.SupportsGroup(g)
		}
	})
}

func FuzzKeyComponent(f *testing.F) {
	f.Add(mustUnhex("021d02410e" + capSKICRand + "031a020a021e02"))
	f.Add(mustUnhex("031a0000021e0081020d02" + capServerKey))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKeyComponent(b)
		if err != nil {
			return
		}
		k.EphemeralKey(2)
		k.FirstEphemeralKey()
	})
}

func FuzzEPD(f *testing.F) {
	f.Add(mustUnhex("190a72746d66703a2f2f3139322e3136382e3133372e3138332f"))
	f.Add(AppendCanonicalEPD(nil, [32]byte{1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEPD(b)
		if err != nil {
			return
		}
		e2, err := ParseEPD(e.Append(nil))
		if err != nil || !bytes.Equal(e2.Fingerprint, e.Fingerprint) || !bytes.Equal(e2.AncillaryData, e.AncillaryData) ||
			!bytes.Equal(e2.Hostname, e.Hostname) || (e2.Hostname == nil) != (e.Hostname == nil) {
			t.Fatalf("epd round trip")
		}
	})
}
