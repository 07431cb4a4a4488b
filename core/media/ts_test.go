package media

import (
	"bytes"
	"errors"
	"testing"
)

type packetIn struct {
	track   Track
	time    uint32
	payload []byte
}

func writeAll(t *testing.T, w Writer, in []packetIn) []byte {
	t.Helper()
	var out []byte
	for i, p := range in {
		var err error
		if out, err = w.Write(out, p.track, p.time, p.payload); err != nil {
			t.Fatalf("packet %d (%s at %d): %v", i, p.track, p.time, err)
		}
	}
	return out
}

func mustDemux(t *testing.T, ts []byte) *demuxed {
	t.Helper()
	d, err := demux(ts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func pesOn(d *demuxed, pid uint16) []demuxedPES {
	var out []demuxedPES
	for _, p := range d.pes {
		if p.pid == pid {
			out = append(out, p)
		}
	}
	return out
}

func TestTSWriterH264AAC(t *testing.T) {
	idr := testNAL(nalTypeIDR, 1200, 1)
	sei := testNAL(6, 20, 2)
	slice := testNAL(1, 700, 3)
	aacRaw := bytes.Repeat([]byte{0x21}, 10)
	in := []packetIn{
		{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)},
		{TrackAudio, 0, aacConfigPacket(testASC)},
		{TrackVideo, 0, avcFramePacket(true, 0, sei, idr)},
		{TrackAudio, 10, aacFramePacket(aacRaw)},
		// A B-frame style composition offset, and a publisher's own AUD.
		{TrackVideo, 40, avcFramePacket(false, 80, []byte{nalTypeAUD, 0xf0}, slice)},
		{TrackVideo, 80, avcFramePacket(false, -40, slice)},
	}
	w := NewTSWriter()
	var out []byte
	for i, p := range in {
		before := len(out)
		var err error
		if out, err = w.Write(out, p.track, p.time, p.payload); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if (i == 0 || i == 1) && len(out) != before {
			t.Errorf("config packet %d produced %d bytes", i, len(out)-before)
		}
	}
	if len(out) == 0 || out[0] != tsSync {
		t.Fatal("no TS output")
	}
	d := mustDemux(t, out)
	if len(d.patAt) == 0 || d.patAt[0] != 0 || d.pmts[0].index != 1 {
		t.Fatalf("stream does not start with PAT, PMT: PATs at %v", d.patAt)
	}
	if d.patPMT[0] != pidPMT {
		t.Errorf("PMT PID %#x", d.patPMT[0])
	}
	pmt := d.pmts[0]
	want := []pmtStream{{streamTypeH264, pidVideo}, {streamTypeAACADTS, pidAudio}}
	if len(pmt.streams) != 2 || pmt.streams[0] != want[0] || pmt.streams[1] != want[1] || pmt.pcrPID != pidVideo {
		t.Errorf("PMT %+v, want streams %v and PCR on video", pmt, want)
	}

	video := pesOn(d, pidVideo)
	if len(video) != 3 {
		t.Fatalf("%d video PES, want 3", len(video))
	}
	// Keyframe: AUD, SPS, PPS, then the frame's units.
	units, err := annexBUnits(video[0].data)
	if err != nil {
		t.Fatal(err)
	}
	wantUnits := [][]byte{audNAL[:], testSPS, testPPS, sei, idr}
	if len(units) != len(wantUnits) {
		t.Fatalf("keyframe has %d NAL units, want %d", len(units), len(wantUnits))
	}
	for i := range units {
		if !bytes.Equal(units[i], wantUnits[i]) {
			t.Errorf("keyframe unit %d = % x..., want % x...", i, units[i][:min(6, len(units[i]))], wantUnits[i][:min(6, len(wantUnits[i]))])
		}
	}
	if !video[0].randomAccess || video[1].randomAccess {
		t.Error("random access indicator must be on the keyframe only")
	}
	if video[0].streamID != streamIDVideo {
		t.Errorf("video stream id %#x", video[0].streamID)
	}
	// Inter frames: AUD then the slice (the publisher's AUD dropped).
	for i, v := range video[1:] {
		units, err := annexBUnits(v.data)
		if err != nil {
			t.Fatal(err)
		}
		if len(units) != 2 || !bytes.Equal(units[0], audNAL[:]) || !bytes.Equal(units[1], slice) {
			t.Errorf("inter frame %d: %d units", i+1, len(units))
		}
	}
	// Timestamps: DTS = time + 700 ms, PTS = DTS + composition offset.
	checks := []struct {
		pts, dts uint64
		hasDTS   bool
	}{
		{63000, 0, false},
		{(40 + 700 + 80) * 90, (40 + 700) * 90, true},
		{(80 + 700 - 40) * 90, (80 + 700) * 90, true},
	}
	for i, c := range checks {
		v := video[i]
		if v.pts != c.pts || v.hasDTS != c.hasDTS || (c.hasDTS && v.dts != c.dts) {
			t.Errorf("video %d: pts %d dts %d (has %v), want %d %d (%v)", i, v.pts, v.dts, v.hasDTS, c.pts, c.dts, c.hasDTS)
		}
		if !v.hasPCR {
			t.Errorf("video %d: no PCR", i)
		}
	}
	if video[1].pcr != 40*90 || video[2].pcr != 80*90 {
		t.Errorf("PCR %d %d, want media time at 90 kHz", video[1].pcr, video[2].pcr)
	}

	audio := pesOn(d, pidAudio)
	if len(audio) != 1 {
		t.Fatalf("%d audio PES, want 1", len(audio))
	}
	a := audio[0]
	if a.pts != (10+700)*90 || a.hasDTS || a.hasPCR || a.streamID != streamIDAudio {
		t.Errorf("audio PES %+v", a)
	}
	// AAC LC (profile 1), index 4, 2 channels, frame length 17.
	wantADTS := []byte{0xff, 0xf1, 0x50, 0x80, 0x02, 0x3f, 0xfc}
	if !bytes.Equal(a.data[:7], wantADTS) || !bytes.Equal(a.data[7:], aacRaw) {
		t.Errorf("ADTS frame % x, want % x + raw", a.data, wantADTS)
	}
	if a.lengthField != 3+5+7+len(aacRaw) {
		t.Errorf("audio PES_packet_length %d", a.lengthField)
	}
}

func TestTSWriterADTSHeaders(t *testing.T) {
	for _, c := range []struct {
		name string
		asc  []byte
		want []byte // first 4 bytes of the ADTS header for a 100-byte frame
	}{
		{"LC 44.1k stereo", []byte{0x12, 0x10}, []byte{0xff, 0xf1, 0x50, 0x80}},
		{"LC 48k mono", []byte{0x11, 0x88}, []byte{0xff, 0xf1, 0x4c, 0x40}},
		// HE-AAC with explicit SBR: ADTS describes the 22.05 kHz LC core.
		{"HE-AAC 22.05k core stereo", []byte{0x2b, 0x92, 0x08, 0x00}, []byte{0xff, 0xf1, 0x5c, 0x80}},
		{"Main 8k 5.1", []byte{0x0d, 0xb0}, []byte{0xff, 0xf1, 0x2d, 0x80}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := NewTSWriter()
			raw := bytes.Repeat([]byte{0x5a}, 100)
			out := writeAll(t, w, []packetIn{{TrackAudio, 0, aacConfigPacket(c.asc)}, {TrackAudio, 0, aacFramePacket(raw)}})
			audio := pesOn(mustDemux(t, out), pidAudio)
			if len(audio) != 1 {
				t.Fatalf("%d audio PES", len(audio))
			}
			h := audio[0].data
			if !bytes.Equal(h[:4], c.want) {
				t.Errorf("ADTS % x, want % x", h[:4], c.want)
			}
			n := int(h[3]&3)<<11 | int(h[4])<<3 | int(h[5]>>5)
			if n != 107 || h[5]&0x1f != 0x1f || h[6] != 0xfc {
				t.Errorf("frame length %d, fullness bytes % x", n, h[5:7])
			}
		})
	}
}

