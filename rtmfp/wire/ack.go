package wire

import "math"

// SeqRange is an inclusive range of received sequence numbers.
type SeqRange struct {
	From, To uint64
}

// Ack is the common decoded form of both acknowledgement chunks, and the
// Ack Ranges chunk (0x51) itself: VLU(flow ID) ‖ VLU(buffer blocks) ‖
// VLU(cumulative ack) ‖ (VLU(holes − 1) ‖ VLU(received − 1))*.
//
// Received lists the sequence numbers received beyond CumAck, ascending:
// each range starts at least two past the end of the previous one (or
// CumAck), since the sequence number right after a received run is missing.
type Ack struct {
	FlowID uint64
	// BufferBlocks is the receive window in 1024-byte blocks. Never send 0
	// to Cumulus-lineage peers.
	BufferBlocks uint64
	CumAck       uint64
	Received     []SeqRange
}

// ParseAckRanges decodes an Ack Ranges chunk value, appending the ranges to
// dst[:0] so callers can reuse one slice (nil is fine). At most one range is
// added per two input bytes.
func ParseAckRanges(b []byte, dst []SeqRange) (Ack, int, error) {
	a, n, err := parseAckHead(b, "ack ranges")
	if err != nil {
		return Ack{}, 0, err
	}
	ranges := dst[:0]
	cursor := a.CumAck
	for n < len(b) {
		holes, m, err := readVLUPart(b[n:], "ack ranges: holes")
		if err != nil {
			return Ack{}, 0, err
		}
		n += m
		received, m, err := readVLUPart(b[n:], "ack ranges: received")
		if err != nil {
			return Ack{}, 0, err
		}
		n += m
		// from = cursor + holes + 2, to = from + received, without wrapping.
		if holes > math.MaxUint64-2 || cursor > math.MaxUint64-2-holes {
			return Ack{}, 0, errPart("ack ranges: range start", ErrMalformed)
		}
		from := cursor + holes + 2
		if received > math.MaxUint64-from {
			return Ack{}, 0, errPart("ack ranges: range end", ErrMalformed)
		}
		to := from + received
		ranges = append(ranges, SeqRange{From: from, To: to})
		cursor = to
	}
	a.Received = ranges
	return a, n, nil
}

func parseAckHead(b []byte, name string) (Ack, int, error) {
	var a Ack
	var fields = [3]*uint64{&a.FlowID, &a.BufferBlocks, &a.CumAck}
	n := 0
	for i, f := range fields {
		v, m, err := ReadVLU(b[n:])
		if err != nil {
			// Names are built only on failure: this is a hot path.
			return Ack{}, 0, errPart(name+": "+ackHeadParts[i], err)
		}
		*f = v
		n += m
	}
	return a, n, nil
}

var ackHeadParts = [3]string{"flow id", "buffer blocks", "cumulative ack"}

// ChunkType implements ChunkValue.
func (Ack) ChunkType() ChunkType { return ChunkAckRanges }

func (a Ack) headLen() int {
	return VLULen(a.FlowID) + VLULen(a.BufferBlocks) + VLULen(a.CumAck)
}

// validRange reports whether r can follow cursor in the encoding, and its
// encoded pair length.
func validRange(cursor uint64, r SeqRange) (int, bool) {
	if cursor > math.MaxUint64-2 || r.From < cursor+2 || r.To < r.From {
		return 0, false
	}
	return VLULen(r.From-cursor-2) + VLULen(r.To-r.From), true
}

// Len implements ChunkValue: the length Append produces.
func (a Ack) Len() int {
	size, _, _, _ := a.plan(math.MaxInt)
	return size
}

// plan decides how many leading ranges fit in budget bytes (header
// included) and within the 16-bit chunk length. It returns the chunk size,
// the index of the last range written, the number of ranges written, and
// whether even the range-less chunk fits.
func (a Ack) plan(budget int) (size, last, ranges int, ok bool) {
	size = ChunkHeaderLen + a.headLen()
	if size > budget {
		return 0, -1, 0, false
	}
	last = -1
	cursor := a.CumAck
	for i, r := range a.Received {
		l, valid := validRange(cursor, r)
		if !valid {
			continue
		}
		if size+l > budget || size+l-ChunkHeaderLen > MaxChunkValueLen {
			break
		}
		size += l
		cursor = r.To
		last = i
		ranges++
	}
	return size, last, ranges, true
}

