package amf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// amf0Cases are byte-exact AMF0 encodings, written by hand from the AMF0
// specification.
func amf0Cases() []codecCase {
	long := strings.Repeat("x", 65536)
	return []codecCase{
		{"number", 1.0, "00 3ff0000000000000"},
		{"negative number", -2.5, "00 c004000000000000"},
		{"false", false, "01 00"},
		{"true", true, "01 01"},
		{"string", "ab", `02 0002 "ab"`},
		{"empty string", "", "02 0000"},
		{"long string", long, `0c 00010000 "` + long + `"`},
		{"null", nil, "05"},
		{"undefined", Undefined{}, "06"},
		{"object", NewObject(Member{"a", nil}, Member{"b", "c"}), `03 0001 "a" 05 0001 "b" 02 0001 "c" 000009`},
		{"empty object", NewObject(), "03 000009"},
		{"typed object", &Object{Class: "Foo", Members: []Member{{"a", true}}}, `10 0003 "Foo" 0001 "a" 0101 000009`},
		{"ecma array", NewECMAArray(Member{"a", true}), `08 00000001 0001 "a" 0101 000009`},
		{"ecma array with a count Flash made up", &ECMAArray{Count: 7, Entries: []Member{{"0", 1.0}}},
			`08 00000007 0001 "0" 00 3ff0000000000000 000009`},
		{"strict array", &Array{Dense: []any{1.0, "a"}}, `0a 00000002 00 3ff0000000000000 02 0001 "a"`},
		{"empty strict array", &Array{}, "0a 00000000"},
		{"date", time.UnixMilli(1_000_000_000_000).UTC(), "0b 426d1a94a2000000 0000"},
		{"xml document", XMLDocument("<a/>"), `0f 00000004 "<a/>"`},
		// AMF0 cannot represent these: the encoder switches to AMF3.
		{"byte array", []byte{0xaa}, "11 0c 03 aa"},
		{"xml", XML("<b/>"), `11 0b 09 "<b/>"`},
		{"vector int", &VectorInt{Items: []int32{2}}, "11 0d 03 00 00000002"},
		{"dictionary", &Dictionary{}, "11 11 01 00"},
		{"mixed array", &Array{Assoc: []Member{{"k", 1.0}}}, `11 09 01 03 "k" 04 01 01`},
		{"sealed object", &Object{Class: "P", SealedCount: 1, Sealed: true, Members: []Member{{"x", 1.0}}},
			`11 0a 13 03 "P" 03 "x" 04 01`},
		{"externalizable", &Object{Class: ClassArrayCollection, Externalizable: true, External: &Array{}},
			`11 0a 07 43 "flex.messaging.io.ArrayCollection" 09 01 01`},
	}
}

func TestAMF0Encodings(t *testing.T) {
	for _, tc := range amf0Cases() {
		t.Run(tc.name, func(t *testing.T) {
			want := hx(t, tc.wire)
			e := NewEncoder(nil)
			if err := e.WriteAMF0(tc.value); err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(e.Bytes(), want) {
				t.Fatalf("encode:\n got %x\nwant %x", clipBytes(e.Bytes()), clipBytes(want))
			}
			got, err := NewDecoder(want).ReadAMF0()
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d := explainDiff(got, tc.value); d != "" {
				t.Fatal(d)
			}
			roundTrip(t, []any{tc.value}, false)
		})
	}
}

