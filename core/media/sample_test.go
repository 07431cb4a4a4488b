package media

import (
	"bytes"
	"os"
	"testing"
)

// The testdata files were made by ffmpeg (testsrc 128x96 at 10 fps, x264
// with B-frames and a keyframe every 10 frames; a 440 Hz sine in AAC LC
// 44.1 kHz mono, or MP3 22.05 kHz mono), so that the writers see what a
// real encoder publishes.

type flvFile struct {
	raw  []byte     // tags as read, script data excluded
	pkts []packetIn // audio and video tags
}

func readFLVFile(t *testing.T, name string) flvFile {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("FLV\x01")) || len(b) < 13 {
		t.Fatalf("%s: not an FLV file", name)
	}
	var f flvFile
	for rest := b[13:]; len(rest) > 0; {
		tag, n, err := parseFLVTag(rest)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch tag.kind {
		case flvTagAudio:
			f.pkts = append(f.pkts, packetIn{TrackAudio, tag.time, tag.body})
			f.raw = append(f.raw, rest[:n]...)
		case flvTagVideo:
			f.pkts = append(f.pkts, packetIn{TrackVideo, tag.time, tag.body})
			f.raw = append(f.raw, rest[:n]...)
		}
		rest = rest[n:]
	}
	return f
}

func TestFLVWriterRealStream(t *testing.T) {
	f := readFLVFile(t, "testdata/h264_aac.flv")
	out := writeAll(t, NewFLVWriter(), f.pkts)
	if !bytes.Equal(out[13:], f.raw) {
		t.Error("tags differ from the encoder's")
	}
}

func TestTSWriterRealStream(t *testing.T) {
	for _, c := range []struct {
		file      string
		audioType byte
	}{
		{"testdata/h264_aac.flv", streamTypeAACADTS},
		{"testdata/h264_mp3.flv", streamTypeMPEG2Audio},
	} {
		t.Run(c.file, func(t *testing.T) {
			f := readFLVFile(t, c.file)
			d := mustDemux(t, writeAll(t, NewTSWriter(), f.pkts))
			if last := d.pmts[len(d.pmts)-1]; len(last.streams) != 2 || last.streams[1].streamType != c.audioType {
				t.Errorf("PMT %+v", last)
			}

			var frames, audio []packetIn
			var cfg avcConfig
			for _, p := range f.pkts {
				switch {
				case p.track == TrackVideo && p.payload[1] == avcPacketConfig:
					cfg, _, _ = parseAVCConfig(p.payload[5:])
				case p.track == TrackVideo && p.payload[1] == avcPacketNALU:
					frames = append(frames, p)
				case p.track == TrackVideo: // end of sequence
				case p.payload[0]>>4 != flvSoundAAC || p.payload[1] == aacPacketRaw:
					audio = append(audio, p)
				}
			}
			video := pesOn(d, pidVideo)
			if len(video) != len(frames) || len(pesOn(d, pidAudio)) != len(audio) {
				t.Fatalf("%d video and %d audio PES for %d and %d frames", len(video), len(pesOn(d, pidAudio)), len(frames), len(audio))
			}
			bframes := 0
			for i, v := range video {
				p := frames[i].payload
				cts := int64(int32(uint32(p[2])<<24|uint32(p[3])<<16|uint32(p[4])<<8) >> 8)
				if cts != 0 {
					bframes++
				}
				if v.dts+uint64(cts*90) != v.pts && !(cts == 0 && !v.hasDTS) {
					t.Errorf("frame %d: pts %d dts %d, cts %d", i, v.pts, v.dts, cts)
				}
				units, err := annexBUnits(v.data)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if !bytes.Equal(units[0], audNAL[:]) {
					t.Errorf("frame %d does not start with an AUD", i)
				}
				key := p[0]>>4 == flvFrameKey
				if key != v.randomAccess {
					t.Errorf("frame %d: random access %v", i, v.randomAccess)
				}
				if key && (!bytes.Equal(units[1], cfg.params[0]) || !bytes.Equal(units[2], cfg.params[1]) || units[len(units)-1][0]&0x1f != nalTypeIDR) {
					t.Errorf("keyframe %d: not AUD, SPS, PPS ... IDR", i)
				}
			}
			if c.audioType == streamTypeAACADTS && bframes == 0 {
				t.Error("the AAC sample was meant to have B-frames")
			}
		})
	}
}
