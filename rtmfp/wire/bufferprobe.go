package wire

// BufferProbe (0x18) asks the receiver of a flow for a fresh ack after it
// advertised a zero window: VLU(flow ID). Cumulus-lineage peers kill the
// session on receipt, so never send it to them.
type BufferProbe struct {
	FlowID uint64
}

// ParseBufferProbe decodes a Buffer Probe chunk value. Trailing bytes are
// left unconsumed.
func ParseBufferProbe(b []byte) (BufferProbe, int, error) {
	id, n, err := readVLUPart(b, "buffer probe: flow id")
	if err != nil {
		return BufferProbe{}, 0, err
	}
	return BufferProbe{FlowID: id}, n, nil
}

// ChunkType implements ChunkValue.
func (BufferProbe) ChunkType() ChunkType { return ChunkBufferProbe }

// Len implements ChunkValue.
func (p BufferProbe) Len() int { return ChunkHeaderLen + VLULen(p.FlowID) }

// Append implements ChunkValue.
func (p BufferProbe) Append(b []byte) []byte {
	return AppendVLU(AppendChunkHeader(b, ChunkBufferProbe, VLULen(p.FlowID)), p.FlowID)
}
