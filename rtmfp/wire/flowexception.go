package wire

// FlowException (0x5e, Flow Exception Report) is sent by a flow's receiver
// to reject the flow: VLU(flow ID) ‖ VLU(exception code). Everybody sends
// code 0.
type FlowException struct {
	FlowID uint64
	Code   uint64
}

// ParseFlowException decodes a Flow Exception Report chunk value. Trailing
// bytes are left unconsumed.
func ParseFlowException(b []byte) (FlowException, int, error) {
	id, n, err := readVLUPart(b, "flow exception: flow id")
	if err != nil {
		return FlowException{}, 0, err
	}
	code, m, err := readVLUPart(b[n:], "flow exception: code")
	if err != nil {
		return FlowException{}, 0, err
	}
	return FlowException{FlowID: id, Code: code}, n + m, nil
}

// ChunkType implements ChunkValue.
func (FlowException) ChunkType() ChunkType { return ChunkFlowException }

func (e FlowException) valueLen() int { return VLULen(e.FlowID) + VLULen(e.Code) }

// Len implements ChunkValue.
func (e FlowException) Len() int { return ChunkHeaderLen + e.valueLen() }

// Append implements ChunkValue.
func (e FlowException) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkFlowException, e.valueLen())
	b = AppendVLU(b, e.FlowID)
	return AppendVLU(b, e.Code)
}
