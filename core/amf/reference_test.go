package amf

import (
	"bytes"
	"testing"
	"time"
)

// Byte-exact reference tables: repeated strings, objects, traits, dates,
// XML and byte arrays are written once, then referenced.
func TestAMF3ReferenceEncodings(t *testing.T) {
	shared := NewObject(Member{"a", 1.0})
	date := time.UnixMilli(0).UTC()
	bytesValue := []byte{9}
	cases := []codecCase{
		{"repeated strings", &Array{Dense: []any{"ab", "ab", "", ""}}, `09 09 01 06 05 "ab" 06 00 06 01 06 01`},
		{"string table shared by keys and values", NewObject(Member{"k", "k"}), `0a 0b 01 03 "k" 06 00 01`},
		{"repeated object", &Array{Dense: []any{shared, shared}}, `09 05 01 0a 0b 01 03 "a" 04 01 01 0a 02`},
		{"repeated anonymous traits", &Array{Dense: []any{NewObject(Member{"a", 1.0}), NewObject(Member{"b", 2.0})}},
			`09 05 01 0a 0b 01 03 "a" 04 01 01 0a 01 03 "b" 04 02 01`},
		{"repeated sealed traits", &Array{Dense: []any{
			&Object{Class: "P", SealedCount: 1, Sealed: true, Members: []Member{{"x", 1.0}}},
			&Object{Class: "P", SealedCount: 1, Sealed: true, Members: []Member{{"x", 2.0}}},
		}}, `09 05 01 0a 13 03 "P" 03 "x" 04 01 0a 01 04 02`},
		{"different sealed names are different traits", &Array{Dense: []any{
			&Object{Class: "P", SealedCount: 1, Sealed: true, Members: []Member{{"x", 1.0}}},
			&Object{Class: "P", SealedCount: 1, Sealed: true, Members: []Member{{"y", 2.0}}},
		}}, `09 05 01 0a 13 03 "P" 03 "x" 04 01 0a 13 00 03 "y" 04 02`},
		{"repeated externalizable traits", &Array{Dense: []any{
			&Object{Class: ClassArrayCollection, Externalizable: true, External: nil},
			&Object{Class: ClassArrayCollection, Externalizable: true, External: nil},
		}}, `09 05 01 0a 07 43 "flex.messaging.io.ArrayCollection" 01 0a 01 01`},
		{"repeated date", &Array{Dense: []any{date, date}}, "09 05 01 08 01 0000000000000000 08 02"},
		{"repeated xml", &Array{Dense: []any{XML("<x/>"), XML("<x/>"), XMLDocument("<x/>")}},
			`09 07 01 0b 09 "<x/>" 0b 02 07 09 "<x/>"`},
		{"repeated byte array", &Array{Dense: []any{bytesValue, bytesValue}}, "09 05 01 0c 03 09 0c 02"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := hx(t, tc.wire)
			e := NewEncoder(nil)
			if err := e.WriteAMF3(tc.value); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.Bytes(), want) {
				t.Fatalf("encode:\n got %x\nwant %x", e.Bytes(), want)
			}
			got, err := NewDecoder(want).ReadAMF3()
			if err != nil {
				t.Fatal(err)
			}
			if d := explainDiff(got, tc.value); d != "" {
				t.Fatal(d)
			}
			roundTrip(t, []any{tc.value}, true)
		})
	}
}

// Two references to one container decode as the same pointer.
func TestSharedReferencesDecodeToOnePointer(t *testing.T) {
	for _, amf3 := range []bool{false, true} {
		shared := NewObject(Member{"v", "x"})
		list := &Array{Dense: []any{shared, shared}}
		b := roundTrip(t, []any{list}, amf3)
		got, _ := decodeN(b, amf3, 1)
		arr := got[0].(*Array)
		if arr.Dense[0] != arr.Dense[1] {
			t.Fatalf("amf3=%v: the two references decoded as different objects", amf3)
		}
	}
}

