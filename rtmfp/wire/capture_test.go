package wire

import (
	"bytes"
	"testing"
)

// splitBody parses a decrypted body and returns its header, its chunks and
// the padding that follows them, failing on anything unexpected.
func splitBody(t *testing.T, body []byte) (Header, []Chunk) {
	t.Helper()
	h, n, err := ParseHeader(body)
	if err != nil {
		t.Fatal(err)
	}
	r := NewChunkReader(body[n:])
	var chunks []Chunk
	used := n
	for {
		c, ok := r.Next()
		if !ok {
			break
		}
		chunks = append(chunks, c)
		used += c.Len()
	}
	if r.Err() != nil {
		t.Fatalf("chunk reader: %v", r.Err())
	}
	for _, p := range body[used:] {
		if p != 0xff {
			t.Fatalf("non-padding byte %02x after the chunks", p)
		}
	}
	return h, chunks
}

// reencode parses every chunk, re-encodes it, and requires the original
// bytes; it returns the decoded values.
func reencode(t *testing.T, h Header, chunks []Chunk, body []byte) []ChunkValue {
	t.Helper()
	out := h.Append(nil)
	var vals []ChunkValue
	for _, c := range chunks {
		v, err := ParseChunk(c)
		if err != nil {
			t.Fatalf("chunk %v: %v", c.Type, err)
		}
		enc := v.Append(nil)
		if !bytes.Equal(enc, c.Append(nil)) {
			t.Fatalf("chunk %v re-encodes as\n%x\nwant\n%x", c.Type, enc, c.Append(nil))
		}
		if v.Len() != len(enc) {
			t.Fatalf("chunk %v: Len %d, encoded %d", c.Type, v.Len(), len(enc))
		}
		out = append(out, enc...)
		vals = append(vals, v)
	}
	if !bytes.Equal(out, body[:len(out)]) {
		t.Fatalf("re-encoded body differs")
	}
	return vals
}

func TestCaptureIHello(t *testing.T) {
	for _, tc := range []struct{ body, url, tag string }{
		{capIHelloBody, "rtmfp://192.168.137.183/", capTag},
		{apnicIHelloBody, "rtmfp://cc.rtmfp.net", "12af718559bbeea27a125b08236c4318"},
	} {
		body := mustUnhex(tc.body)
		h, chunks := splitBody(t, body)
		if h.Mode() != ModeStartup || !h.HasTimestamp() || h.HasTimestampEcho() || len(chunks) != 1 {
			t.Fatalf("header %+v, %d chunks", h, len(chunks))
		}
		v := reencode(t, h, chunks, body)[0].(IHello)
		if !bytes.Equal(v.Tag, mustUnhex(tc.tag)) {
			t.Fatalf("tag %x", v.Tag)
		}
		epd, err := ParseEPD(v.EPD)
		if err != nil || string(epd.AncillaryData) != tc.url || epd.Fingerprint != nil || epd.Hostname != nil {
			t.Fatalf("epd %+v %v", epd, err)
		}
		if got := epd.Append(nil); !bytes.Equal(got, v.EPD) || epd.Len() != len(got) {
			t.Fatalf("epd re-encoded %x", got)
		}
	}
}

