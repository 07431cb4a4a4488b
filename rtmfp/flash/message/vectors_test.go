package message

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"nimbus/core/amf"
)

// unhex decodes hex text written with spaces, "|" separators and quoted
// ASCII runs ("abc"), the notation of rtmfp-protocol.md Appendix A.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for len(s) > 0 {
		switch c := s[0]; {
		case c == ' ' || c == '|' || c == '\n' || c == '\t':
			s = s[1:]
		case c == '"':
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			b = append(b, s[1:1+end]...)
			s = s[2+end:]
		default:
			if len(s) < 2 {
				t.Fatalf("odd hex digit at %q", s)
			}
			v, err := hex.DecodeString(s[:2])
			if err != nil {
				t.Fatalf("hex %q: %v", s[:2], err)
			}
			b = append(b, v...)
			s = s[2:]
		}
	}
	return b
}

// Appendix A.1 packet #5: the connect message of Flash Player 11.7.
const connectMessage = `14 00000000 020007 636f6e6e656374 003ff0000000000000 03
	0003 617070 020000 | 0008 666c617368566572 020010 57494e2031312c372c3730302c323032 | 0006 73776655726c 06 |
	0005 746355726c 020018 72746d66703a2f2f3139322e3136382e3133372e3138332f | 0004 66706164 0100 |
	000c 6361706162696c6974696573 00406d600000000000 | 000b 617564696f436f64656373 0040abee0000000000 |
	000b 766964656f436f64656373 00406f800000000000 | 000d 766964656f46756e6374696f6e 003ff0000000000000 |
	0007 7061676555726c 06 | 000e 6f626a656374456e636f64696e67 004008000000000000 | 000009`

// Appendix A.1 packet #6: the _result go-rtmfp answered and Flash accepted.
// The appendix abbreviates the object; these are its members written out in
// the documented order. The total (151 bytes) matches the length of the
// user data chunk that carried it (0xa5 minus 4 header and 10 option bytes).
const resultMessage = `14 00000000 020007 "_result" 003ff0000000000000 05 03
	000e "objectEncoding" 00 4008000000000000 |
	0004 "code" 02 001d "NetConnection.Connect.Success" |
	0004 "data" 05 |
	000b "description" 02 0014 "Connection succeeded" |
	0005 "level" 02 0006 "status" | 000009`

// Appendix A.1 packet #8: setPeerInfo as Flash sends it (command-ex, 130 ms).
const setPeerInfoMessage = `11 00000082 00 02000b 73657450656572496e666f
	000000000000000000 05 020013 3139322e3136382e3133372e313a3535363535 020014 3139322e3136382e3230322e39393a3535363535`

// The Set Keepalive Cumulus writes with its defaults (15 s / 10 s).
const setKeepaliveMessage = `04 00000000 0029 00003a98 00002710`

func TestConnectVector(t *testing.T) {
	b := unhex(t, connectMessage)
	c, n, err := ParseCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(b) {
		t.Fatalf("consumed %d of %d", n, len(b))
	}
	if c.AMF3 || c.Time != 0 || c.Name != "connect" || c.TID != 1 || len(c.Args) != 0 {
		t.Fatalf("command = %+v", c)
	}
	obj, ok := c.Object.(*amf.Object)
	if !ok {
		t.Fatalf("object is %T", c.Object)
	}
	want := []amf.Member{
		{Key: "app", Value: ""},
		{Key: "flashVer", Value: "WIN 11,7,700,202"},
		{Key: "swfUrl", Value: amf.Undefined{}},
		{Key: "tcUrl", Value: "rtmfp://192.168.137.183/"},
		{Key: "fpad", Value: false},
		{Key: "capabilities", Value: 235.0},
		{Key: "audioCodecs", Value: 3575.0},
		{Key: "videoCodecs", Value: 252.0},
		{Key: "videoFunction", Value: 1.0},
		{Key: "pageUrl", Value: amf.Undefined{}},
		{Key: "objectEncoding", Value: 3.0},
	}
	if !reflect.DeepEqual(obj.Members, want) {
		t.Fatalf("properties:\n got %#v\nwant %#v", obj.Members, want)
	}
	// Our encoder writes the same command back byte for byte.
	out, err := c.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, b) {
		t.Fatalf("re-encoded connect:\n got %x\nwant %x", out, b)
	}
}

