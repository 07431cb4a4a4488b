package amf

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

type badCase struct {
	name string
	amf3 bool
	wire string
	want error
}

func badInputs() []badCase {
	return []badCase{
		// Declared counts and lengths far beyond the input.
		{"amf0 strict array of 2^32-1", false, "0a ffffffff 05 05 05 05 05", ErrTruncated},
		{"amf0 long string of 2^32-1", false, "0c ffffffff 0000", ErrTruncated},
		{"amf0 xml document of 2^32-1", false, "0f ffffffff 0000", ErrTruncated},
		{"amf0 string longer than input", false, "02 0010 00", ErrTruncated},
		{"amf3 array of 2^28-1", true, "09 ffffffff 01 01 01", ErrTruncated},
		{"amf3 array dense count checked after the associative part", true, `09 05 03 "k" 01 01 01`, ErrTruncated},
		{"amf3 string of 2^28-1", true, "06 ffffffff 00", ErrTruncated},
		{"amf3 byte array of 2^28-1", true, "0c ffffffff 00", ErrTruncated},
		{"amf3 vector double of 2^28-1", true, "0f ffffffff 00 00", ErrTruncated},
		{"amf3 vector int of 2^28-1", true, "0d ffffffff 00 00", ErrTruncated},
		{"amf3 vector object of 2^28-1", true, "10 ffffffff 00 01 01", ErrTruncated},
		{"amf3 dictionary of 2^28-1", true, "11 ffffffff 00 01 01", ErrTruncated},
		{"amf3 object with 2^25-1 sealed names", true, "0a fffffff3 01 01", ErrTruncated},
		// A trait reference costs one byte but announces many values.
		{"amf3 trait reference with many sealed values", true,
			`09 05 01 0a 53 01 03 "a" 03 "b" 03 "c" 03 "d" 03 "e" 01 01 01 01 01 0a 01 01`, ErrTruncated},
		// References.
		{"amf0 reference into an empty table", false, "07 0000", ErrBadReference},
		{"amf0 reference past the table", false, `0a 00000002 03 000009 07 0002`, ErrBadReference},
		{"amf3 string reference into an empty table", true, "06 00", ErrBadReference},
		{"amf3 string reference past the table", true, `09 05 01 06 03 "a" 06 02`, ErrBadReference},
		{"amf3 object reference into an empty table", true, "0a 00", ErrBadReference},
		{"amf3 trait reference into an empty table", true, "0a 01", ErrBadReference},
		{"amf3 object reference to a date", true, "09 05 01 08 01 0000000000000000 0a 02", ErrBadReference},
		{"amf3 date reference to an array", true, "09 03 01 08 00", ErrBadReference},
		{"amf3 xml reference to an xml document", true, `09 05 01 07 03 "x" 0b 02`, ErrBadReference},
		{"amf3 byte array reference to an object", true, "0a 0b 01 03 0a 01 0c 00 01", ErrBadReference},
		{"amf3 vector int reference to a vector uint", true, "09 05 01 0e 01 00 0d 02", ErrBadReference},
		{"amf3 dictionary reference to an array", true, "09 03 01 11 00", ErrBadReference},
		{"amf3 vector object reference to an array", true, "09 03 01 10 00", ErrBadReference},
		{"amf3 array reference to an object", true, "0a 0b 01 03 61 09 00 01", ErrBadReference},
		// Markers and structure.
		{"amf0 movieclip", false, "04", ErrUnknownMarker},
		{"amf0 recordset", false, "0e", ErrUnknownMarker},
		{"amf0 marker 0x12", false, "12", ErrUnknownMarker},
		{"amf0 marker 0xff", false, "ff", ErrUnknownMarker},
		{"amf3 marker 0x12", true, "12", ErrUnknownMarker},
		{"amf0 object end marker as a value", false, "09", ErrMalformed},
		{"amf0 empty key without end marker", false, "03 0000 05", ErrMalformed},
		{"amf0 ecma array empty key without end marker", false, "08 00000000 0000 01 01", ErrMalformed},
		{"amf3 unknown externalizable", true, `0a 07 07 "Foo"`, ErrUnknownExternalizable},
		// Found by script's FuzzFromAMF: class "0", sealed names "" and "0".
		{"amf3 sealed member without a name", true, "0a 23 03 30 01 00 03 00", ErrMalformed},
	}
}

func TestBadInputs(t *testing.T) {
	for _, tc := range badInputs() {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(hx(t, tc.wire))
			var err error
			if tc.amf3 {
				_, err = d.ReadAMF3()
			} else {
				_, err = d.ReadAMF0()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v; want %v", err, tc.want)
			}
		})
	}
}

