package media

import (
	"bytes"
	"fmt"
)

// A small MPEG-TS demuxer for the tests: it checks what a reader relies on
// (sync bytes, continuity counters, PSI CRCs, PES framing) and returns the
// tables and the reassembled PES packets.

type demuxedPES struct {
	pid          uint16
	streamID     byte
	pts, dts     uint64
	hasDTS       bool
	lengthField  int
	data         []byte // elementary stream bytes
	randomAccess bool
	hasPCR       bool
	pcr          uint64
	index        int // position in the stream, in TS packets
}

type demuxedPMT struct {
	version uint8
	pcrPID  uint16
	streams []pmtStream
	index   int
}

type demuxed struct {
	packets int
	patPMT  []uint16 // PMT PID of each PAT seen
	patAt   []int    // packet index of each PAT
	pmts    []demuxedPMT
	pes     []demuxedPES
}

func demux(ts []byte) (*demuxed, error) {
	if len(ts)%tsPacketLen != 0 {
		return nil, fmt.Errorf("length %d is not a multiple of 188", len(ts))
	}
	d := &demuxed{}
	cc := map[uint16]uint8{}
	open := map[uint16]*demuxedPES{}
	finish := func(pid uint16) error {
		p := open[pid]
		if p == nil {
			return nil
		}
		delete(open, pid)
		if err := parsePESHeader(p); err != nil {
			return fmt.Errorf("PES on %#x at packet %d: %w", pid, p.index, err)
		}
		d.pes = append(d.pes, *p)
		return nil
	}
	for i := 0; i < len(ts); i += tsPacketLen {
		pkt := ts[i : i+tsPacketLen]
		idx := i / tsPacketLen
		d.packets++
		if pkt[0] != tsSync {
			return nil, fmt.Errorf("packet %d: sync byte %#x", idx, pkt[0])
		}
		start := pkt[1]&0x40 != 0
		pid := uint16(pkt[1]&0x1f)<<8 | uint16(pkt[2])
		control := pkt[3] >> 4 & 3
		counter := pkt[3] & 0x0f
		if control&1 == 0 {
			return nil, fmt.Errorf("packet %d: no payload (control %d)", idx, control)
		}
		if last, ok := cc[pid]; ok && counter != (last+1)&0x0f {
			return nil, fmt.Errorf("packet %d pid %#x: continuity counter %d after %d", idx, pid, counter, last)
		}
		cc[pid] = counter
		body := pkt[4:]
		var ra, hasPCR bool
		var pcr uint64
		if control&2 != 0 {
			n := int(body[0])
			if n > 183 {
				return nil, fmt.Errorf("packet %d: adaptation field length %d", idx, n)
			}
			field := body[1 : 1+n]
			body = body[1+n:]
			if n > 0 {
				flags := field[0]
				ra = flags&afRandomAccess != 0
				rest := field[1:]
				if flags&afPCR != 0 {
					if len(rest) < 6 {
						return nil, fmt.Errorf("packet %d: short PCR", idx)
					}
					pcr = uint64(rest[0])<<25 | uint64(rest[1])<<17 | uint64(rest[2])<<9 | uint64(rest[3])<<1 | uint64(rest[4]>>7)
					hasPCR = true
					rest = rest[6:]
				}
				if flags&^(afRandomAccess|afPCR) != 0 {
					return nil, fmt.Errorf("packet %d: unexpected adaptation flags %#x", idx, flags)
				}
				for _, c := range rest {
					if c != 0xff {
						return nil, fmt.Errorf("packet %d: stuffing byte %#x", idx, c)
					}
				}
			}
		}
		switch {
		case pid == pidPAT || (len(d.patPMT) > 0 && pid == d.patPMT[len(d.patPMT)-1]):
			if !start || body[0] != 0 {
				return nil, fmt.Errorf("packet %d: PSI without unit start and pointer 0", idx)
			}
			sec, err := checkSection(body[1:])
			if err != nil {
				return nil, fmt.Errorf("packet %d: %w", idx, err)
			}
			if pid == pidPAT {
				pmt, err := parsePATSection(sec)
				if err != nil {
					return nil, fmt.Errorf("packet %d: %w", idx, err)
				}
				d.patPMT = append(d.patPMT, pmt)
				d.patAt = append(d.patAt, idx)
			} else {
				pmt, err := parsePMTSection(sec)
				if err != nil {
					return nil, fmt.Errorf("packet %d: %w", idx, err)
				}
				pmt.index = idx
				d.pmts = append(d.pmts, pmt)
			}
		default:
			if len(d.pmts) == 0 {
				return nil, fmt.Errorf("packet %d: pid %#x before any PMT", idx, pid)
			}
			if start {
				if err := finish(pid); err != nil {
					return nil, err
				}
				open[pid] = &demuxedPES{pid: pid, randomAccess: ra, hasPCR: hasPCR, pcr: pcr, index: idx}
			} else if open[pid] == nil {
				return nil, fmt.Errorf("packet %d pid %#x: continuation without a start", idx, pid)
			} else if ra || hasPCR {
				return nil, fmt.Errorf("packet %d pid %#x: adaptation flags on a continuation", idx, pid)
			}
			open[pid].data = append(open[pid].data, body...)
		}
	}
	// Flush in PID order for determinism; tests look PES up by pid.
	for _, pid := range []uint16{pidVideo, pidAudio} {
		if err := finish(pid); err != nil {
			return nil, err
		}
	}
	if len(open) > 0 {
		return nil, fmt.Errorf("unexpected PIDs %v", open)
	}
	return d, nil
}

