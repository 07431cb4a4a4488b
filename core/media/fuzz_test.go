package media

import (
	"bytes"
	"testing"
)

// Fuzz input: a sequence of records [track:1][time:3][length:2][payload],
// the last payload cut short when the input ends.

func encodeFuzzPackets(in []packetIn) []byte {
	var b []byte
	for _, p := range in {
		b = append(b, byte(p.track), byte(p.time>>16), byte(p.time>>8), byte(p.time),
			byte(len(p.payload)>>8), byte(len(p.payload)))
		b = append(b, p.payload...)
	}
	return b
}

func decodeFuzzPackets(b []byte, fn func(track Track, time uint32, payload []byte)) {
	for len(b) >= 6 {
		track := Track(b[0])
		time := uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		time *= 0x101 // reach the high bits too
		n := min(int(b[4])<<8|int(b[5]), len(b)-6)
		fn(track, time, b[6:6+n])
		b = b[6+n:]
	}
}

func fuzzSeeds(f *testing.F) {
	f.Add(encodeFuzzPackets([]packetIn{
		{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)},
		{TrackAudio, 0, aacConfigPacket(testASC)},
		{TrackVideo, 0, avcFramePacket(true, 0, testNAL(6, 10, 0), testNAL(5, 400, 1))},
		{TrackAudio, 23, aacFramePacket([]byte{1, 2, 3})},
		{TrackVideo, 40, avcFramePacket(false, 80, testNAL(1, 200, 2))},
		{TrackAudio, 46, []byte{0x2f, 0xff, 0xfb, 0x90, 0x64}},
	}))
	f.Add(encodeFuzzPackets([]packetIn{
		{TrackVideo, 0, []byte{0x17, 0, 0, 0, 0, 1, 0x42, 0, 0x1e, 0xfd, 0xe1, 0, 2, 0x67, 0x42, 1, 0, 1, 0x68}},
		{TrackVideo, 0, []byte{0x17, 1, 0, 0, 0, 0, 3, 0x65, 1, 2, 0, 1, 0x06}},
		{TrackAudio, 0, []byte{0xaf, 0, 0x2b, 0x92, 0x08, 0x00}},
		{TrackAudio, 0, []byte{0xaf, 1, 0x21}},
		{3, 0, []byte{0x17}},
	}))
	f.Add([]byte{})
}

func FuzzTSWriter(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := NewTSWriter()
		var out []byte
		decodeFuzzPackets(data, func(track Track, time uint32, payload []byte) {
			before := len(out)
			params := len(w.params)
			got, err := w.Write(out, track, time, payload)
			if err != nil {
				if len(got) != before || (before > 0 && &got[0] != &out[0]) {
					t.Fatalf("output changed on error %v", err)
				}
				return
			}
			grown := len(got) - before
			if grown%tsPacketLen != 0 {
				t.Fatalf("%d bytes is not whole TS packets", grown)
			}
			// Proportional to the input: NAL units of 1 byte with 1-byte
			// lengths grow 2.5 times in Annex B form.
			if limit := 3*(len(payload)+params) + 4*tsPacketLen; grown > limit {
				t.Fatalf("%d bytes of output for %d of payload", grown, len(payload))
			}
			out = got
		})
		if _, err := demux(out); err != nil {
			t.Fatalf("output does not demux: %v", err)
		}
	})
}

func FuzzFLVWriter(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := NewFLVWriter()
		var out []byte
		decodeFuzzPackets(data, func(track Track, time uint32, payload []byte) {
			before := len(out)
			got, err := w.Write(out, track, time, payload)
			if err != nil {
				if len(got) != before {
					t.Fatalf("output changed on error %v", err)
				}
				return
			}
			tags := got[before:]
			if before == 0 {
				tags = tags[13:]
			}
			tag, n, err := parseFLVTag(tags)
			if err != nil || n != len(tags) || tag.time != time || !bytes.Equal(tag.body, payload) {
				t.Fatalf("tag does not read back: %v", err)
			}
			out = got
		})
	})
}

func FuzzParseAVCConfig(f *testing.F) {
	f.Add(avcConfigPacket(testSPS, testPPS)[5:])
	f.Add([]byte{1, 0x4d, 0, 0x1f, 0xfd, 0xe2, 0, 1, 0x67, 0, 2, 0x67, 0x4d, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, n, err := parseAVCConfig(b)
		if err != nil {
			return
		}
		if n > len(b) || cfg.lengthSize < 1 || cfg.lengthSize > 4 {
			t.Fatalf("n %d of %d, length size %d", n, len(b), cfg.lengthSize)
		}
		total := 0
		for _, p := range cfg.params {
			total += 2 + len(p)
		}
		if total > n {
			t.Fatalf("parameter sets of %d bytes in %d", total, n)
		}
	})
}

func FuzzParseNALUnit(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 0x65, 1}, uint8(4))
	f.Add([]byte{2, 0x65, 1}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, size uint8) {
		lengthSize := int(size%4) + 1
		nal, n, err := parseNALUnit(b, lengthSize)
		if err == nil && (n > len(b) || n != lengthSize+len(nal)) {
			t.Fatalf("n %d of %d for a %d-byte unit", n, len(b), len(nal))
		}
	})
}

func FuzzParseAudioSpecificConfig(f *testing.F) {
	f.Add([]byte{0x12, 0x10})
	f.Add([]byte{0x2b, 0x92, 0x08, 0x00})
	f.Add([]byte{0xf9, 0x44, 0x10})
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, n, err := parseAudioSpecificConfig(b)
		if err != nil {
			return
		}
		if n > len(b) || cfg.objectType < 1 || cfg.objectType > 4 || cfg.freqIndex > 12 || cfg.channelConf < 1 || cfg.channelConf > 7 {
			t.Fatalf("%+v from % x (n %d)", cfg, b, n)
		}
	})
}