func TestCaptureRHello(t *testing.T) {
	body := mustUnhex(capRHelloBody)
	h, chunks := splitBody(t, body)
	if h.Flags != 0x0b || h.Timestamp != 0x6449 || len(chunks) != 1 {
		t.Fatalf("header %+v", h)
	}
	v := reencode(t, h, chunks, body)[0].(RHello)
	if !bytes.Equal(v.TagEcho, mustUnhex(capTag)) || !bytes.Equal(v.Cookie, mustUnhex(capCookie)) || len(v.Cookie) != 64 {
		t.Fatalf("tag/cookie")
	}
	if len(v.Certificate) != ServerCertificateLen {
		t.Fatalf("certificate is %d bytes", len(v.Certificate))
	}
	cert, err := ParseCertificate(v.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if cert.IsStatic() || !cert.AcceptsAncillaryData || !bytes.Equal(cert.ExtraRandomness, mustUnhex(capCertRand)) ||
		cert.CanonicalLen != 77 || !cert.SupportsGroup(2) || !cert.SupportsGroup(5) || !cert.SupportsGroup(14) || cert.SupportsGroup(16) {
		t.Fatalf("certificate %+v", cert)
	}
	// Our builder reproduces the captured certificate from its randomness.
	var rnd [64]byte
	copy(rnd[:], cert.ExtraRandomness)
	if got := AppendServerCertificate(nil, &rnd); !bytes.Equal(got, v.Certificate) {
		t.Fatalf("AppendServerCertificate:\n%x\nwant\n%x", got, v.Certificate)
	}
}

func TestCaptureIIKeying(t *testing.T) {
	body := mustUnhex(capIIKeyingBody)
	h, chunks := splitBody(t, body)
	if h.Flags != 0x0b || len(chunks) != 1 {
		t.Fatalf("header %+v", h)
	}
	v := reencode(t, h, chunks, body)[0].(IIKeying)
	if v.InitiatorSID != 0x02000000 || !bytes.Equal(v.Cookie, mustUnhex(capCookie)) || !bytes.Equal(v.Signature, []byte("X")) {
		t.Fatalf("iikeying %x %x %x", v.InitiatorSID, v.Cookie, v.Signature)
	}
	if len(v.Certificate) != 132 || len(v.SKIC) != 76 {
		t.Fatalf("cert %d skic %d", len(v.Certificate), len(v.SKIC))
	}
	cert, err := ParseCertificate(v.Certificate)
	if err != nil || !cert.IsStatic() || cert.AcceptsAncillaryData {
		t.Fatalf("cert %+v %v", cert, err)
	}
	key, ok := cert.StaticKey(2)
	if !ok || !bytes.Equal(key, mustUnhex(capClientKey)) {
		t.Fatalf("static key %x", key)
	}
	if _, ok := cert.StaticKey(14); ok {
		t.Fatalf("group 14 key found")
	}
	if got := AppendStaticKeyOption(nil, 2, key); !bytes.Equal(got, v.Certificate) {
		t.Fatalf("AppendStaticKeyOption %x", got[:8])
	}
	skic, err := ParseKeyComponent(v.SKIC)
	if err != nil {
		t.Fatal(err)
	}
	want := KeyComponent{
		Raw: v.SKIC, GroupSelect: 2, HasGroupSelect: true, ExtraRandomness: mustUnhex(capSKICRand),
		HMAC: Negotiation{Present: true, Flags: NegotiateSendOnRequest, HMACLength: 10},
		SSeq: Negotiation{Present: true, Flags: NegotiateSendOnRequest},
	}
	if !bytes.Equal(skic.ExtraRandomness, want.ExtraRandomness) || skic.GroupSelect != 2 || !skic.HasGroupSelect ||
		skic.HMAC != want.HMAC || skic.SSeq != want.SSeq {
		t.Fatalf("skic %+v", skic)
	}
	// Rebuild the SKIC as Flash lays it out.
	var re []byte
	re = AppendGroupSelectOption(re, 2)
	re = AppendExtraRandomnessOption(re, skic.ExtraRandomness)
	re = AppendHMACNegotiationOption(re, NegotiateSendOnRequest, 10)
	re = AppendSSeqNegotiationOption(re, NegotiateSendOnRequest)
	if !bytes.Equal(re, v.SKIC) {
		t.Fatalf("rebuilt skic %x", re)
	}
}

func TestCaptureRIKeying(t *testing.T) {
	body := mustUnhex(capRIKeyingBody)
	h, chunks := splitBody(t, body)
	if h.Flags != 0x0b || h.Timestamp != 0x6451 || len(chunks) != 1 {
		t.Fatalf("header %+v", h)
	}
	v := reencode(t, h, chunks, body)[0].(RIKeying)
	if v.ResponderSID != 1 || !bytes.Equal(v.Signature, []byte("X")) || len(v.SKRC) != 139 {
		t.Fatalf("rikeying %+v", v)
	}
	skrc, err := ParseKeyComponent(v.SKRC)
	if err != nil {
		t.Fatal(err)
	}
	if skrc.HMAC != (Negotiation{Present: true}) || skrc.SSeq != (Negotiation{Present: true}) || skrc.HasGroupSelect {
		t.Fatalf("skrc %+v", skrc)
	}
	pub, ok := skrc.EphemeralKey(2)
	if !ok || !bytes.Equal(pub, mustUnhex(capServerKey)) {
		t.Fatalf("ephemeral key")
	}
	if g, p, ok := skrc.FirstEphemeralKey(); !ok || g != 2 || !bytes.Equal(p, pub) {
		t.Fatalf("first ephemeral key")
	}
	if got := AppendServerSKRC(nil, 0, 0, 0, 2, pub); !bytes.Equal(got, v.SKRC) {
		t.Fatalf("AppendServerSKRC:\n%x\nwant\n%x", got, v.SKRC)
	}
	if !bytes.HasPrefix(v.SKRC, mustUnhex("031a0000021e00")) || !bytes.Equal(v.SKRC[11:], pub) {
		t.Fatalf("librtmfp layout")
	}
}

func TestCaptureSessionPackets(t *testing.T) {
	// #5: connect.
	body := mustUnhex(cap5Body)
	h, chunks := splitBody(t, body)
	if h.Flags != 0x8d || h.Mode() != ModeInitiator || !h.TimeCritical() || h.Timestamp != 0x1e70 || h.TimestampEcho != 0x6451 {
		t.Fatalf("#5 header %+v", h)
	}
	u := reencode(t, h, chunks, body)[0].(UserData)
	md, ok := u.Metadata()
	if u.Flags != UserDataHasOptions || u.FlowID != 2 || u.Seq != 1 || u.FSNOffset != 1 || u.FSN() != 0 ||
		!ok || !bytes.Equal(md, []byte("TC\x04\x00")) || !bytes.Equal(u.Data, mustUnhex(capConnectMsg)) {
		t.Fatalf("#5 user data %+v", u)
	}
	if _, ok := u.ReturnAssociation(); ok {
		t.Fatalf("#5 has no return association")
	}

	// #6: ack + _result on a return flow.
	body = mustUnhex(cap6Body)
	h, chunks = splitBody(t, body)
	if h.Flags != 0x4e || h.Mode() != ModeResponder || !h.TimeCriticalReverse() || h.Timestamp != 0x6455 || h.TimestampEcho != 0x1e70 || len(chunks) != 2 {
		t.Fatalf("#6 header %+v", h)
	}
	vals := reencode(t, h, chunks, body)
	ack := vals[0].(Ack)
	if ack.FlowID != 2 || ack.BufferBlocks != 0x7f || ack.CumAck != 1 || len(ack.Received) != 0 {
		t.Fatalf("#6 ack %+v", ack)
	}
	u = vals[1].(UserData)
	md, _ = u.Metadata()
	assoc, ok := u.ReturnAssociation()
	if u.FlowID != 1 || u.Seq != 1 || u.FSNOffset != 1 || !bytes.Equal(md, []byte("TC\x04\x00")) || !ok || assoc != 2 ||
		!bytes.Equal(u.Data, mustUnhex(capResultMsg)) {
		t.Fatalf("#6 user data %+v", u)
	}
	// Rebuild the options the way a server writes them.
	opts := AppendReturnAssociationOption(AppendMetadataOption(nil, []byte("TC\x04\x00")), 2)
	if !bytes.Equal(opts, u.Options) {
		t.Fatalf("#6 options %x", u.Options)
	}

	// #7: Flash acks flow 1 with its 16383-block window.
	body = mustUnhex(cap7Body)
	h, chunks = splitBody(t, body)
	ack = reencode(t, h, chunks, body)[0].(Ack)
	if h.Flags != 0x0d || ack.FlowID != 1 || ack.BufferBlocks != 16383 || ack.CumAck != 1 {
		t.Fatalf("#7 %+v %+v", h, ack)
	}

	// #8: setPeerInfo, no options, flow 2 seq 2.
	body = mustUnhex(cap8Body)
	h, chunks = splitBody(t, body)
	u = reencode(t, h, chunks, body)[0].(UserData)
	if h.Timestamp != 0x1e80 || h.TimestampEcho != 0x645f || u.Flags != 0 || u.FlowID != 2 || u.Seq != 2 || u.FSNOffset != 1 ||
		u.Options != nil || !bytes.HasPrefix(u.Data, mustUnhex("1100000082000200")) {
		t.Fatalf("#8 %+v %+v", h, u)
	}

	// #11: Flash tears down with Close Ack.
	body = mustUnhex(cap11Body)
	h, chunks = splitBody(t, body)
	if _, ok := reencode(t, h, chunks, body)[0].(SessionCloseAck); !ok || h.Timestamp != 0x208d || h.TimestampEcho != 0x666d {
		t.Fatalf("#11")
	}
}

// TestAPNICLayouts rebuilds the Adobe-server and Flash 13 chunks of
// reference Appendix A.2, which is documented by layout rather than hex.
func TestAPNICLayouts(t *testing.T) {
	pub := bytes.Repeat([]byte{0xab}, 128)
	rik := RIKeying{ResponderSID: 0x45020000, SKRC: AppendServerSKRC(nil, 0, 0, 0, 2, pub), Signature: []byte("X")}
	enc := rik.Append(nil)
	if !bytes.HasPrefix(enc, mustUnhex("780092 45020000 810b 031a0000 021e00 8102 0d02")) || len(enc) != 3+0x92 || enc[len(enc)-1] != 0x58 {
		t.Fatalf("Adobe RIKeying %x", enc[:24])
	}
	// Flash 13 connect: 10 0139 80 02 01 01 | 05 00 54 43 04 00 | 00 | 14 ...
	u := UserData{Flags: UserDataHasOptions, FlowID: 2, Seq: 1, FSNOffset: 1,
		Options: AppendMetadataOption(nil, []byte("TC\x04\x00")), Data: append(mustUnhex("1400000000"), make([]byte, 297)...)}
	if enc := u.Append(nil); !bytes.HasPrefix(enc, mustUnhex("100139800201010500544304000014")) {
		t.Fatalf("Flash 13 connect %x", enc[:16])
	}
	// Adobe RHello: 70 009f 10 <tag> 40 <cookie> + 77-byte certificate.
	var rnd [64]byte
	rh := RHello{TagEcho: make([]byte, 16), Cookie: make([]byte, 64), Certificate: AppendServerCertificate(nil, &rnd)}
	if enc := rh.Append(nil); !bytes.HasPrefix(enc, mustUnhex("70009f10")) || enc[3+17] != 0x40 {
		t.Fatalf("Adobe RHello %x", enc[:4])
	}
}