// checkSection verifies a long-form section's length and CRC and returns
// it without padding.
func checkSection(b []byte) ([]byte, error) {
	if len(b) < 3 {
		return nil, fmt.Errorf("section: truncated")
	}
	n := int(b[1]&0x0f)<<8 | int(b[2])
	if b[1]&0xb0 != 0xb0 || n < 9 || 3+n > len(b) {
		return nil, fmt.Errorf("section: bad header % x", b[:3])
	}
	sec := b[:3+n]
	for _, c := range b[3+n:] {
		if c != 0xff {
			return nil, fmt.Errorf("section: padding byte %#x", c)
		}
	}
	if crc32MPEG(sec) != 0 { // the CRC makes the whole section's CRC zero
		return nil, fmt.Errorf("section: CRC mismatch")
	}
	if sec[5]&1 == 0 || sec[6] != 0 || sec[7] != 0 {
		return nil, fmt.Errorf("section: not current or not single")
	}
	return sec[:len(sec)-4], nil
}

func parsePATSection(sec []byte) (uint16, error) {
	if sec[0] != tableIDPAT || len(sec) != 12 {
		return 0, fmt.Errorf("PAT: table %#x of %d bytes", sec[0], len(sec))
	}
	if prog := int(sec[8])<<8 | int(sec[9]); prog != programNumber {
		return 0, fmt.Errorf("PAT: program %d", prog)
	}
	return uint16(sec[10]&0x1f)<<8 | uint16(sec[11]), nil
}

func parsePMTSection(sec []byte) (demuxedPMT, error) {
	if sec[0] != tableIDPMT || len(sec) < 12 {
		return demuxedPMT{}, fmt.Errorf("PMT: table %#x of %d bytes", sec[0], len(sec))
	}
	p := demuxedPMT{version: sec[5] >> 1 & 0x1f, pcrPID: uint16(sec[8]&0x1f)<<8 | uint16(sec[9])}
	info := int(sec[10]&0x0f)<<8 | int(sec[11])
	rest := sec[12:]
	if info > len(rest) {
		return demuxedPMT{}, fmt.Errorf("PMT: program info length %d", info)
	}
	rest = rest[info:]
	for len(rest) > 0 {
		if len(rest) < 5 {
			return demuxedPMT{}, fmt.Errorf("PMT: truncated stream entry")
		}
		p.streams = append(p.streams, pmtStream{rest[0], uint16(rest[1]&0x1f)<<8 | uint16(rest[2])})
		n := int(rest[3]&0x0f)<<8 | int(rest[4])
		if 5+n > len(rest) {
			return demuxedPMT{}, fmt.Errorf("PMT: ES info length %d", n)
		}
		rest = rest[5+n:]
	}
	return p, nil
}

// parsePESHeader splits p.data into header fields and elementary stream.
func parsePESHeader(p *demuxedPES) error {
	b := p.data
	if len(b) < 9 || !bytes.Equal(b[:3], []byte{0, 0, 1}) {
		return fmt.Errorf("no PES start code")
	}
	p.streamID = b[3]
	p.lengthField = int(b[4])<<8 | int(b[5])
	hl := int(b[8])
	if b[6]&0xc0 != 0x80 || 9+hl > len(b) {
		return fmt.Errorf("bad PES header")
	}
	flags := b[7] >> 6
	opt := b[9 : 9+hl]
	readTS := func(b []byte, prefix byte) (uint64, error) {
		if len(b) < 5 || b[0]>>4 != prefix || b[0]&1 == 0 || b[2]&1 == 0 || b[4]&1 == 0 {
			return 0, fmt.Errorf("bad timestamp % x (prefix %d)", b, prefix)
		}
		return uint64(b[0]>>1&7)<<30 | uint64(b[1])<<22 | uint64(b[2]>>1)<<15 | uint64(b[3])<<7 | uint64(b[4]>>1), nil
	}
	var err error
	switch flags {
	case 2:
		p.pts, err = readTS(opt, 2)
	case 3:
		p.hasDTS = true
		if p.pts, err = readTS(opt, 3); err == nil {
			p.dts, err = readTS(opt[5:], 1)
		}
	default:
		err = fmt.Errorf("PTS_DTS_flags %d", flags)
	}
	if err != nil {
		return err
	}
	if p.lengthField != 0 && p.lengthField != len(b)-6 {
		return fmt.Errorf("PES_packet_length %d for %d bytes", p.lengthField, len(b)-6)
	}
	p.data = b[9+hl:]
	return nil
}

// annexBUnits splits an Annex B stream on 4-byte start codes.
func annexBUnits(es []byte) ([][]byte, error) {
	if !bytes.HasPrefix(es, startCode[:]) {
		return nil, fmt.Errorf("stream does not start with a start code: % x", es[:min(8, len(es))])
	}
	var units [][]byte
	for _, u := range bytes.Split(es[4:], startCode[:]) {
		units = append(units, u)
	}
	return units, nil
}