func TestUnknownExternalizableNamesTheClass(t *testing.T) {
	_, err := NewDecoder(hx(t, `0a 07 25 "com.example.Secret"`)).ReadAMF3()
	if !errors.Is(err, ErrUnknownExternalizable) || !strings.Contains(err.Error(), "com.example.Secret") {
		t.Fatalf("error %v; want ErrUnknownExternalizable naming the class", err)
	}
	e := NewEncoder(nil)
	err = e.WriteAMF3(&Object{Class: "com.example.Secret", Externalizable: true})
	if !errors.Is(err, ErrUnknownExternalizable) || !strings.Contains(err.Error(), "com.example.Secret") {
		t.Fatalf("encode error %v", err)
	}
}

// Huge declared counts are refused before anything proportional to them is
// allocated.
func TestNoAllocationFromDeclaredCounts(t *testing.T) {
	for _, tc := range badInputs() {
		if tc.want != ErrTruncated {
			continue
		}
		b := hx(t, tc.wire)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := 0; i < 10; i++ {
			d := NewDecoder(b)
			if tc.amf3 {
				d.ReadAMF3()
			} else {
				d.ReadAMF0()
			}
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("%s: %d bytes allocated for 10 decodes of %d bytes", tc.name, n, len(b))
		}
	}
}

// nested builds depth levels of containers around null.
func nested(depth int, amf3 bool) []byte {
	var b []byte
	for i := 0; i < depth; i++ {
		if amf3 {
			b = append(b, amf3Array, 0x03, 0x01) // one dense value
		} else {
			b = append(b, amf0StrictArray, 0, 0, 0, 1)
		}
	}
	if amf3 {
		return append(b, amf3Null)
	}
	return append(b, amf0Null)
}

func TestMaxDepth(t *testing.T) {
	for _, amf3 := range []bool{false, true} {
		read := func(d *Decoder) (any, error) {
			if amf3 {
				return d.ReadAMF3()
			}
			return d.ReadAMF0()
		}
		if _, err := read(NewDecoder(nested(DefaultMaxDepth, amf3))); err != nil {
			t.Fatalf("amf3=%v: depth %d refused: %v", amf3, DefaultMaxDepth, err)
		}
		if _, err := read(NewDecoder(nested(DefaultMaxDepth+1, amf3))); !errors.Is(err, ErrTooDeep) {
			t.Fatalf("amf3=%v: depth %d: %v; want ErrTooDeep", amf3, DefaultMaxDepth+1, err)
		}
		d := NewDecoder(nested(10, amf3))
		d.MaxDepth = 9
		if _, err := read(d); !errors.Is(err, ErrTooDeep) {
			t.Fatalf("amf3=%v: MaxDepth 9: %v", amf3, err)
		}
		// Very deep input fails cleanly, without exhausting the stack.
		if _, err := read(NewDecoder(nested(1_000_000, amf3))); !errors.Is(err, ErrTooDeep) {
			t.Fatalf("amf3=%v: deep input: %v", amf3, err)
		}
	}
	// The encoder has the same limit.
	var v any
	for i := 0; i < DefaultMaxDepth+1; i++ {
		v = &Array{Dense: []any{v}}
	}
	for _, amf3 := range []bool{false, true} {
		if _, err := encodeAll([]any{v}, amf3); !errors.Is(err, ErrTooDeep) {
			t.Fatalf("amf3=%v: encoding depth %d: %v", amf3, DefaultMaxDepth+1, err)
		}
		if _, err := encodeAll([]any{v.(*Array).Dense[0]}, amf3); err != nil {
			t.Fatalf("amf3=%v: encoding depth %d: %v", amf3, DefaultMaxDepth, err)
		}
	}
}

