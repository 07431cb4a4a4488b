package media

import "fmt"

// aacConfig is what an ADTS header needs from an AudioSpecificConfig
// (ISO 14496-3 §1.6.2.1).
type aacConfig struct {
	objectType  uint8 // audio object type of the core coder: 1..4 fit ADTS
	freqIndex   uint8 // sampling frequency index, 0..12
	channelConf uint8 // channel configuration, 1..7
}

// Audio object types that signal SBR/PS explicitly: the core object type
// follows the extension sampling frequency.
const (
	aacObjectSBR = 5
	aacObjectPS  = 29
)

// bitReader reads big-endian bit fields; reading past the end sets err.
type bitReader struct {
	b   []byte
	pos int // in bits
	err bool
}

func (r *bitReader) read(n int) uint32 {
	var v uint32
	for range n {
		i := r.pos >> 3
		if i >= len(r.b) {
			r.err = true
			return 0
		}
		v = v<<1 | uint32(r.b[i]>>(7-r.pos&7))&1
		r.pos++
	}
	return v
}

// consumed is the number of whole bytes the fields read so far touch.
func (r *bitReader) consumed() int { return (r.pos + 7) >> 3 }

func (r *bitReader) objectType() uint32 {
	t := r.read(5)
	if t == 31 {
		t = 32 + r.read(6)
	}
	return t
}

func (r *bitReader) frequencyIndex() (uint32, bool) {
	i := r.read(4)
	if i == 0xf {
		r.read(24) // explicit frequency: ADTS has no way to say it
		return i, false
	}
	return i, true
}

// parseAudioSpecificConfig reads the fields an ADTS header carries from
// the start of an AudioSpecificConfig; the rest of the config (GASpecific
// and extension data) is not needed and not read. It returns the bytes
// read.
func parseAudioSpecificConfig(b []byte) (aacConfig, int, error) {
	r := bitReader{b: b}
	obj := r.objectType()
	freq, freqOK := r.frequencyIndex()
	ch := r.read(4)
	if obj == aacObjectSBR || obj == aacObjectPS {
		// Explicit hierarchical signalling: ADTS describes the core
		// stream, decoders find SBR/PS implicitly.
		r.frequencyIndex()
		obj = r.objectType()
	}
	if r.err {
		return aacConfig{}, 0, fmt.Errorf("aac: AudioSpecificConfig: truncated: %w", ErrMalformed)
	}
	switch {
	case obj < 1 || obj > 4:
		// ADTS has a 2-bit profile: Main, LC, SSR, LTP only.
		return aacConfig{}, 0, fmt.Errorf("aac: audio object type %d cannot be framed in ADTS: %w", obj, ErrUnsupportedCodec)
	case !freqOK || freq > 12:
		return aacConfig{}, 0, fmt.Errorf("aac: sampling frequency index %d: %w", freq, ErrUnsupportedCodec)
	case ch < 1 || ch > 7:
		// 0 means a program config element, which ADTS would need in
		// every frame.
		return aacConfig{}, 0, fmt.Errorf("aac: channel configuration %d: %w", ch, ErrUnsupportedCodec)
	}
	return aacConfig{objectType: uint8(obj), freqIndex: uint8(freq), channelConf: uint8(ch)}, r.consumed(), nil
}

// ADTS header without CRC (ISO 14496-3 §1.A.2.2).
const (
	adtsHeaderLen   = 7
	adtsMaxFrameLen = 1<<13 - 1 // 13-bit aac_frame_length, header included
)

// adtsHeader frames one raw AAC frame of payloadLen bytes.
type adtsHeader struct {
	cfg        aacConfig
	payloadLen int
}

func (h adtsHeader) Len() int { return adtsHeaderLen }

func (h adtsHeader) Append(b []byte) []byte {
	n := h.payloadLen + adtsHeaderLen
	profile := h.cfg.objectType - 1
	return append(b,
		0xff,
		0xf1, // sync end, MPEG-4, layer 0, no CRC
		profile<<6|h.cfg.freqIndex<<2|h.cfg.channelConf>>2,
		h.cfg.channelConf<<6|byte(n>>11),
		byte(n>>3),
		byte(n)<<5|0x1f, // buffer fullness 0x7ff: variable rate
		0xfc,            // rest of fullness, one raw data block
	)
}