func clipBytes(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func TestAMF0DecodeOnly(t *testing.T) {
	cases := []codecCase{
		{"unsupported marker is undefined", Undefined{}, "0d"},
		{"boolean byte other than 1", true, "01 07"},
		{"short long string", "ab", `0c 00000002 "ab"`},
		{"date time zone ignored", time.UnixMilli(0).UTC(), "0b 0000000000000000 ff88"},
		{"typed object without a class name", NewObject(), "10 0000 000009"},
		{"avm+ integer", 5.0, "11 04 05"},
		{"avm+ string", "hi", `11 06 05 "hi"`},
		{"avm+ undefined", Undefined{}, "11 00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewDecoder(hx(t, tc.wire)).ReadAMF0()
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d := explainDiff(got, tc.value); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestPreferAMF3(t *testing.T) {
	e := NewEncoder(nil)
	e.PreferAMF3 = true
	values := []any{"cmd", 1.0, nil, NewObject(Member{"a", 1.0}), &Array{Dense: []any{"a"}}, NewECMAArray(Member{"e", nil})}
	if err := e.WriteAMF0(values...); err != nil {
		t.Fatal(err)
	}
	want := hx(t, `02 0003 "cmd" 00 3ff0000000000000 05`+
		`11 0a 0b 01 03 "a" 04 01 01`+ // the object in AMF3
		`11 09 03 01 06 00`+ // the array in AMF3; "a" is a string reference
		`08 00000001 0001 "e" 05 000009`) // ECMA arrays stay AMF0
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("got  %x\nwant %x", e.Bytes(), want)
	}
	got, err := DecodeAll0(e.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if d := explainDiff(&Array{Dense: got}, &Array{Dense: values}); d != "" {
		t.Fatal(d)
	}
}

func TestAppendAMF0(t *testing.T) {
	b, err := AppendAMF0([]byte{0x14, 0, 0, 0, 0}, "_result", 2.0, nil, 1.0)
	if err != nil {
		t.Fatal(err)
	}
	want := hx(t, `14 00000000 02 0007 "_result" 00 4000000000000000 05 00 3ff0000000000000`)
	if !bytes.Equal(b, want) {
		t.Fatalf("got  %x\nwant %x", b, want)
	}
	if _, err := AppendAMF0(nil, struct{}{}); !errors.Is(err, ErrUnsupportedType) {
		t.Fatalf("unsupported type: %v", err)
	}
}

func TestDecodeAll0(t *testing.T) {
	values, err := DecodeAll0(hx(t, `02 0001 "a" 05 06`))
	if err != nil {
		t.Fatal(err)
	}
	if d := explainDiff(&Array{Dense: values}, &Array{Dense: []any{"a", nil, Undefined{}}}); d != "" {
		t.Fatal(d)
	}
	if values, err := DecodeAll0(nil); err != nil || len(values) != 0 {
		t.Fatalf("empty body: %v %v", values, err)
	}
}

func TestObjectGetSet(t *testing.T) {
	o := NewObject(Member{"a", 1.0}, Member{"a", 2.0})
	if v, ok := o.Get("a"); !ok || v != 2.0 {
		t.Fatalf("Get returned %v %v; want the last member", v, ok)
	}
	o.Set("a", 3.0)
	o.Set("b", "x")
	if len(o.Members) != 3 || o.Members[1].Value != 3.0 || o.Members[2] != (Member{"b", "x"}) {
		t.Fatalf("members after Set: %+v", o.Members)
	}
	if _, ok := o.Get("missing"); ok {
		t.Fatal("Get found a missing key")
	}
}

// TestECMAArrayWithoutEndMarker decodes metadata as rtmfp-cpp's tcpublish
// writes it: the declared count of entries and no 00 00 09 end marker.
func TestECMAArrayWithoutEndMarker(t *testing.T) {
	b := []byte{0x08, 0, 0, 0, 2,
		0, 5, 'w', 'i', 'd', 't', 'h', 0x00, 0x40, 0x74, 0, 0, 0, 0, 0, 0, // 320
		0, 4, 'c', 'o', 'd', 'e', 0x02, 0, 1, 'x'}
	v, err := NewDecoder(b).ReadAMF0()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := v.(*ECMAArray)
	if !ok || a.Count != 2 || len(a.Entries) != 2 || a.Entries[0].Value != 320.0 || a.Entries[1].Value != "x" {
		t.Fatalf("decoded %#v", v)
	}
	// Fewer entries than declared and no end marker is still truncated.
	if _, err := NewDecoder(b[:21]).ReadAMF0(); err == nil {
		t.Fatal("a cut array without end marker decoded")
	}
}
