package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// parseFLVTag reads one tag and its PreviousTagSize (test reader).
func parseFLVTag(b []byte) (flvTag, int, error) {
	if len(b) < flvTagHdrLen {
		return flvTag{}, 0, errors.New("truncated tag header")
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	t := flvTag{kind: b[0], time: uint32(b[7])<<24 | uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6])}
	if b[8] != 0 || b[9] != 0 || b[10] != 0 {
		return flvTag{}, 0, errors.New("stream id not 0")
	}
	if len(b) < flvTagHdrLen+n+4 {
		return flvTag{}, 0, errors.New("truncated tag")
	}
	t.body = b[flvTagHdrLen : flvTagHdrLen+n]
	if prev := binary.BigEndian.Uint32(b[flvTagHdrLen+n:]); prev != uint32(flvTagHdrLen+n) {
		return flvTag{}, 0, fmt.Errorf("PreviousTagSize %d for a %d-byte tag", prev, flvTagHdrLen+n)
	}
	return t, flvTagHdrLen + n + 4, nil
}

func TestFLVWriterRoundTrip(t *testing.T) {
	in := []packetIn{
		{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)},
		{TrackAudio, 0, aacConfigPacket(testASC)},
		{TrackVideo, 0, avcFramePacket(true, 0, testNAL(5, 1200, 0))},
		{TrackAudio, 23, aacFramePacket([]byte{1, 2, 3})},
		{TrackAudio, 0x00ffffff, []byte{0x2f, 0xff, 0xfb}},    // last 24-bit time
		{TrackVideo, 0x01000000, avcFramePacket(false, 40)},   // needs the extended byte
		{TrackVideo, 0xfedcba98, []byte{0x22, 0, 0, 0, 0, 0}}, // any codec goes into FLV
	}
	w := NewWriter("flv")
	out := writeAll(t, w, in)
	want := []byte{'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0}
	if !bytes.Equal(out[:13], want) {
		t.Fatalf("header % x, want % x", out[:13], want)
	}
	rest := out[13:]
	for i, p := range in {
		tag, n, err := parseFLVTag(rest)
		if err != nil {
			t.Fatalf("tag %d: %v", i, err)
		}
		wantKind := byte(flvTagAudio)
		if p.track == TrackVideo {
			wantKind = flvTagVideo
		}
		if tag.kind != wantKind || tag.time != p.time || !bytes.Equal(tag.body, p.payload) {
			t.Errorf("tag %d: kind %d time %#x body %d bytes, want %d %#x %d", i, tag.kind, tag.time, len(tag.body), wantKind, p.time, len(p.payload))
		}
		if n != tag.Len() {
			t.Errorf("tag %d: %d bytes, Len %d", i, n, tag.Len())
		}
		rest = rest[n:]
	}
	if len(rest) != 0 {
		t.Errorf("%d trailing bytes", len(rest))
	}
	// Every prefix of a tag is rejected by the reader: the sizes are
	// consistent.
	first := out[13 : 13+flvTag{body: in[0].payload}.Len()]
	for i := range len(first) {
		if _, _, err := parseFLVTag(first[:i]); err == nil {
			t.Fatalf("prefix %d accepted", i)
		}
	}
}

func TestFLVWriterHeaderOnce(t *testing.T) {
	for _, format := range []string{"", "flv", "FLV", "mp4", "MP2T "} {
		w := NewWriter(format)
		if _, ok := w.(*FLVWriter); !ok {
			t.Errorf("NewWriter(%q) is %T", format, w)
		}
	}
	for _, format := range []string{"mp2t", "MP2T", "Mp2T"} {
		if _, ok := NewWriter(format).(*TSWriter); !ok {
			t.Errorf("NewWriter(%q) is not a TS writer", format)
		}
	}
	w := NewFLVWriter()
	// Errors before the first tag do not consume the header.
	if out, err := w.Write(nil, 7, 0, []byte{1}); !errors.Is(err, ErrUnknownTrack) || len(out) != 0 {
		t.Fatalf("track 7: %d bytes, %v", len(out), err)
	}
	if out, err := w.Write([]byte("x"), TrackAudio, 0, nil); !errors.Is(err, ErrMalformed) || string(out) != "x" {
		t.Fatalf("empty body: %q, %v", out, err)
	}
	a, _ := w.Write(nil, TrackAudio, 0, []byte{0x2f, 1})
	b, _ := w.Write(nil, TrackAudio, 1, []byte{0x2f, 1})
	if !bytes.HasPrefix(a, []byte("FLV")) || len(a) != 13+11+2+4 || len(b) != 11+2+4 {
		t.Errorf("first %d bytes, second %d bytes", len(a), len(b))
	}
}

func TestFLVWriterTooLarge(t *testing.T) {
	w := NewFLVWriter()
	if _, err := w.Write(nil, TrackVideo, 0, make([]byte, flvMaxTagBody+1)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized tag: %v", err)
	}
}
