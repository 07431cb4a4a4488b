package wire

// SessionClose (0x0c, Session Close Request) asks the far end to close the
// session; it has no value.
type SessionClose struct{}

// ParseSessionClose decodes a Session Close Request; any value is ignored
// and left unconsumed.
func ParseSessionClose(b []byte) (SessionClose, int, error) { return SessionClose{}, 0, nil }

// ChunkType implements ChunkValue.
func (SessionClose) ChunkType() ChunkType { return ChunkSessionClose }

// Len implements ChunkValue.
func (SessionClose) Len() int { return ChunkHeaderLen }

// Append implements ChunkValue.
func (SessionClose) Append(b []byte) []byte { return AppendChunkHeader(b, ChunkSessionClose, 0) }

// SessionCloseAck (0x4c) acknowledges a close, or aborts a session; it has
// no value. Flash tears sessions down with it.
type SessionCloseAck struct{}

// ParseSessionCloseAck decodes a Session Close Acknowledgement; any value is
// ignored and left unconsumed.
func ParseSessionCloseAck(b []byte) (SessionCloseAck, int, error) { return SessionCloseAck{}, 0, nil }

// ChunkType implements ChunkValue.
func (SessionCloseAck) ChunkType() ChunkType { return ChunkSessionCloseAck }

// Len implements ChunkValue.
func (SessionCloseAck) Len() int { return ChunkHeaderLen }

// Append implements ChunkValue.
func (SessionCloseAck) Append(b []byte) []byte {
	return AppendChunkHeader(b, ChunkSessionCloseAck, 0)
}