func TestCycles(t *testing.T) {
	self := &Object{}
	self.Members = []Member{{"self", self}}
	arr := &Array{}
	arr.Dense = []any{arr}
	ecma := &ECMAArray{}
	ecma.Entries = []Member{{"me", ecma}}
	dict := &Dictionary{}
	dict.Entries = []DictEntry{{dict, dict}}
	vec := &VectorObject{}
	vec.Items = []any{vec}
	ext := &Object{Class: ClassObjectProxy, Externalizable: true}
	ext.External = NewObject(Member{"proxy", ext})
	// a -> b -> a
	a, b := &Object{}, &Object{}
	a.Members = []Member{{"b", b}}
	b.Members = []Member{{"a", a}}

	wantAMF0 := map[string]string{
		"object":     `03 0004 "self" 07 0000 000009`,
		"array":      "0a 00000001 07 0000",
		"ecma array": `08 00000000 0002 "me" 07 0000 000009`,
	}
	wantAMF3 := map[string]string{
		"object":     `0a 0b 01 09 "self" 0a 00 01`,
		"array":      "09 03 01 09 00",
		"dictionary": "11 03 00 11 00 11 00",
		"vector":     "10 03 00 01 10 00",
	}
	for _, tc := range []struct {
		name  string
		value any
	}{
		{"object", self}, {"array", arr}, {"ecma array", ecma}, {"dictionary", dict},
		{"vector", vec}, {"externalizable", ext}, {"two objects", a},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, amf3 := range []bool{false, true} {
				if amf3 && tc.name == "ecma array" {
					continue // AMF3 has no ECMA array type
				}
				wire := roundTrip(t, []any{tc.value}, amf3)
				want := wantAMF0[tc.name]
				if amf3 {
					want = wantAMF3[tc.name]
				}
				if want != "" && !bytes.Equal(wire, hx(t, want)) {
					t.Fatalf("amf3=%v:\n got %x\nwant %x", amf3, wire, hx(t, want))
				}
			}
		})
	}
	// The decoded cycle is a real cycle.
	got, err := NewDecoder(hx(t, `0a 0b 01 09 "self" 0a 00 01`)).ReadAMF3()
	if err != nil {
		t.Fatal(err)
	}
	o := got.(*Object)
	if o.Members[0].Value != o {
		t.Fatal("self reference did not decode to the object itself")
	}
}

// Consecutive values of one message share the reference tables, across
// AVM+ switches too.
func TestTablesSpanTheMessage(t *testing.T) {
	wire := hx(t, `11 0a 0b 01 03 "a" 06 03 "s" 01`+ // {a:"s"} in AMF3
		`11 06 02`+ // string reference 1 ("s"; "a" is 0)
		`11 0a 00`+ // object reference 0
		`03 0001 "x" 05 000009`+ // AMF0 object
		`07 0000`) // AMF0 reference 0
	values, err := DecodeAll0(wire)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 5 || values[1] != "s" || values[2] != values[0] || values[4] != values[3] {
		t.Fatalf("values: %s", describe(&Array{Dense: values}, 0))
	}
	// Re-encoding keeps the sharing and the bytes (the lone AMF3 string is
	// written as AMF0 then).
	b, err := AppendAMF0(nil, values...)
	if err != nil {
		t.Fatal(err)
	}
	// {a:"s"} is a plain object, so it is written as AMF0 this time.
	want := hx(t, `03 0001 "a" 02 0001 "s" 000009 02 0001 "s" 07 0000 03 0001 "x" 05 000009 07 0001`)
	if !bytes.Equal(b, want) {
		t.Fatalf("re-encoded:\n got %x\nwant %x", b, want)
	}
	again, err := DecodeAll0(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := explainDiff(&Array{Dense: again}, &Array{Dense: values}); d != "" {
		t.Fatal(d)
	}
}

// A container shared between AMF0 context and an AMF3-only value is written
// as AMF3 from its first occurrence, so the AMF3 value can reference it.
func TestMixedSharing(t *testing.T) {
	y := NewObject(Member{"a", 1.0})
	z := &Object{Class: "Z", SealedCount: 1, Sealed: true, Members: []Member{{"y", y}}}
	values := []any{y, z, y}
	b, err := AppendAMF0(nil, values...)
	if err != nil {
		t.Fatal(err)
	}
	want := hx(t, `11 0a 0b 01 03 "a" 04 01 01`+ // y as AMF3 because z shares it
		`11 0a 13 03 "Z" 03 "y" 0a 00`+ // z referencing y
		`11 0a 00`) // y again
	if !bytes.Equal(b, want) {
		t.Fatalf("got  %x\nwant %x", b, want)
	}
	got, err := DecodeAll0(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := explainDiff(&Array{Dense: got}, &Array{Dense: values}); d != "" {
		t.Fatal(d)
	}
	// Without sharing, y stays AMF0.
	plain, err := AppendAMF0(nil, NewObject(Member{"a", 1.0}), z)
	if err != nil {
		t.Fatal(err)
	}
	if plain[0] != amf0Object {
		t.Fatalf("unshared object written as %x", plain)
	}
}