func TestTSWriterLargeFramesAndCounters(t *testing.T) {
	// Frames of every size around packet boundaries, enough of them for
	// the continuity counters to wrap.
	w := NewTSWriter()
	in := []packetIn{{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)}}
	var sizes []int
	for i := range 60 {
		n := 150 + i*97
		sizes = append(sizes, n)
		in = append(in, packetIn{TrackVideo, uint32(i * 33), avcFramePacket(i%20 == 0, 0, testNAL(1, n, byte(i)))})
	}
	d := mustDemux(t, writeAll(t, w, in))
	video := pesOn(d, pidVideo)
	if len(video) != len(sizes) {
		t.Fatalf("%d PES, want %d", len(video), len(sizes))
	}
	for i, v := range video {
		units, err := annexBUnits(v.data)
		if err != nil {
			t.Fatal(err)
		}
		if last := units[len(units)-1]; len(last) != sizes[i] {
			t.Errorf("frame %d: %d bytes, want %d", i, len(last), sizes[i])
		}
		if v.pts != uint64(i*33)*90+tsDelay {
			t.Errorf("frame %d: pts %d", i, v.pts)
		}
	}
}

func TestTSWriterTablesRepeat(t *testing.T) {
	w := NewTSWriter()
	in := []packetIn{{TrackAudio, 0, aacConfigPacket(testASC)}}
	for ms := uint32(0); ms < 2000; ms += 23 {
		in = append(in, packetIn{TrackAudio, ms, aacFramePacket([]byte{1, 2, 3})})
	}
	d := mustDemux(t, writeAll(t, w, in))
	// Every 250 ms of media time: 2000/250 = 8 pairs (plus rounding).
	if n := len(d.patAt); n < 8 || n > 9 {
		t.Errorf("%d PATs in 2 s of audio", n)
	}
	if len(d.pmts) != len(d.patAt) {
		t.Errorf("%d PMTs for %d PATs", len(d.pmts), len(d.patAt))
	}
	// Audio only: PCR on audio.
	if d.pmts[0].pcrPID != pidAudio {
		t.Errorf("PCR PID %#x", d.pmts[0].pcrPID)
	}
	for _, a := range pesOn(d, pidAudio) {
		if !a.hasPCR || a.pcr+tsDelay != a.pts {
			t.Fatalf("audio PES at %d: PCR %v %d, pts %d", a.index, a.hasPCR, a.pcr, a.pts)
		}
	}

	// Keyframes bring the tables along.
	w = NewTSWriter()
	in = []packetIn{{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)}}
	for i := range 10 {
		in = append(in, packetIn{TrackVideo, uint32(i * 10), avcFramePacket(i%3 == 0, 0, testNAL(5, 50, 0))})
	}
	d = mustDemux(t, writeAll(t, w, in))
	if len(d.patAt) != 4 {
		t.Errorf("%d PATs for 4 keyframes in 100 ms", len(d.patAt))
	}
	for _, v := range pesOn(d, pidVideo) {
		if v.randomAccess != (v.index == d.patAt[0]+2 || v.index == d.patAt[1]+2 || v.index == d.patAt[2]+2 || v.index == d.patAt[3]+2) {
			t.Errorf("keyframe at packet %d does not follow PAT/PMT", v.index)
		}
	}
}