func TestResultVector(t *testing.T) {
	want := unhex(t, resultMessage)
	if len(want) != 0xa5-4-10 {
		t.Fatalf("vector is %d bytes, the capture's chunk says %d", len(want), 0xa5-4-10)
	}
	info := amf.NewObject(
		amf.Member{Key: "objectEncoding", Value: 3.0},
		amf.Member{Key: "code", Value: "NetConnection.Connect.Success"},
		amf.Member{Key: "data", Value: nil},
		amf.Member{Key: "description", Value: "Connection succeeded"},
		amf.Member{Key: "level", Value: "status"},
	)
	got, err := Command{Name: CommandResult, TID: 1, Args: []any{info}}.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("_result:\n got %x\nwant %x", got, want)
	}
	c, _, err := ParseCommand(got)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := ParseStatus(c.Args[0])
	if !ok || s.Level != LevelStatus || s.Code != "NetConnection.Connect.Success" || s.Description != "Connection succeeded" {
		t.Fatalf("status = %+v", s)
	}
	if v, ok := s.Get("objectEncoding"); !ok || v != 3.0 {
		t.Fatalf("objectEncoding = %v", v)
	}
}

func TestSetPeerInfoVector(t *testing.T) {
	b := unhex(t, setPeerInfoMessage)
	if len(b) != 0x4f-4 {
		t.Fatalf("vector is %d bytes, the capture's chunk says %d", len(b), 0x4f-4)
	}
	c, _, err := ParseCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	if !c.AMF3 || c.Time != 130 || c.Name != CommandSetPeerInfo || c.TID != 0 || c.Object != nil {
		t.Fatalf("command = %+v", c)
	}
	addrs := ParsePeerAddresses(c.Args, 16)
	want := []netip.AddrPort{
		netip.MustParseAddrPort("192.168.137.1:55655"),
		netip.MustParseAddrPort("192.168.202.99:55655"),
	}
	if !reflect.DeepEqual(addrs, want) {
		t.Fatalf("addresses = %v", addrs)
	}
	out, err := c.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, b) {
		t.Fatalf("re-encoded:\n got %x\nwant %x", out, b)
	}
}

func TestSetKeepaliveVector(t *testing.T) {
	want := unhex(t, setKeepaliveMessage)
	u := SetKeepalive(15000, 10000)
	got := u.Append(nil)
	if !bytes.Equal(got, want) {
		t.Fatalf("set keepalive:\n got %x\nwant %x", got, want)
	}
	if u.Len() != len(got) {
		t.Fatalf("Len %d, appended %d", u.Len(), len(got))
	}
	back, _, err := ParseUserControl(got)
	if err != nil || back.Event != EventSetKeepalive || back.A != 15000 || back.B != 10000 {
		t.Fatalf("parsed %+v, %v", back, err)
	}
}

func TestMetadataVectors(t *testing.T) {
	for _, tc := range []struct {
		hex string
		m   TCMetadata
	}{
		{"54 43 04 00", TCMetadata{StreamID: 0}},
		{"54 43 04 01", TCMetadata{StreamID: 1}},
		{"54 43 05 01", TCMetadata{StreamID: 1, Receive: ReceiveNetwork}},
		{"54 43 04 fa 89 01", TCMetadata{StreamID: DirectStreamBase + 1}},
	} {
		b := unhex(t, tc.hex)
		got, n, err := ParseTCMetadata(b)
		if err != nil || n != len(b) || got != tc.m {
			t.Errorf("%s: parsed %+v, %d, %v", tc.hex, got, n, err)
		}
		if out := tc.m.Append(nil); !bytes.Equal(out, b) || tc.m.Len() != len(b) {
			t.Errorf("%+v: appended %x (Len %d), want %s", tc.m, out, tc.m.Len(), tc.hex)
		}
	}
	if !IsGC(unhex(t, "47 43")) || IsGC(unhex(t, "54 43 04 00")) || !IsTC(unhex(t, "54 43 04 00")) {
		t.Fatal("IsGC/IsTC")
	}
	// A flags byte without the stream ID bit is refused.
	if _, _, err := ParseTCMetadata(unhex(t, "54 43 00 01")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("flags without stream id: %v", err)
	}
}