func TestInvalidValues(t *testing.T) {
	cases := []struct {
		name  string
		value any
		want  error
	}{
		{"unsupported type", map[string]any{}, ErrUnsupportedType},
		{"empty object key", NewObject(Member{"", 1.0}), ErrInvalidValue},
		{"empty ecma key", NewECMAArray(Member{"", 1.0}), ErrInvalidValue},
		{"empty assoc key", &Array{Assoc: []Member{{"", 1.0}}}, ErrInvalidValue},
		{"sealed count beyond members", &Object{SealedCount: 2, Members: []Member{{"a", nil}}}, ErrInvalidValue},
		{"negative sealed count", &Object{SealedCount: -1}, ErrInvalidValue},
		{"sealed class with dynamic members", &Object{Sealed: true, Members: []Member{{"a", nil}}}, ErrInvalidValue},
		{"externalizable with members", &Object{Class: ClassObjectProxy, Externalizable: true, Members: []Member{{"a", nil}}}, ErrInvalidValue},
		{"nested unsupported type", NewObject(Member{"a", struct{}{}}), ErrUnsupportedType},
	}
	for _, tc := range cases {
		for _, amf3 := range []bool{false, true} {
			if _, err := encodeAll([]any{tc.value}, amf3); !errors.Is(err, tc.want) {
				t.Errorf("%s (amf3=%v): %v; want %v", tc.name, amf3, err, tc.want)
			}
		}
	}
	// An AMF0 key longer than 65535 bytes forces AMF3.
	long := strings.Repeat("k", 70000)
	b, err := AppendAMF0(nil, NewObject(Member{long, 1.0}))
	if err != nil || b[0] != amf0AVMPlus {
		t.Fatalf("long key: %v, marker %x", err, b[:1])
	}
	roundTrip(t, []any{NewObject(Member{long, 1.0})}, false)
}

func TestRegisterExternalizable(t *testing.T) {
	if err := RegisterExternalizable("x.Bad", ExternalizableCodec{}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("codec without functions: %v", err)
	}
	// A codec with a flag byte and a value, like Flex's small messages.
	err := RegisterExternalizable("test.Flagged", ExternalizableCodec{
		Read: func(d *Decoder) (any, error) {
			f, err := d.ReadByte()
			if err != nil {
				return nil, err
			}
			v, err := d.ReadAMF3()
			if err != nil {
				return nil, err
			}
			return &Array{Dense: []any{float64(f), v}}, nil
		},
		Write: func(e *Encoder, body any) error {
			a := body.(*Array)
			if err := e.WriteByte(byte(a.Dense[0].(float64))); err != nil {
				return err
			}
			return e.WriteAMF3(a.Dense[1])
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := &Object{Class: "test.Flagged", Externalizable: true, External: &Array{Dense: []any{7.0, "v"}}}
	wire := roundTrip(t, []any{o}, true)
	want := hx(t, `0a 07 19 "test.Flagged" 07 06 03 "v"`)
	if string(wire) != string(want) {
		t.Fatalf("got %x want %x", wire, want)
	}
}

func TestDecoderReset(t *testing.T) {
	d := NewDecoder(hx(t, `06 03 "a"`))
	if v, err := d.ReadAMF3(); err != nil || v != "a" {
		t.Fatal(v, err)
	}
	if _, err := d.ReadAMF3(); err == nil {
		t.Fatal("read past the end")
	}
	// After Reset the string table is empty: a reference fails.
	d.Reset(hx(t, "06 00"))
	if _, err := d.ReadAMF3(); !errors.Is(err, ErrBadReference) {
		t.Fatalf("reference after Reset: %v", err)
	}
	d.Reset(hx(t, "05 05"))
	if _, err := d.ReadAMF0(); err != nil || d.Offset() != 1 || d.Remaining() != 1 {
		t.Fatalf("offset %d remaining %d err %v", d.Offset(), d.Remaining(), err)
	}
}

func TestEncoderReset(t *testing.T) {
	e := NewEncoder(nil)
	s := NewObject()
	if err := e.WriteAMF3(&Array{Dense: []any{"a", s}}); err != nil {
		t.Fatal(err)
	}
	e.Reset(e.Bytes()[:0])
	if err := e.WriteAMF3(&Array{Dense: []any{"a", s}}); err != nil {
		t.Fatal(err)
	}
	// Nothing is referenced from the previous message.
	if want := hx(t, `09 05 01 06 03 "a" 0a 0b 01 01`); string(e.Bytes()) != string(want) {
		t.Fatalf("got %x want %x", e.Bytes(), want)
	}
}

func TestNilPointersAreNull(t *testing.T) {
	for _, v := range []any{(*Object)(nil), (*Array)(nil), (*ECMAArray)(nil), (*VectorInt)(nil), (*VectorUint)(nil),
		(*VectorDouble)(nil), (*VectorObject)(nil), (*Dictionary)(nil)} {
		b0, err := AppendAMF0(nil, v)
		if err != nil || len(b0) != 1 || b0[0] != amf0Null {
			t.Errorf("%T in AMF0: %x %v", v, b0, err)
		}
		e := NewEncoder(nil)
		if err := e.WriteAMF3(v); err != nil || len(e.Bytes()) != 1 || e.Bytes()[0] != amf3Null {
			t.Errorf("%T in AMF3: %x %v", v, e.Bytes(), err)
		}
	}
}
