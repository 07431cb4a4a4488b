package media

import (
	"bytes"
	"testing"
)

func TestParseAVCConfig(t *testing.T) {
	record := avcConfigPacket(testSPS, testPPS)[5:]
	record = append(record, 0xfc, 0xf8, 0xf8, 0) // high-profile trailer: not read
	cfg, n, err := parseAVCConfig(record)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(record)-4 || cfg.lengthSize != 4 || len(cfg.params) != 2 ||
		!bytes.Equal(cfg.params[0], testSPS) || !bytes.Equal(cfg.params[1], testPPS) {
		t.Fatalf("config %+v, %d bytes", cfg, n)
	}
	for i := range n {
		if _, _, err := parseAVCConfig(record[:i]); err == nil {
			t.Fatalf("prefix of %d bytes accepted", i)
		}
	}
	// Two-byte NAL lengths, two SPS, no PPS.
	r2 := []byte{1, 0x4d, 0, 0x1f, 0xfd, 0xe2, 0, 1, 0x67, 0, 2, 0x67, 0x4d, 0}
	cfg, n, err = parseAVCConfig(r2)
	if err != nil || n != len(r2) || cfg.lengthSize != 2 || len(cfg.params) != 2 {
		t.Fatalf("%+v %d %v", cfg, n, err)
	}
}

func TestParseNALUnit(t *testing.T) {
	for size := 1; size <= 4; size++ {
		unit := []byte{0x65, 1, 2}
		b := append(make([]byte, size-1), byte(len(unit)))
		b = append(b, unit...)
		nal, n, err := parseNALUnit(b, size)
		if err != nil || n != len(b) || !bytes.Equal(nal, unit) {
			t.Fatalf("size %d: % x %d %v", size, nal, n, err)
		}
		for i := range len(b) {
			if _, _, err := parseNALUnit(b[:i], size); err == nil {
				t.Fatalf("size %d: prefix %d accepted", size, i)
			}
		}
	}
}

func TestParseAudioSpecificConfig(t *testing.T) {
	for _, c := range []struct {
		asc  []byte
		want aacConfig
		n    int
	}{
		{[]byte{0x12, 0x10}, aacConfig{2, 4, 2}, 2},
		{[]byte{0x2b, 0x92, 0x08, 0x00}, aacConfig{2, 7, 2}, 3},
		// Object type escape: 31 then 6 bits (AOT 32+x) is unsupported, but
		// reading it must stay in bounds.
	} {
		cfg, n, err := parseAudioSpecificConfig(c.asc)
		if err != nil || cfg != c.want || n != c.n {
			t.Errorf("% x: %+v %d %v", c.asc, cfg, n, err)
		}
		for i := range c.n {
			if _, _, err := parseAudioSpecificConfig(c.asc[:i]); err == nil {
				t.Errorf("% x: prefix %d accepted", c.asc, i)
			}
		}
	}
}

func TestADTSHeaderLen(t *testing.T) {
	h := adtsHeader{cfg: aacConfig{2, 3, 1}, payloadLen: 8184}
	b := h.Append(nil)
	if len(b) != h.Len() {
		t.Fatalf("%d bytes, Len %d", len(b), h.Len())
	}
	if n := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5); n != adtsMaxFrameLen {
		t.Errorf("frame length %d", n)
	}
}

func TestPSISectionLen(t *testing.T) {
	pat := patSection{pmtPID: pidPMT}
	if b := pat.Append(nil); len(b) != pat.Len() || crc32MPEG(b) != 0 {
		t.Errorf("PAT %d bytes, Len %d", len(b), pat.Len())
	}
	pmt := pmtSection{version: 3, pcrPID: pidVideo, streams: [2]pmtStream{{streamTypeH264, pidVideo}, {streamTypeAACADTS, pidAudio}}, count: 2}
	b := pmt.Append(nil)
	if len(b) != pmt.Len() || crc32MPEG(b) != 0 {
		t.Errorf("PMT %d bytes, Len %d", len(b), pmt.Len())
	}
	if p, err := parsePMTSection(b[:len(b)-4]); err != nil || p.version != 3 || len(p.streams) != 2 {
		t.Errorf("PMT read back %+v %v", p, err)
	}
	// CRC-32/MPEG-2 check value.
	if c := crc32MPEG([]byte("123456789")); c != 0x0376e6e7 {
		t.Errorf("crc %#x", c)
	}
}

func TestPESHeaderLen(t *testing.T) {
	for _, h := range []pesHeader{
		{streamID: streamIDAudio, pts: 1, payloadLen: 10},
		{streamID: streamIDVideo, pts: timestampMask, dts: 5, hasDTS: true, payloadLen: 70000},
	} {
		b := h.Append(nil)
		if len(b) != h.Len() {
			t.Errorf("%d bytes, Len %d", len(b), h.Len())
		}
		p := demuxedPES{data: append(b, make([]byte, h.payloadLen)...)}
		if err := parsePESHeader(&p); err != nil || p.pts != h.pts || p.dts != h.dts || p.hasDTS != h.hasDTS {
			t.Errorf("read back %+v %v", p, err)
		}
	}
}
