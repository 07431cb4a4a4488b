package wire

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestVLUVectors(t *testing.T) {
	for _, tc := range []struct {
		v   uint64
		hex string
	}{
		{0, "00"}, {127, "7f"}, {128, "8100"}, {130, "8102"}, {132, "8104"}, {139, "810b"},
		{16383, "ff7f"}, {16384, "818000"}, {2000001, "fa8901"},
		{math.MaxUint64, "81ffffffffffffffff7f"},
	} {
		want := unhex(t, tc.hex)
		got := AppendVLU(nil, tc.v)
		if !bytes.Equal(got, want) {
			t.Errorf("AppendVLU(%d) = %x, want %x", tc.v, got, want)
		}
		if VLULen(tc.v) != len(want) {
			t.Errorf("VLULen(%d) = %d, want %d", tc.v, VLULen(tc.v), len(want))
		}
		v, n, err := ReadVLU(append(want, 0xaa))
		if err != nil || v != tc.v || n != len(want) {
			t.Errorf("ReadVLU(%x) = %d, %d, %v", want, v, n, err)
		}
		checkTruncations(t, want, func(b []byte) error { _, _, err := ReadVLU(b); return err })
	}
}

func TestVLURejects(t *testing.T) {
	// 11 bytes with continuation bits: too long.
	if _, _, err := ReadVLU(bytes.Repeat([]byte{0x80}, 11)); !errors.Is(err, ErrVLUTooLong) {
		t.Errorf("11-byte VLU: %v", err)
	}
	// Exactly 10 continuation bytes: too long rather than truncated.
	if _, _, err := ReadVLU(bytes.Repeat([]byte{0x80}, 10)); !errors.Is(err, ErrVLUTooLong) {
		t.Errorf("10 continuation bytes: %v", err)
	}
	// 65 bits: 82 ff.. 7f
	over := unhex(t, "82ffffffffffffffff7f")
	if _, _, err := ReadVLU(over); !errors.Is(err, ErrVLUOverflow) {
		t.Errorf("65-bit VLU: %v", err)
	}
	// A non-minimal but short encoding is accepted.
	if v, n, err := ReadVLU(unhex(t, "808001")); err != nil || v != 1 || n != 3 {
		t.Errorf("non-minimal: %d %d %v", v, n, err)
	}
}

func TestVLURoundTripAllWidths(t *testing.T) {
	for shift := range 64 {
		for _, v := range []uint64{1 << shift, 1<<shift - 1, 1<<shift + 1} {
			b := AppendVLU(nil, v)
			got, n, err := ReadVLU(b)
			if err != nil || got != v || n != len(b) || n != VLULen(v) {
				t.Fatalf("round trip %d: got %d n=%d err=%v (%x)", v, got, n, err, b)
			}
		}
	}
}

func TestField(t *testing.T) {
	val := bytes.Repeat([]byte{0xab}, 130)
	enc := AppendField(nil, val)
	if len(enc) != FieldLen(130) || !bytes.Equal(enc[:2], []byte{0x81, 0x02}) {
		t.Fatalf("field encoding %x", enc[:4])
	}
	got, n, err := ReadField(enc)
	if err != nil || n != len(enc) || !bytes.Equal(got, val) {
		t.Fatalf("ReadField: %v %d", err, n)
	}
	if cap(got) != len(got) {
		t.Errorf("field value capacity leaks the rest of the buffer")
	}
	checkTruncations(t, enc, func(b []byte) error { _, _, err := ReadField(b); return err })
	// A huge declared length must not allocate or panic.
	huge := AppendVLU(nil, math.MaxUint64)
	if _, _, err := ReadField(huge); !errors.Is(err, ErrTruncated) {
		t.Errorf("huge field: %v", err)
	}
}

func FuzzVLU(f *testing.F) {
	f.Add([]byte{0x81, 0x02})
	f.Add([]byte{0xff, 0x7f})
	f.Add(bytes.Repeat([]byte{0xff}, 12))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ReadVLU(b)
		if err != nil {
			return
		}
		if n < 1 || n > MaxVLULen || n > len(b) {
			t.Fatalf("bad length %d", n)
		}
		if VLULen(v) > n {
			t.Fatalf("minimal encoding longer than input")
		}
		v2, n2, err := ReadVLU(AppendVLU(nil, v))
		if err != nil || v2 != v || n2 != VLULen(v) {
			t.Fatalf("re-encode mismatch")
		}
	})
}
