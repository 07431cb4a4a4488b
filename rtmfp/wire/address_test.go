package wire

import (
	"bytes"
	"net/netip"
	"testing"
)

func TestAddressVectors(t *testing.T) {
	for _, tc := range []struct {
		hex  string
		addr string
		o    AddressOrigin
	}{
		{"02 c0a889b7 d967", "192.168.137.183:55655", OriginObserved},
		{"01 0a000001 0050", "10.0.0.1:80", OriginReported},
		{"00 00000000 0000", "0.0.0.0:0", OriginUnknown},
		{"83 20010db8000000000000000000000001 07bd", "[2001:db8::1]:1981", OriginRelay},
	} {
		enc := unhex(t, tc.hex)
		a, n, err := ParseAddress(append(enc, 0xee))
		if err != nil || n != len(enc) {
			t.Fatalf("%s: %v n=%d", tc.hex, err, n)
		}
		want := Address{AddrPort: netip.MustParseAddrPort(tc.addr), Origin: tc.o}
		if a != want {
			t.Fatalf("%s: got %v want %v", tc.hex, a, want)
		}
		if got := a.Append(nil); !bytes.Equal(got, enc) || a.Len() != len(enc) {
			t.Fatalf("%s: re-encoded %x (Len %d)", tc.hex, got, a.Len())
		}
		checkTruncations(t, enc, func(b []byte) error { _, _, err := ParseAddress(b); return err })
	}
}

func TestAddressMappedAndZero(t *testing.T) {
	parsed, n, err := ParseAddress(unhex(t, "82 00000000000000000000ffff01020304 0005"))
	if err != nil || n != 19 || parsed.AddrPort != netip.MustParseAddrPort("1.2.3.4:5") {
		t.Fatalf("mapped parse: %v %v", parsed, err)
	}
	mapped := Address{AddrPort: netip.MustParseAddrPort("[::ffff:1.2.3.4]:5"), Origin: OriginObserved}
	if got := mapped.Append(nil); !bytes.Equal(got, unhex(t, "02 01020304 0005")) || mapped.Len() != 7 {
		t.Fatalf("mapped: %x", got)
	}
	var zero Address
	if got := zero.Append(nil); !bytes.Equal(got, unhex(t, "00 00000000 0000")) || zero.Len() != 7 {
		t.Fatalf("zero: %x", got)
	}
}

func FuzzAddress(f *testing.F) {
	f.Add(unhex(f, "02 c0a889b7 d967"))
	f.Add(unhex(f, "81 20010db8000000000000000000000001 07bd"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, n, err := ParseAddress(b)
		if err != nil {
			return
		}
		if n != a.Len() && !(n == addressIPv6Len && a.AddrPort.Addr().Is4()) {
			t.Fatalf("consumed %d, Len %d", n, a.Len())
		}
		enc := a.Append(nil)
		a2, _, err := ParseAddress(enc)
		if err != nil || a2 != a {
			t.Fatalf("round trip %v != %v", a2, a)
		}
	})
}
