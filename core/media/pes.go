package media

// PES packet header (ISO 13818-1 §2.4.3.6) with PTS and optional DTS.

const (
	streamIDAudio = 0xc0 // first MPEG audio stream
	streamIDVideo = 0xe0 // first video stream

	timestampMask = 1<<33 - 1 // PTS, DTS and PCR base are 33-bit, 90 kHz
)

type pesHeader struct {
	streamID byte
	pts, dts uint64
	hasDTS   bool
	// payloadLen is the number of bytes after the header; 0 or too many
	// for 16 bits writes PES_packet_length 0 (unbounded: video only).
	payloadLen int
}

func (h pesHeader) dataLen() int {
	if h.hasDTS {
		return 10
	}
	return 5
}

func (h pesHeader) Len() int { return 9 + h.dataLen() }

// packetLen is the PES_packet_length field: the bytes after it.
func (h pesHeader) packetLen() int {
	n := 3 + h.dataLen() + h.payloadLen
	if h.payloadLen == 0 || n > 0xffff {
		return 0
	}
	return n
}

func (h pesHeader) Append(b []byte) []byte {
	n := h.packetLen()
	flags, prefix := byte(0x80), byte(0x2) // PTS only
	if h.hasDTS {
		flags, prefix = 0xc0, 0x3
	}
	b = append(b, 0, 0, 1, h.streamID, byte(n>>8), byte(n),
		0x84, // '10', data_alignment_indicator: the payload starts an access unit
		flags, byte(h.dataLen()))
	b = appendTimestamp(b, prefix, h.pts)
	if h.hasDTS {
		b = appendTimestamp(b, 0x1, h.dts)
	}
	return b
}

// appendTimestamp writes a 33-bit 90 kHz time in the 5-byte PES form,
// with marker bits, after the 4-bit prefix.
func appendTimestamp(b []byte, prefix byte, t uint64) []byte {
	t &= timestampMask
	return append(b,
		prefix<<4|byte(t>>29)&0x0e|1,
		byte(t>>22),
		byte(t>>14)|1,
		byte(t>>7),
		byte(t<<1)|1)
}