func TestTSWriterPMTUpdate(t *testing.T) {
	// Audio first; video appears later: new PMT version, PCR moves to video.
	w := NewTSWriter()
	d := mustDemux(t, writeAll(t, w, []packetIn{
		{TrackAudio, 0, aacConfigPacket(testASC)},
		{TrackAudio, 0, aacFramePacket([]byte{1})},
		{TrackVideo, 20, avcConfigPacket(testSPS, testPPS)},
		{TrackAudio, 23, aacFramePacket([]byte{2})},
		{TrackVideo, 40, avcFramePacket(true, 0, testNAL(5, 30, 0))},
		// MP3 replacing AAC (a new publisher): another version.
		{TrackAudio, 50, append([]byte{0x2f}, 0xff, 0xfb, 0x90, 0x64)},
	}))
	var versions []uint8
	for _, p := range d.pmts {
		versions = append(versions, p.version)
	}
	if len(d.pmts) != 4 || d.pmts[0].version != 0 || d.pmts[1].version != 1 || d.pmts[3].version != 2 {
		t.Fatalf("PMT versions %v", versions)
	}
	if d.pmts[0].pcrPID != pidAudio || len(d.pmts[0].streams) != 1 {
		t.Errorf("first PMT %+v", d.pmts[0])
	}
	if d.pmts[1].pcrPID != pidVideo || len(d.pmts[1].streams) != 2 {
		t.Errorf("second PMT %+v", d.pmts[1])
	}
	if got := d.pmts[3].streams[1].streamType; got != streamTypeMPEG1Audio {
		t.Errorf("MP3 stream type %#x", got)
	}
	audio := pesOn(d, pidAudio)
	if len(audio) != 3 || audio[1].hasPCR || !audio[0].hasPCR {
		t.Errorf("PCR on audio before video only")
	}
}

