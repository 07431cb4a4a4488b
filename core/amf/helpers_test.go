package amf

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
)

// hx builds bytes from hex text; spaces and '|' are ignored, and text
// between double quotes is taken as ASCII.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	parts := strings.Split(s, `"`)
	for i, p := range parts {
		if i%2 == 1 {
			out = append(out, p...)
			continue
		}
		p = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(p)
		b, err := hex.DecodeString(p)
		if err != nil {
			t.Fatalf("bad hex %q: %v", p, err)
		}
		out = append(out, b...)
	}
	return out
}

// decodeN decodes exactly n values with one decoder and requires the
// input to be consumed.
func decodeN(b []byte, amf3 bool, n int) ([]any, error) {
	d := NewDecoder(b)
	values := make([]any, 0, n)
	for i := 0; i < n; i++ {
		var v any
		var err error
		if amf3 {
			v, err = d.ReadAMF3()
		} else {
			v, err = d.ReadAMF0()
		}
		if err != nil {
			return nil, err
		}
		values = append(values, v)
	}
	if d.Remaining() != 0 {
		return values, errors.New("trailing bytes")
	}
	return values, nil
}

// encodeAll encodes values with one encoder.
func encodeAll(values []any, amf3 bool) ([]byte, error) {
	e := NewEncoder(nil)
	if amf3 {
		for _, v := range values {
			if err := e.WriteAMF3(v); err != nil {
				return nil, err
			}
		}
		return e.Bytes(), nil
	}
	if err := e.WriteAMF0(values...); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// checkTruncations requires every strict prefix of b, the encoding of n
// values, to fail without panicking, with ErrTruncated (or io.EOF for the
// empty input of a single value).
func checkTruncations(t *testing.T, b []byte, amf3 bool, n int) {
	t.Helper()
	for i := 0; i < len(b); i++ {
		_, err := decodeN(b[:i], amf3, n)
		if err == nil && !amf3 && bytes.Equal(b[i:], []byte{0, 0, 9}) {
			continue // an ECMA array that ends the input needs no end marker (rtmfp-cpp)
		}
		if err == nil {
			t.Fatalf("prefix of %d/%d bytes decoded without error", i, len(b))
		}
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, io.EOF) {
			t.Fatalf("prefix of %d/%d bytes: %v; want ErrTruncated", i, len(b), err)
		}
		if errors.Is(err, ErrTruncated) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("prefix of %d/%d bytes: %v does not wrap io.ErrUnexpectedEOF", i, len(b), err)
		}
	}
}

// roundTrip encodes values, decodes them back, and requires equal values
// with the same sharing; it also runs the truncation loop on the encoding.
func roundTrip(t *testing.T, values []any, amf3 bool) []byte {
	t.Helper()
	b, err := encodeAll(values, amf3)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	got, err := decodeN(b, amf3, len(values))
	if err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	if d := explainDiff(&Array{Dense: got}, &Array{Dense: values}); d != "" {
		t.Fatalf("round trip of %x: %s", b, d)
	}
	// Encoding the decoded values again gives the same bytes.
	again, err := encodeAll(got, amf3)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if !bytes.Equal(again, b) {
		t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, b)
	}
	checkTruncations(t, b, amf3, len(values))
	return b
}
