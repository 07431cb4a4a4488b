package media

import "fmt"

// H.264 NAL unit types used here (ISO 14496-10 Table 7-1).
const (
	nalTypeIDR = 5
	nalTypeSPS = 7
	nalTypePPS = 8
	nalTypeAUD = 9
)

// avcConfig is the part of an AVCDecoderConfigurationRecord (ISO 14496-15
// §5.2.4.1) a TS writer needs: the NAL length size of the frames that
// follow and the parameter sets. params point into the parsed buffer.
type avcConfig struct {
	lengthSize int
	params     [][]byte // SPS then PPS, as listed
}

// parseAVCConfig reads an AVCDecoderConfigurationRecord up to its last
// picture parameter set (profile-specific trailing fields are ignored) and
// returns the bytes read.
func parseAVCConfig(b []byte) (avcConfig, int, error) {
	if len(b) < 6 {
		return avcConfig{}, 0, fmt.Errorf("avc: config record: truncated header: %w", ErrMalformed)
	}
	if b[0] != 1 {
		return avcConfig{}, 0, fmt.Errorf("avc: config record: version %d: %w", b[0], ErrMalformed)
	}
	cfg := avcConfig{lengthSize: int(b[4]&3) + 1}
	off := 5
	for list, countMask := range [2]byte{0x1f, 0xff} {
		if off >= len(b) {
			return avcConfig{}, 0, fmt.Errorf("avc: config record: truncated parameter set count: %w", ErrMalformed)
		}
		count := int(b[off] & countMask)
		off++
		for i := range count {
			if len(b)-off < 2 {
				return avcConfig{}, 0, fmt.Errorf("avc: config record: parameter set %d.%d: truncated length: %w", list, i, ErrMalformed)
			}
			n := int(b[off])<<8 | int(b[off+1])
			off += 2
			if n == 0 || len(b)-off < n {
				return avcConfig{}, 0, fmt.Errorf("avc: config record: parameter set %d.%d: length %d of %d bytes left: %w", list, i, n, len(b)-off, ErrMalformed)
			}
			cfg.params = append(cfg.params, b[off:off+n])
			off += n
		}
	}
	return cfg, off, nil
}

// parseNALUnit reads one length-prefixed NAL unit (AVCC form) and returns
// it with the bytes read. A zero length yields an empty unit.
func parseNALUnit(b []byte, lengthSize int) ([]byte, int, error) {
	if len(b) < lengthSize {
		return nil, 0, fmt.Errorf("avc: NAL unit: truncated length: %w", ErrMalformed)
	}
	n := 0
	for _, c := range b[:lengthSize] {
		n = n<<8 | int(c)
	}
	b = b[lengthSize:]
	if n > len(b) {
		return nil, 0, fmt.Errorf("avc: NAL unit: length %d of %d bytes left: %w", n, len(b), ErrMalformed)
	}
	return b[:n], lengthSize + n, nil
}

// startCode precedes every NAL unit in Annex B form.
var startCode = [4]byte{0, 0, 0, 1}

// audNAL is an access unit delimiter, primary_pic_type 7 (any slice type).
var audNAL = [2]byte{nalTypeAUD, 0xf0}

func appendAnnexB(b, nal []byte) []byte {
	b = append(b, startCode[:]...)
	return append(b, nal...)
}