func TestMP3StreamType(t *testing.T) {
	for _, c := range []struct {
		header byte
		frame  []byte
		want   byte
	}{
		{0x2f, []byte{0xff, 0xfb, 0x90}, streamTypeMPEG1Audio}, // MPEG-1 layer 3
		{0x2b, []byte{0xff, 0xf3, 0x90}, streamTypeMPEG2Audio}, // MPEG-2 layer 3
		{0x2b, []byte{0xff, 0xe3, 0x90}, streamTypeMPEG2Audio}, // MPEG-2.5
		{0x2f, []byte{0x12}, streamTypeMPEG1Audio},             // no frame sync: 44 kHz
		{0x2b, []byte{0x12}, streamTypeMPEG2Audio},             // no frame sync: 22 kHz
		{0xef, []byte{0x12}, streamTypeMPEG2Audio},             // MP3 8 kHz
	} {
		if got := mp3StreamType(c.header, c.frame); got != c.want {
			t.Errorf("%#x % x: %#x, want %#x", c.header, c.frame, got, c.want)
		}
	}
}

func TestTSWriterNoOutput(t *testing.T) {
	w := NewTSWriter()
	for _, p := range []packetIn{
		{TrackVideo, 0, []byte{0x57, 0x00}},                                        // video info/command frame
		{TrackVideo, 0, []byte{0x17, avcPacketEnd, 0, 0, 0}},                       // end of sequence
		{TrackVideo, 0, avcFramePacket(true, 0)},                                   // no NAL units
		{TrackVideo, 0, avcFramePacket(true, 0, []byte{9, 0xf0})},                  // only an AUD
		{TrackVideo, 0, avcFramePacket(false, 0, []byte{}, nil)},                   // empty units
		{TrackAudio, 0, aacConfigPacket(testASC)},                                  // config
		{TrackAudio, 0, []byte{0xaf, aacPacketRaw}},                                // empty AAC frame
		{TrackAudio, 0, []byte{0x2f}},                                              // empty MP3
		{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)},                         // config
		{TrackVideo, 0, []byte{0x17, 0, 0, 0, 0, 1, 0x42, 0, 0x1e, 0xff, 0xe0, 0}}, // config without parameter sets
	} {
		out, err := w.Write(nil, p.track, p.time, p.payload)
		if err != nil || len(out) != 0 {
			t.Errorf("% x: %d bytes, %v", p.payload, len(out), err)
		}
	}
}

func TestTSWriterErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		track   Track
		payload []byte
		want    error
	}{
		{"track 0", 0, []byte{0x17, 1, 0, 0, 0}, ErrUnknownTrack},
		{"track 3", 3, []byte{0x17, 1, 0, 0, 0}, ErrUnknownTrack},
		{"empty video", TrackVideo, nil, ErrMalformed},
		{"empty audio", TrackAudio, nil, ErrMalformed},
		{"VP6", TrackVideo, []byte{0x14, 0, 0}, ErrUnsupportedCodec},
		{"Sorenson", TrackVideo, []byte{0x22, 0, 0}, ErrUnsupportedCodec},
		{"E-RTMP HEVC", TrackVideo, []byte{0x91, 'h', 'v', 'c', '1'}, ErrUnsupportedCodec},
		{"Speex", TrackAudio, []byte{0xb2, 1, 2}, ErrUnsupportedCodec},
		{"Nellymoser", TrackAudio, []byte{0x62, 1, 2}, ErrUnsupportedCodec},
		{"AAC before config", TrackAudio, []byte{0xaf, 1, 1, 2}, ErrMissingConfig},
		{"AAC packet type", TrackAudio, []byte{0xaf, 7, 1}, ErrMalformed},
		{"AAC short", TrackAudio, []byte{0xaf}, ErrMalformed},
		{"AAC config empty", TrackAudio, []byte{0xaf, 0}, ErrMalformed},
		{"AAC object type 5 no core", TrackAudio, []byte{0xaf, 0, 0x2b, 0x92}, ErrMalformed},
		{"AAC object type 42", TrackAudio, []byte{0xaf, 0, 0xf9, 0x44, 0x10}, ErrUnsupportedCodec},
		{"AAC explicit frequency", TrackAudio, []byte{0xaf, 0, 0x17, 0x80, 0xbb, 0x80, 0x10}, ErrUnsupportedCodec},
		{"AAC channel config 0", TrackAudio, []byte{0xaf, 0, 0x12, 0x00}, ErrUnsupportedCodec},
		{"AVC short", TrackVideo, []byte{0x17, 1, 0}, ErrMalformed},
		{"AVC packet type", TrackVideo, []byte{0x17, 3, 0, 0, 0}, ErrMalformed},
		{"AVC NAL overrun", TrackVideo, []byte{0x17, 1, 0, 0, 0, 0, 0, 0, 9, 0x65}, ErrMalformed},
		{"AVC NAL huge", TrackVideo, []byte{0x17, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x65}, ErrMalformed},
		{"AVC NAL length cut", TrackVideo, []byte{0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65, 0, 0}, ErrMalformed},
		{"AVC config version", TrackVideo, []byte{0x17, 0, 0, 0, 0, 2, 0x42, 0, 0x1e, 0xff, 0xe0, 0}, ErrMalformed},
		{"AVC config SPS overrun", TrackVideo, []byte{0x17, 0, 0, 0, 0, 1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 9, 0x67}, ErrMalformed},
		{"MP3 too large", TrackAudio, append([]byte{0x2f}, make([]byte, 70000)...), ErrMalformed},
		{"AAC too large", TrackAudio, nil, ErrMalformed}, // filled below
	} {
		t.Run(c.name, func(t *testing.T) {
			w := NewTSWriter()
			if c.name == "AAC too large" {
				if _, err := w.Write(nil, TrackAudio, 0, aacConfigPacket(testASC)); err != nil {
					t.Fatal(err)
				}
				c.payload = aacFramePacket(make([]byte, adtsMaxFrameLen))
			}
			dst := []byte("kept")
			out, err := w.Write(dst, c.track, 0, c.payload)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if string(out) != "kept" {
				t.Errorf("output changed on error: %q", out)
			}
		})
	}
}