// Append implements ChunkValue. Ranges that break the ordering rule of
// Received are skipped, and the list is cut where the chunk would exceed
// MaxChunkValueLen.
func (a Ack) Append(b []byte) []byte {
	b, _, _ = a.AppendWithin(b, math.MaxInt)
	return b
}

// AppendWithin appends the chunk with as many leading ranges as fit in
// budget bytes (header included); the lowest ranges are kept, which is what
// the sender needs most. It returns the number of ranges written, and
// ok = false (with b unchanged) if not even the range-less chunk fits.
func (a Ack) AppendWithin(b []byte, budget int) (out []byte, ranges int, ok bool) {
	size, last, ranges, ok := a.plan(budget)
	if !ok {
		return b, 0, false
	}
	b = AppendChunkHeader(b, ChunkAckRanges, size-ChunkHeaderLen)
	b = AppendVLU(b, a.FlowID)
	b = AppendVLU(b, a.BufferBlocks)
	b = AppendVLU(b, a.CumAck)
	cursor := a.CumAck
	for _, r := range a.Received[:last+1] {
		if _, valid := validRange(cursor, r); !valid {
			continue
		}
		b = AppendVLU(b, r.From-cursor-2)
		b = AppendVLU(b, r.To-r.From)
		cursor = r.To
	}
	return b, ranges, true
}

// AckBitmap (0x50) is the bitmap form of an acknowledgement: VLU(flow ID) ‖
// VLU(buffer blocks) ‖ VLU(cumulative ack) ‖ bitmap, where bit i (LSB first)
// of byte j says sequence number CumAck + 2 + 8j + i was received. Nobody is
// known to send it, but receivers accept it.
type AckBitmap struct {
	FlowID       uint64
	BufferBlocks uint64
	CumAck       uint64
	Bitmap       []byte
}

// ParseAckBitmap decodes an Ack Bitmap chunk value.
func ParseAckBitmap(b []byte) (AckBitmap, int, error) {
	h, n, err := parseAckHead(b, "ack bitmap")
	if err != nil {
		return AckBitmap{}, 0, err
	}
	bitmap := rest(b[n:])
	// The highest sequence number the bitmap can name must not wrap.
	if h.CumAck > math.MaxUint64-2 || uint64(len(bitmap)) > (math.MaxUint64-2-h.CumAck)/8 {
		return AckBitmap{}, 0, errPart("ack bitmap: range", ErrMalformed)
	}
	return AckBitmap{FlowID: h.FlowID, BufferBlocks: h.BufferBlocks, CumAck: h.CumAck, Bitmap: bitmap}, len(b), nil
}

// Ack converts the bitmap to the common form, appending ranges to dst[:0].
// A bitmap byte can describe up to four ranges.
func (a AckBitmap) Ack(dst []SeqRange) Ack {
	out := Ack{FlowID: a.FlowID, BufferBlocks: a.BufferBlocks, CumAck: a.CumAck}
	ranges := dst[:0]
	open := false
	for j, c := range a.Bitmap {
		for i := range 8 {
			seq := a.CumAck + 2 + uint64(8*j+i)
			if c&(1<<i) != 0 {
				if open {
					ranges[len(ranges)-1].To = seq
				} else {
					ranges = append(ranges, SeqRange{From: seq, To: seq})
					open = true
				}
			} else {
				open = false
			}
		}
	}
	out.Received = ranges
	return out
}

// ChunkType implements ChunkValue.
func (AckBitmap) ChunkType() ChunkType { return ChunkAckBitmap }

func (a AckBitmap) valueLen() int {
	return VLULen(a.FlowID) + VLULen(a.BufferBlocks) + VLULen(a.CumAck) + len(a.Bitmap)
}

// Len implements ChunkValue.
func (a AckBitmap) Len() int { return ChunkHeaderLen + a.valueLen() }

// Append implements ChunkValue.
func (a AckBitmap) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkAckBitmap, a.valueLen())
	b = AppendVLU(b, a.FlowID)
	b = AppendVLU(b, a.BufferBlocks)
	b = AppendVLU(b, a.CumAck)
	return append(b, a.Bitmap...)
}
