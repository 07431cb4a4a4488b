package media

import "encoding/binary"

// Builders of FLV tag bodies as publishers send them.

var (
	testSPS = []byte{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x01, 0x40, 0x7b, 0x20}
	testPPS = []byte{0x68, 0xce, 0x3c, 0x80}
	// AAC LC, 44.1 kHz (index 4), stereo.
	testASC = []byte{0x12, 0x10}
)

func avcConfigPacket(sps, pps []byte) []byte {
	b := []byte{0x17, avcPacketConfig, 0, 0, 0,
		1, sps[1], sps[2], sps[3], 0xff, 0xe1} // version, profile, compat, level, length size 4, 1 SPS
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	return append(b, pps...)
}

func avcFramePacket(key bool, cts int32, nals ...[]byte) []byte {
	h := byte(0x27)
	if key {
		h = 0x17
	}
	b := []byte{h, avcPacketNALU, byte(cts >> 16), byte(cts >> 8), byte(cts)}
	for _, n := range nals {
		b = binary.BigEndian.AppendUint32(b, uint32(len(n)))
		b = append(b, n...)
	}
	return b
}

// testNAL returns a NAL unit of type typ and size n whose bytes never form
// a start code.
func testNAL(typ byte, n int, seed byte) []byte {
	b := make([]byte, n)
	b[0] = 0x60 | typ
	for i := 1; i < n; i++ {
		b[i] = byte(i)*7 + seed | 0x01
	}
	return b
}

func aacConfigPacket(asc []byte) []byte { return append([]byte{0xaf, aacPacketConfig}, asc...) }

func aacFramePacket(raw []byte) []byte { return append([]byte{0xaf, aacPacketRaw}, raw...) }