func TestTSWriterErrorKeepsState(t *testing.T) {
	// A bad config does not replace a good one; a bad frame writes nothing
	// and the next good frame continues the counters.
	w := NewTSWriter()
	good := []packetIn{
		{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)},
		{TrackAudio, 0, aacConfigPacket(testASC)},
	}
	out := writeAll(t, w, good)
	for _, bad := range [][]byte{
		{0x17, 0, 0, 0, 0, 1, 0x42},
		{0x17, 1, 0, 0, 0, 0, 0, 0, 9},
	} {
		if _, err := w.Write(nil, TrackVideo, 0, bad); err == nil {
			t.Fatalf("% x accepted", bad)
		}
	}
	if _, err := w.Write(nil, TrackAudio, 0, []byte{0xaf, 0, 0xf8}); err == nil {
		t.Fatal("bad ASC accepted")
	}
	out = append(out, writeAll(t, w, []packetIn{
		{TrackVideo, 0, avcFramePacket(true, 0, testNAL(5, 100, 0))},
		{TrackAudio, 5, aacFramePacket([]byte{1, 2})},
		{TrackVideo, 40, avcFramePacket(false, 0, testNAL(1, 100, 0))},
	})...)
	d := mustDemux(t, out)
	units, _ := annexBUnits(pesOn(d, pidVideo)[0].data)
	if len(units) != 4 || !bytes.Equal(units[1], testSPS) {
		t.Errorf("keyframe after a bad config lost the parameter sets")
	}
	if a := pesOn(d, pidAudio); len(a) != 1 || a[0].data[2] != 0x50 {
		t.Errorf("ADTS after a bad ASC: % x", a[0].data[:4])
	}
}

func TestTSWriterKeyframeWithOwnParameterSets(t *testing.T) {
	sps := append([]byte{}, testSPS...)
	sps[len(sps)-1] = 0x11 // differs from the config's
	w := NewTSWriter()
	d := mustDemux(t, writeAll(t, w, []packetIn{
		{TrackVideo, 0, avcConfigPacket(testSPS, testPPS)},
		{TrackVideo, 0, avcFramePacket(true, 0, sps, testPPS, testNAL(5, 40, 0))},
	}))
	units, _ := annexBUnits(pesOn(d, pidVideo)[0].data)
	if len(units) != 4 || !bytes.Equal(units[1], sps) {
		t.Errorf("in-band parameter sets: %d units, second % x", len(units), units[1])
	}
}

func TestTSWriterTimestampWrap(t *testing.T) {
	// 2^33 ticks of 90 kHz is about 26.5 hours; media time goes beyond.
	w := NewTSWriter()
	const ms = 0xfffffff0
	d := mustDemux(t, writeAll(t, w, []packetIn{
		{TrackVideo, ms, avcFramePacket(true, -100, testNAL(5, 40, 0))},
	}))
	v := pesOn(d, pidVideo)[0]
	dts := (uint64(ms)*90 + tsDelay) & timestampMask
	if v.dts != dts || v.pts != (dts-9000)&timestampMask || v.pcr != uint64(ms)*90&timestampMask {
		t.Errorf("pts %d dts %d pcr %d", v.pts, v.dts, v.pcr)
	}
}

func TestTSPacketsStuffing(t *testing.T) {
	// Payload sizes that make the last packet need 0, 1, 2 and many bytes
	// of adaptation field, with and without PCR/random access.
	for _, n := range []int{1, 175, 176, 182, 183, 184, 185, 366, 367, 368} {
		for _, flags := range []int{0, 1, 2} {
			payload := append([]byte{0, 0, 1, 0xe0, 0, 0, 0x80, 0, 0}, bytes.Repeat([]byte{0xab}, n)...)
			p := tsPackets{pid: pidVideo, payload: payload, randomAccess: flags > 0, hasPCR: flags > 1, pcr: 12345}
			var cc uint8
			out := p.Append(nil, &cc)
			if len(out) != p.Len() || len(out)%tsPacketLen != 0 || int(cc) != p.count() {
				t.Fatalf("n=%d flags=%d: %d bytes, Len %d, %d packets", n, flags, len(out), p.Len(), cc)
			}
			var got []byte
			for i := 0; i < len(out); i += tsPacketLen {
				pkt := out[i : i+tsPacketLen]
				body := pkt[4:]
				if pkt[3]&0x20 != 0 {
					body = body[1+int(body[0]):]
				}
				got = append(got, body...)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("n=%d flags=%d: payload not preserved", n, flags)
			}
		}
	}
}
