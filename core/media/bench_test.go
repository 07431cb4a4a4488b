package media

import "testing"

// BenchmarkTSWriterVideo writes 1,200-byte H.264 frames (a keyframe every
// 30) into a reused buffer.
func BenchmarkTSWriterVideo(b *testing.B) {
	w := NewTSWriter()
	dst, err := w.Write(nil, TrackVideo, 0, avcConfigPacket(testSPS, testPPS))
	if err != nil {
		b.Fatal(err)
	}
	// Two units of 1,200 bytes in total, as a frame with an SEI.
	key := avcFramePacket(true, 0, testNAL(6, 20, 0), testNAL(5, 1200-20-2*4-5, 1))
	inter := avcFramePacket(false, 40, testNAL(6, 20, 0), testNAL(1, 1200-20-2*4-5, 2))
	b.SetBytes(int64(len(inter)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := inter
		if i%30 == 0 {
			p = key
		}
		if dst, err = w.Write(dst[:0], TrackVideo, uint32(i*33), p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTSWriterAudio writes 300-byte AAC frames.
func BenchmarkTSWriterAudio(b *testing.B) {
	w := NewTSWriter()
	dst, _ := w.Write(nil, TrackAudio, 0, aacConfigPacket(testASC))
	frame := aacFramePacket(make([]byte, 298))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var err error
		if dst, err = w.Write(dst[:0], TrackAudio, uint32(i*23), frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFLVWriter writes 1,200-byte video tags.
func BenchmarkFLVWriter(b *testing.B) {
	w := NewFLVWriter()
	frame := avcFramePacket(false, 0, testNAL(1, 1200-9, 0))
	var dst []byte
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var err error
		if dst, err = w.Write(dst[:0], TrackVideo, uint32(i*33), frame); err != nil {
			b.Fatal(err)
		}
	}
}
