package wire

import (
	"bytes"
	"errors"
	"math"
	"net/netip"
	"reflect"
	"testing"
)

// chunkCase is one chunk value plus the number of leading value bytes that
// are mandatory (every shorter prefix must fail to parse; longer prefixes
// may parse because the chunk ends with a "rest" part).
type chunkCase struct {
	name  string
	v     ChunkValue
	fixed int // -1: the whole value is mandatory
}

func chunkCases() []chunkCase {
	tag := bytes.Repeat([]byte{0x21}, 16)
	cookie := bytes.Repeat([]byte{0xc0}, 64)
	addr4 := Address{AddrPort: netip.MustParseAddrPort("192.168.1.2:1935"), Origin: OriginObserved}
	addr6 := Address{AddrPort: netip.MustParseAddrPort("[2001:db8::5]:1935"), Origin: OriginReported}
	epd := AppendCanonicalEPD(nil, [32]byte{1, 2, 3})
	opts := AppendReturnAssociationOption(AppendMetadataOption(nil, []byte("TC\x04\x01")), 3)
	opts = AppendOption(opts, 0x2001, []byte("ignorable"))
	return []chunkCase{
		{"ihello", IHello{EPD: epd, Tag: tag}, 1 + len(epd)},
		{"rhello", RHello{TagEcho: tag, Cookie: cookie, Certificate: []byte{1, 0x0a}}, 2 + 16 + 64},
		{"redirect", Redirect{TagEcho: tag, Addresses: []Address{addr4, addr6}}, 17},
		{"redirect empty", Redirect{TagEcho: tag}, -1},
		{"cookie change", CookieChange{OldCookie: cookie, NewCookie: bytes.Repeat([]byte{9}, 64)}, 65},
		{"iikeying", IIKeying{InitiatorSID: 0x02000000, Cookie: cookie, Certificate: bytes.Repeat([]byte{7}, 132), SKIC: bytes.Repeat([]byte{8}, 76), Signature: []byte("X")}, 4 + 65 + 134 + 77},
		{"rikeying", RIKeying{ResponderSID: 0x45020000, SKRC: bytes.Repeat([]byte{5}, 139), Signature: []byte("X")}, 4 + 141},
		{"fihello", ForwardedIHello{EPD: epd, ReplyAddress: addr4, Tag: tag}, 1 + len(epd) + 7},
		{"fihello v6", ForwardedIHello{EPD: epd, ReplyAddress: addr6, Tag: tag}, 1 + len(epd) + 19},
		{"ping", Ping{Body: []byte("hello")}, 0},
		{"ping empty", Ping{Body: []byte{}}, 0},
		{"ping reply", PingReply{Body: []byte("hello")}, 0},
		{"user data", UserData{Flags: UserDataHasOptions | FragmentFirst, FlowID: 3, Seq: 200, FSNOffset: 130, Options: opts, Data: []byte("payload")}, 1 + 1 + 2 + 2 + len(opts) + 1},
		{"user data plain", UserData{Flags: FragmentLast | UserDataFinal, FlowID: 1 << 40, Seq: math.MaxUint64, FSNOffset: 0, Data: []byte{1}}, 1 + 6 + 10 + 1},
		{"user data abandon", UserData{Flags: UserDataAbandon | UserDataFinal, FlowID: 1, Seq: 0, FSNOffset: 0, Data: []byte{}}, 4},
		{"next user data", NextUserData{Flags: FragmentMiddle, Data: []byte("more")}, 1},
		{"next user data opts", NextUserData{Flags: UserDataHasOptions, Options: opts, Data: []byte("x")}, 1 + len(opts) + 1},
		{"ack", Ack{FlowID: 2, BufferBlocks: 0x7f, CumAck: 1}, -1},
		{"ack ranges", Ack{FlowID: 2, BufferBlocks: 16383, CumAck: 10, Received: []SeqRange{{12, 12}, {15, 300}, {302, 302}, {1 << 30, 1<<30 + 5}}}, 4},
		{"ack bitmap", AckBitmap{FlowID: 2, BufferBlocks: 16383, CumAck: 10, Bitmap: []byte{0x05, 0x80}}, 1 + 2 + 1},
		{"buffer probe", BufferProbe{FlowID: 300}, -1},
		{"flow exception", FlowException{FlowID: 5, Code: 0}, -1},
		{"session close", SessionClose{}, 0},
		{"session close ack", SessionCloseAck{}, 0},
		{"unknown", Unknown{Type: 0xec, Value: []byte{3}}, 0},
	}
}

