package wire

import (
	"bytes"
	"testing"
)

func TestHeaderVectors(t *testing.T) {
	for _, tc := range []struct {
		hex     string
		mode    Mode
		ts, tse uint16
		tc, tcr bool
	}{
		{"0b 1e60", ModeStartup, 0x1e60, 0, false, false},
		{"8d 1e70 6451", ModeInitiator, 0x1e70, 0x6451, true, false},
		{"4e 6455 1e70", ModeResponder, 0x6455, 0x1e70, false, true},
		{"09 1234", ModeInitiator, 0x1234, 0, false, false},
		{"0d 208d 666d", ModeInitiator, 0x208d, 0x666d, false, false},
		{"02", ModeResponder, 0, 0, false, false},
	} {
		enc := unhex(t, tc.hex)
		h, n, err := ParseHeader(append(enc, 0x4c))
		if err != nil || n != len(enc) {
			t.Fatalf("%s: %v %d", tc.hex, err, n)
		}
		if h.Mode() != tc.mode || h.Timestamp != tc.ts || h.TimestampEcho != tc.tse ||
			h.TimeCritical() != tc.tc || h.TimeCriticalReverse() != tc.tcr {
			t.Fatalf("%s: %+v", tc.hex, h)
		}
		if got := h.Append(nil); !bytes.Equal(got, enc) || h.Len() != len(enc) {
			t.Fatalf("%s: re-encoded %x", tc.hex, got)
		}
		checkTruncations(t, enc, func(b []byte) error { _, _, err := ParseHeader(b); return err })
	}
	h := NewHeader(ModeResponder, 0x6455, 0x1e70, true)
	if got := h.Append(nil); !bytes.Equal(got, unhex(t, "0e 6455 1e70")) {
		t.Fatalf("NewHeader: %x", got)
	}
	h.Flags |= FlagTimeCriticalReverse
	if got := h.Append(nil); !bytes.Equal(got, unhex(t, "4e 6455 1e70")) {
		t.Fatalf("TCR: %x", got)
	}
	if s := ModeStartup.String(); s != "startup" {
		t.Fatalf("mode string %q", s)
	}
}
