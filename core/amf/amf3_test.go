package amf

import (
	"bytes"
	"math"
	"testing"
	"time"
)

// codecCase is one value with its exact encoding.
type codecCase struct {
	name  string
	value any
	wire  string // hx syntax
}

// amf3Cases are byte-exact AMF3 encodings, written by hand from the AMF3
// specification.
func amf3Cases() []codecCase {
	date := time.UnixMilli(1_000_000_000_000).UTC() // 0x426D1A94A2000000 ms
	return []codecCase{
		{"undefined", Undefined{}, "00"},
		{"null", nil, "01"},
		{"false", false, "02"},
		{"true", true, "03"},
		{"int 0", 0.0, "04 00"},
		{"int 0x7f", float64(0x7f), "04 7f"},
		{"int 128", 128.0, "04 81 00"},
		{"int 0x3fff", float64(0x3fff), "04 ff 7f"},
		{"int 0x4000", float64(0x4000), "04 81 80 00"},
		{"int 0x1fffff", float64(0x1fffff), "04 ff ff 7f"},
		{"int 0x200000", float64(0x200000), "04 80 c0 80 00"},
		{"int -1", -1.0, "04 ff ff ff ff"},
		{"int 2^28-1", float64(1<<28 - 1), "04 bf ff ff ff"},
		{"int -2^28", float64(-1 << 28), "04 c0 80 80 00"},
		{"2^28 is a double", float64(1 << 28), "05 41b0000000000000"},
		{"-2^28-1 is a double", float64(-1<<28 - 1), "05 c1b0000001000000"},
		{"1.5", 1.5, "05 3ff8000000000000"},
		{"-0 stays a double", math.Copysign(0, -1), "05 8000000000000000"},
		{"NaN", math.NaN(), "05 7ff8000000000001"},
		{"+Inf", math.Inf(1), "05 7ff0000000000000"},
		{"-Inf", math.Inf(-1), "05 fff0000000000000"},
		{"empty string", "", "06 01"},
		{"string", "hello", `06 0b "hello"`},
		{"utf-8 string", "é", "06 05 c3a9"},
		{"xml document", XMLDocument("<a/>"), `07 09 "<a/>"`},
		{"xml", XML("<b/>"), `0b 09 "<b/>"`},
		{"date", date, "08 01 426d1a94a2000000"},
		{"invalid date", time.Time{}, "08 01 7ff8000000000001"},
		{"byte array", []byte{1, 2, 3}, "0c 07 010203"},
		{"empty byte array", []byte{}, "0c 01"},
		{"empty array", &Array{}, "09 01 01"},
		{"dense array", &Array{Dense: []any{1.0, "a"}}, `09 05 01 04 01 06 03 "a"`},
		{"mixed array", &Array{Dense: []any{true}, Assoc: []Member{{"k", nil}}}, `09 03 03 "k" 01 01 03`},
		{"anonymous object", NewObject(Member{"a", 1.0}), `0a 0b 01 03 "a" 04 01 01`},
		{"empty anonymous object", NewObject(), "0a 0b 01 01"},
		{"typed sealed object", &Object{Class: "Foo", SealedCount: 2, Sealed: true,
			Members: []Member{{"x", 1.0}, {"y", 2.0}}}, `0a 23 07 "Foo" 03 "x" 03 "y" 04 01 04 02`},
		{"typed dynamic object with sealed members", &Object{Class: "Bar", SealedCount: 1,
			Members: []Member{{"x", 1.0}, {"z", 3.0}}}, `0a 1b 07 "Bar" 03 "x" 04 01 03 "z" 04 03 01`},
		{"sealed class without members", &Object{Class: "E", Sealed: true}, `0a 03 03 "E"`},
		{"array collection", &Object{Class: ClassArrayCollection, Externalizable: true,
			External: &Array{Dense: []any{1.0}}},
			`0a 07 43 "flex.messaging.io.ArrayCollection" 09 03 01 04 01`},
		{"object proxy", &Object{Class: ClassObjectProxy, Externalizable: true,
			External: NewObject(Member{"a", "b"})},
			`0a 07 3b "flex.messaging.io.ObjectProxy" 0a 0b 01 03 "a" 06 03 "b" 01`},
		{"vector int", &VectorInt{Items: []int32{1, -1}}, "0d 05 00 00000001 ffffffff"},
		{"fixed vector uint", &VectorUint{Fixed: true, Items: []uint32{0xffffffff}}, "0e 03 01 ffffffff"},
		{"vector double", &VectorDouble{Items: []float64{0.5}}, "0f 03 00 3fe0000000000000"},
		{"empty vector int", &VectorInt{}, "0d 01 00"},
		{"vector object", &VectorObject{TypeName: "Foo", Items: []any{nil, "x"}}, `10 05 00 07 "Foo" 01 06 03 "x"`},
		{"dictionary", &Dictionary{Entries: []DictEntry{{"k", 1.0}, {2.0, true}}}, `11 05 00 06 03 "k" 04 01 04 02 03`},
		{"weak dictionary", &Dictionary{WeakKeys: true}, "11 01 01"},
	}
}