func TestChunkRoundTrips(t *testing.T) {
	for _, tc := range chunkCases() {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.v.Append([]byte{0xaa}) // appends to existing content
			if enc[0] != 0xaa {
				t.Fatalf("Append clobbered its prefix")
			}
			enc = enc[1:]
			if len(enc) != tc.v.Len() {
				t.Fatalf("Len() = %d, Append wrote %d", tc.v.Len(), len(enc))
			}
			// Follow it with padding: the reader must return exactly it.
			r := NewChunkReader(append(append([]byte{}, enc...), 0xff, 0xff))
			c, ok := r.Next()
			if !ok || c.Type != tc.v.ChunkType() {
				t.Fatalf("reader: %v %v", ok, r.Err())
			}
			if _, more := r.Next(); more || r.Err() != nil {
				t.Fatalf("reader did not stop at the padding")
			}
			got, err := ParseChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(tc.v)) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got, tc.v)
			}
			if re := got.Append(nil); !bytes.Equal(re, enc) {
				t.Fatalf("re-encoding differs")
			}
			fixed := tc.fixed
			if fixed < 0 {
				fixed = len(c.Value)
			}
			parse := func(b []byte) error { _, err := ParseChunk(Chunk{Type: c.Type, Value: b}); return err }
			checkTruncations(t, c.Value[:fixed], parse)
			// Longer prefixes either fail or are themselves valid
			// encodings (fewer addresses or ranges, a shorter rest).
			for i := fixed; i <= len(c.Value); i++ {
				v, err := ParseChunk(Chunk{Type: c.Type, Value: c.Value[:i]})
				if err != nil {
					continue
				}
				if re := v.Append(nil); !bytes.Equal(re[ChunkHeaderLen:], c.Value[:i]) && !partialValue(v) {
					t.Fatalf("prefix of %d bytes parses to %x", i, re)
				}
			}
		})
	}
}

// partialValue reports chunk types whose parser leaves trailing bytes
// unconsumed, so a prefix need not re-encode to itself.
func partialValue(v ChunkValue) bool {
	switch v.(type) {
	case BufferProbe, FlowException, SessionClose, SessionCloseAck:
		return true
	}
	return false
}

// normalize maps empty slices to nil so DeepEqual compares content.
func normalize(v ChunkValue) ChunkValue {
	rv := reflect.ValueOf(&v).Elem()
	cp := reflect.New(rv.Elem().Type()).Elem()
	cp.Set(rv.Elem())
	for i := range cp.NumField() {
		f := cp.Field(i)
		if f.Kind() == reflect.Slice && f.Len() == 0 && f.CanSet() {
			f.Set(reflect.Zero(f.Type()))
		}
	}
	return cp.Interface().(ChunkValue)
}

func TestUserDataFollow(t *testing.T) {
	first := UserData{Flags: FragmentFirst, FlowID: 4, Seq: 10, FSNOffset: 3}
	next := NextUserData{Flags: FragmentLast, Data: []byte("end")}.Follow(first)
	if next.FlowID != 4 || next.Seq != 11 || next.FSNOffset != 4 || next.FSN() != first.FSN() || next.Flags.Fragment() != FragmentLast {
		t.Fatalf("%+v", next)
	}
	if (UserData{Seq: 1, FSNOffset: 5}).FSN() != 0 {
		t.Fatalf("FSN underflow")
	}
}

func TestUserDataOptionsWithoutMarker(t *testing.T) {
	// OPT set but the option list never ends.
	_, _, err := ParseUserData(unhex(t, "80 02 01 01 05 00 54 43 04 00"))
	if !errors.Is(err, ErrNoMarker) {
		t.Fatalf("got %v", err)
	}
	// A bad return association value is reported as absent.
	u := UserData{Options: OptionList(unhex(t, "02 0a 81"))}
	if _, ok := u.ReturnAssociation(); ok {
		t.Fatalf("malformed association accepted")
	}
}

