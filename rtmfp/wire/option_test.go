package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestOptionVectors(t *testing.T) {
	// Appendix A.3: metadata "TC" 04 00, return association to flow 2, marker.
	b := unhex(t, "05 00 54 43 04 00 | 02 0a 02 | 00 | 14")
	list, n, err := ParseOptionList(b)
	if err != nil || n != 10 {
		t.Fatalf("ParseOptionList: n=%d err=%v", n, err)
	}
	var got []Option
	for o := range list.All() {
		got = append(got, o)
	}
	if len(got) != 2 || got[0].Type != 0 || !bytes.Equal(got[0].Value, []byte("TC\x04\x00")) ||
		got[1].Type != 0x0a || !bytes.Equal(got[1].Value, []byte{2}) {
		t.Fatalf("options %+v", got)
	}
	if v, ok := list.Find(0x0a); !ok || !bytes.Equal(v, []byte{2}) {
		t.Fatalf("Find(0x0a) = %x %v", v, ok)
	}
	if _, ok := list.Find(0x0b); ok {
		t.Fatalf("Find(0x0b) found something")
	}
	// Rebuild byte for byte.
	var out []byte
	out = AppendOption(out, 0, []byte("TC\x04\x00"))
	out = AppendOptionVLU(out, 0x0a, 2)
	out = AppendMarker(out)
	if !bytes.Equal(out, b[:10]) {
		t.Fatalf("rebuilt %x want %x", out, b[:10])
	}
	if OptionLen(0, 4)+OptionVLULen(0x0a, 2)+1 != 10 {
		t.Fatalf("option lengths")
	}
	checkTruncations(t, b[:10], func(b []byte) error { _, _, err := ParseOptionList(b); return err })
}

func TestOptionLongType(t *testing.T) {
	o := Option{Type: 0x2000, Value: bytes.Repeat([]byte{1}, 200)}
	enc := o.Append(nil)
	if len(enc) != o.Len() {
		t.Fatalf("Len %d vs %d", o.Len(), len(enc))
	}
	got, n, err := ParseOption(enc)
	if err != nil || n != len(enc) || got.Type != 0x2000 || !bytes.Equal(got.Value, o.Value) {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	checkTruncations(t, enc, func(b []byte) error { _, _, err := ParseOption(b); return err })
}

func TestOptionTypeOutsideLength(t *testing.T) {
	// L=1 but the type VLU needs 2 bytes: malformed, not truncated.
	if _, _, err := ParseOption(unhex(t, "01 81 02")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v", err)
	}
}

func TestParseOptionsAndCanonical(t *testing.T) {
	b := unhex(t, "01 0a | 00 | 02 15 02")
	list, err := ParseOptions(b)
	if err != nil {
		t.Fatal(err)
	}
	if c := list.Canonical(); !bytes.Equal(c, b[:2]) {
		t.Fatalf("canonical %x", c)
	}
	if _, ok := list.Find(0x15); ok {
		t.Fatalf("Find must stop at the marker")
	}
	n := 0
	for range list.All() {
		n++
	}
	if n != 3 {
		t.Fatalf("All yielded %d options", n)
	}
	if _, err := ParseOptions(unhex(t, "05 00 54")); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated options: %v", err)
	}
}

func FuzzOptions(f *testing.F) {
	f.Add(unhex(f, "05 00 54 43 04 00 02 0a 02 00"))
	f.Add(unhex(f, "01 0a 41 0e 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if list, n, err := ParseOptionList(b); err == nil {
			if n > len(b) || len(list) >= n {
				t.Fatalf("bad lengths %d %d", len(list), n)
			}
			var re []byte
			for o := range list.All() {
				re = o.Append(re)
			}
			if l2, _, err := ParseOptionList(AppendMarker(re)); err != nil || len(l2) != len(re) {
				t.Fatalf("re-encoded list does not parse: %v", err)
			}
		}
		if list, err := ParseOptions(b); err == nil {
			total := 0
			for o := range list.All() {
				total += len(o.Value)
			}
			if total > len(b) {
				t.Fatalf("values exceed input")
			}
			list.Canonical()
			list.Find(0x0a)
		}
	})
}