func TestAMF3Encodings(t *testing.T) {
	for _, tc := range amf3Cases() {
		t.Run(tc.name, func(t *testing.T) {
			want := hx(t, tc.wire)
			e := NewEncoder(nil)
			if err := e.WriteAMF3(tc.value); err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(e.Bytes(), want) && !isNaN(tc.value) {
				t.Fatalf("encode:\n got %x\nwant %x", e.Bytes(), want)
			}
			got, err := NewDecoder(want).ReadAMF3()
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d := explainDiff(got, tc.value); d != "" && !isNaN(tc.value) {
				t.Fatal(d)
			}
			roundTrip(t, []any{tc.value}, true)
		})
	}
}

// isNaN marks cases whose NaN payload the test spells differently from
// math.NaN(); they are checked by round trip only.
func isNaN(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x)
	case time.Time:
		return x.IsZero()
	}
	return false
}

// Decoding accepts encodings the encoder never writes.
func TestAMF3DecodeOnly(t *testing.T) {
	cases := []codecCase{
		{"double holding an integer", 1.0, "05 3ff0000000000000"},
		{"overlong integer", 0.0, "04 80 00"},
		{"fractional date is truncated", time.UnixMilli(1).UTC(), "08 01 3ff8000000000000"},
		{"date beyond the ECMAScript range is invalid", time.Time{}, "08 01 7fefffffffffffff"},
		{"dictionary weak flag other than 1", &Dictionary{WeakKeys: true}, "11 01 02"},
		{"externalizable trait with extra bits", &Object{Class: ClassArrayCollection, Externalizable: true},
			`0a 17 43 "flex.messaging.io.ArrayCollection" 01`},
		{"array with numeric associative keys", &Array{Assoc: []Member{{"0", "x"}}}, `09 01 03 "0" 06 03 "x" 01`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewDecoder(hx(t, tc.wire)).ReadAMF3()
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d := explainDiff(got, tc.value); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestAMF3IntegerBoundaries(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 63, 64, 127, 128, 1<<14 - 1, 1 << 14, 1<<21 - 1, 1 << 21,
		1<<28 - 1, -1 << 28, 1 << 28, -1<<28 - 1, 1 << 29, -1 << 29, 1 << 31, math.MaxInt32, math.MinInt32,
		1e300, -1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		e := NewEncoder(nil)
		if err := e.WriteAMF3(f); err != nil {
			t.Fatal(err)
		}
		b := e.Bytes()
		wantInt := f >= -1<<28 && f <= 1<<28-1 && f == math.Trunc(f)
		if (b[0] == amf3Integer) != wantInt {
			t.Errorf("%v encoded as %x", f, b)
		}
		roundTrip(t, []any{f}, true)
	}
}

// The encoder takes Go integer types as numbers.
func TestEncodeGoNumbers(t *testing.T) {
	for _, v := range []any{int(5), int8(-5), int16(300), int32(-70000), int64(1 << 40), uint(7), uint8(255),
		uint16(65535), uint32(1 << 31), uint64(1 << 50), float32(0.5)} {
		want, _ := toFloat(v)
		for _, amf3 := range []bool{false, true} {
			b, err := encodeAll([]any{v}, amf3)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeN(b, amf3, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != want {
				t.Errorf("%T %v (amf3=%v) decoded as %v", v, v, amf3, got[0])
			}
		}
	}
}
