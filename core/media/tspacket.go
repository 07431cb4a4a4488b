package media

import "slices"

// Transport stream packets (ISO 13818-1 §2.4.3.2).

const (
	tsPacketLen  = 188
	tsHeaderLen  = 4
	tsPayloadMax = tsPacketLen - tsHeaderLen
	tsSync       = 0x47

	pidPAT   = 0x0000
	pidPMT   = 0x1000
	pidVideo = 0x0100
	pidAudio = 0x0101

	// Adaptation field flags.
	afRandomAccess = 0x40
	afPCR          = 0x10
	pcrLen         = 6
)

// tsPackets splits one unit (a PES packet or a PSI section with its
// pointer field) into TS packets of pid. The first packet carries
// payload_unit_start and the optional random access indicator and PCR;
// the last is padded with adaptation field stuffing.
type tsPackets struct {
	pid          uint16
	payload      []byte
	randomAccess bool
	hasPCR       bool
	pcr          uint64 // 90 kHz base; the 27 MHz extension is 0
}

// count is the number of TS packets the unit needs.
func (p tsPackets) count() int {
	n, first := 1, tsPayloadMax-p.firstFieldLen()
	if rest := len(p.payload) - first; rest > 0 {
		n += (rest + tsPayloadMax - 1) / tsPayloadMax
	}
	return n
}

// firstFieldLen is the size of the first packet's adaptation field when it
// carries flags (stuffing aside).
func (p tsPackets) firstFieldLen() int {
	switch {
	case p.hasPCR:
		return 2 + pcrLen
	case p.randomAccess:
		return 2
	}
	return 0
}

func (p tsPackets) Len() int { return p.count() * tsPacketLen }

// Append writes the packets, advancing *cc, the pid's continuity counter.
func (p tsPackets) Append(b []byte, cc *uint8) []byte {
	b = slices.Grow(b, p.Len())
	rest := p.payload
	for first := true; first || len(rest) > 0; first = false {
		fieldMin := 0
		if first {
			fieldMin = p.firstFieldLen()
		}
		n := min(len(rest), tsPayloadMax-fieldMin)
		field := tsPayloadMax - n // adaptation field size, stuffing included

		control := byte(0x10) // payload only
		if field > 0 {
			control = 0x30 // adaptation field and payload
		}
		start := byte(0)
		if first {
			start = 0x40
		}
		b = append(b, tsSync, start|byte(p.pid>>8)&0x1f, byte(p.pid), control|*cc&0x0f)
		*cc++

		if field > 0 {
			b = append(b, byte(field-1)) // adaptation_field_length
			if field > 1 {
				flags := byte(0)
				if first && p.randomAccess {
					flags |= afRandomAccess
				}
				if first && p.hasPCR {
					flags |= afPCR
				}
				b = append(b, flags)
				used := 2
				if flags&afPCR != 0 {
					b = appendPCR(b, p.pcr)
					used += pcrLen
				}
				b = append(b, stuffing[:field-used]...)
			}
		}
		b = append(b, rest[:n]...)
		rest = rest[n:]
	}
	return b
}

// stuffing fills adaptation fields.
var stuffing = func() (s [tsPayloadMax]byte) {
	for i := range s {
		s[i] = 0xff
	}
	return s
}()

// appendPCR writes program_clock_reference: 33-bit base, 6 reserved bits,
// 9-bit extension (0).
func appendPCR(b []byte, base uint64) []byte {
	base &= timestampMask
	return append(b, byte(base>>25), byte(base>>17), byte(base>>9), byte(base>>1),
		byte(base<<7)|0x7e, 0)
}
