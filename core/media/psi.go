package media

// Program specific information: the PAT and PMT sections (ISO 13818-1
// §2.4.4), one program, each section in a single TS packet.

const (
	tableIDPAT = 0x00
	tableIDPMT = 0x02

	programNumber     = 1
	transportStreamID = 1
)

// Stream types of the PMT (ISO 13818-1 Table 2-34).
const (
	streamTypeMPEG1Audio = 0x03 // MP3 at 32, 44.1 or 48 kHz
	streamTypeMPEG2Audio = 0x04 // MP3 at the lower MPEG-2/2.5 rates
	streamTypeAACADTS    = 0x0f
	streamTypeH264       = 0x1b
)

// pmtStream is one elementary stream of the program.
type pmtStream struct {
	streamType byte
	pid        uint16
}

// patSection lists the one program and where its PMT is.
type patSection struct {
	pmtPID uint16
}

// Len is the section size, CRC included.
func (p patSection) Len() int { return 3 + 5 + 4 + 4 }

func (p patSection) Append(b []byte) []byte {
	start := len(b)
	b = appendSectionHeader(b, tableIDPAT, p.Len(), transportStreamID, 0)
	b = append(b, programNumber>>8, programNumber&0xff, 0xe0|byte(p.pmtPID>>8), byte(p.pmtPID))
	return appendCRC(b, start)
}

// pmtSection describes the program: its PCR PID and streams (at most
// two here, kept in an array so that encoding does not allocate).
type pmtSection struct {
	version uint8
	pcrPID  uint16
	streams [2]pmtStream
	count   int
}

func (p pmtSection) Len() int { return 3 + 5 + 4 + 5*p.count + 4 }

func (p pmtSection) Append(b []byte) []byte {
	start := len(b)
	b = appendSectionHeader(b, tableIDPMT, p.Len(), programNumber, p.version)
	b = append(b, 0xe0|byte(p.pcrPID>>8), byte(p.pcrPID), 0xf0, 0) // no program descriptors
	for _, s := range p.streams[:p.count] {
		b = append(b, s.streamType, 0xe0|byte(s.pid>>8), byte(s.pid), 0xf0, 0)
	}
	return appendCRC(b, start)
}

// appendSectionHeader writes the long-form section header up to
// last_section_number; total is the whole section size.
func appendSectionHeader(b []byte, tableID byte, total int, idExt uint16, version uint8) []byte {
	n := total - 3 // section_length counts the bytes after itself
	return append(b, tableID,
		0xb0|byte(n>>8), byte(n), // syntax indicator, '0', reserved
		byte(idExt>>8), byte(idExt),
		0xc1|(version&0x1f)<<1, // reserved, version, current_next_indicator
		0, 0)                   // section_number, last_section_number
}

// appendCRC appends the CRC-32/MPEG-2 of b[start:].
func appendCRC(b []byte, start int) []byte {
	c := crc32MPEG(b[start:])
	return append(b, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
}

// crcTable is the MSB-first table of polynomial 0x04c11db7 (hash/crc32
// only offers the reflected form).
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

func crc32MPEG(b []byte) uint32 {
	c := uint32(0xffffffff)
	for _, x := range b {
		c = c<<8 ^ crcTable[byte(c>>24)^x]
	}
	return c
}