func TestGroupJoinForms(t *testing.T) {
	var id [32]byte
	for i := range id {
		id[i] = byte(i)
	}
	b := append(unhex(t, "01 21 15"), id[:]...)
	j, n, err := ParseGroupJoin(b)
	if err != nil || n != len(b) || j.ID != id || j.Specifier != nil {
		t.Fatalf("0x15 form: %+v, %d, %v", j, n, err)
	}
	if out := j.Append(nil); !bytes.Equal(out, b) || j.Len() != len(b) {
		t.Fatalf("0x15 form appended %x", out)
	}
	spec := []byte("G:027f0201010103010c050e74657374011b00")
	b = append([]byte{0x01, byte(len(spec) + 1), 0x10}, spec...)
	j, _, err = ParseGroupJoin(b)
	if err != nil || !bytes.Equal(j.Specifier, spec) {
		t.Fatalf("0x10 form: %+v, %v", j, err)
	}
	if j.ID != sha256.Sum256(spec) {
		t.Fatalf("0x10 form id %x, want SHA-256 of the specifier", j.ID)
	}
	if out := j.Append(nil); !bytes.Equal(out, b) || j.Len() != len(b) {
		t.Fatalf("0x10 form appended %x", out)
	}
	g := GroupNeighbour{PeerID: id}
	nb := g.Append(nil)
	if len(nb) != 33 || nb[0] != 0x0b || g.Len() != 33 {
		t.Fatalf("neighbour %x", nb)
	}
	back, n, err := ParseGroupNeighbour(nb)
	if err != nil || n != 33 || back != g {
		t.Fatalf("neighbour parsed %+v, %d, %v", back, n, err)
	}
}

func TestGroupIDFromSpecifier(t *testing.T) {
	// rtmfp-protocol.md §8.1, librtmfp's rule (version 2: hashed twice).
	id, err := GroupIDFromSpecifier("G:027f0201010103010c050e74657374011b00")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(id[:]); got != "763f90e4b524a0e026052bb5696bd143246f26c6eb0b9fa31b0d1ed39a092620" {
		t.Fatalf("group id %s", got)
	}
	for _, bad := range []string{"", "G:", "X:00", "G:0501", "G:zz00"} {
		if _, err := GroupIDFromSpecifier(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParsePeerAddresses(t *testing.T) {
	args := []any{
		"10.0.0.1:1935", "[2001:db8::1]:5000", "garbage", 3.0, nil, "10.0.0.2", "[fe80::1%eth0]:1",
		"1.2.3.4:99999", strings.Repeat("1", 1000),
	}
	got := ParsePeerAddresses(args, 100)
	want := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:1935"), netip.MustParseAddrPort("[2001:db8::1]:5000")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	// Only the first max arguments are examined.
	if got := ParsePeerAddresses(args, 1); len(got) != 1 {
		t.Fatalf("capped: %v", got)
	}
}

func TestStatusObjectOrder(t *testing.T) {
	s := Status{Level: LevelError, Code: "NetConnection.Connect.Rejected", Description: "no",
		Extra: []amf.Member{{Key: "application", Value: "x"}}}
	o := s.Object()
	keys := []string{}
	for _, m := range o.Members {
		keys = append(keys, m.Key)
	}
	if strings.Join(keys, ",") != "level,code,description,application" {
		t.Fatalf("keys %v", keys)
	}
	back, ok := ParseStatus(o)
	if !ok || !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip %+v", back)
	}
	if _, ok := ParseStatus("x"); ok {
		t.Fatal("string parsed as status")
	}
}