func TestAckRangesWire(t *testing.T) {
	// cum 10; received 12..12, 15..300: pairs (0,0), (1,285).
	a := Ack{FlowID: 1, BufferBlocks: 1, CumAck: 10, Received: []SeqRange{{12, 12}, {15, 300}}}
	want := unhex(t, "51 0008 01 01 0a 00 00 01 821d")
	if got := a.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
	// Invalid ranges are skipped consistently by Len and Append.
	bad := Ack{FlowID: 1, BufferBlocks: 1, CumAck: 10, Received: []SeqRange{{11, 11}, {12, 12}, {13, 13}, {15, 14}, {15, 300}}}
	if got := bad.Append(nil); !bytes.Equal(got, want) || bad.Len() != len(want) {
		t.Fatalf("bad ranges: %x", got)
	}
	// Overflowing ranges are malformed, not wrapped.
	if _, _, err := ParseAckRanges(unhex(t, "01 01 81ffffffffffffffff7f 00 00"), nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("overflow start: %v", err)
	}
	if _, _, err := ParseAckRanges(unhex(t, "01 01 00 00 81ffffffffffffffff7f"), nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("overflow end: %v", err)
	}
	// The caller's slice is reused.
	buf := make([]SeqRange, 0, 8)
	got, _, err := ParseAckRanges(want[3:], buf)
	if err != nil || &got.Received[0] != &buf[:1][0] {
		t.Fatalf("slice not reused: %v", err)
	}
}

func TestAckAppendWithin(t *testing.T) {
	a := Ack{FlowID: 2, BufferBlocks: 16383, CumAck: 100}
	for i := range uint64(50) {
		a.Received = append(a.Received, SeqRange{From: 102 + 4*i, To: 103 + 4*i})
	}
	full := a.Append(nil)
	for budget := 0; budget <= len(full)+2; budget++ {
		out, n, ok := a.AppendWithin([]byte{0xee}, budget)
		head := ChunkHeaderLen + 1 + 2 + 1
		if budget < head {
			if ok || len(out) != 1 {
				t.Fatalf("budget %d: ok=%v len=%d", budget, ok, len(out))
			}
			continue
		}
		enc := out[1:]
		if !ok || len(enc) > budget {
			t.Fatalf("budget %d: wrote %d", budget, len(enc))
		}
		got, _, err := ParseAckRanges(enc[3:], nil)
		if err != nil || len(got.Received) != n || !reflect.DeepEqual(got.Received, a.Received[:n:n]) && n > 0 {
			t.Fatalf("budget %d: %v, %d ranges, want %d", budget, err, len(got.Received), n)
		}
		// Each range pair is 2 bytes here, so the list is as long as fits.
		if want := min(50, (budget-head)/2); n != want {
			t.Fatalf("budget %d: %d ranges, want %d", budget, n, want)
		}
	}
}

func TestAckBitmapToAck(t *testing.T) {
	// cum 10: bits → 12, 14, 15, 16 (byte 0: bits 0,2,3,4), 27 (byte 1 bit 7), 28 (byte 2 bit 0).
	a, _, err := ParseAckBitmap(unhex(t, "02 01 0a 1d 80 01"))
	if err != nil {
		t.Fatal(err)
	}
	got := a.Ack(nil)
	want := []SeqRange{{12, 12}, {14, 16}, {27, 28}}
	if !reflect.DeepEqual(got.Received, want) || got.CumAck != 10 || got.FlowID != 2 {
		t.Fatalf("got %+v", got)
	}
	// A bitmap naming sequence numbers beyond 2^64 is malformed.
	huge := append(unhex(t, "01 01 81ffffffffffffffff7e"), 0xff)
	if _, _, err := ParseAckBitmap(huge); !errors.Is(err, ErrMalformed) {
		t.Fatalf("wrapping bitmap: %v", err)
	}
}
