package wire

import (
	"encoding/binary"
	"fmt"
	"iter"
)

// ChunkType is the first byte of a chunk.
type ChunkType uint8

// Chunk types (RFC 7016 §2.3 plus the few extensions seen in the field).
const (
	ChunkPing               ChunkType = 0x01
	ChunkSessionClose       ChunkType = 0x0c
	ChunkForwardedIHello    ChunkType = 0x0f
	ChunkUserData           ChunkType = 0x10
	ChunkNextUserData       ChunkType = 0x11
	ChunkBufferProbe        ChunkType = 0x18
	ChunkIHello             ChunkType = 0x30
	ChunkIIKeying           ChunkType = 0x38
	ChunkPingReply          ChunkType = 0x41
	ChunkSessionCloseAck    ChunkType = 0x4c
	ChunkCloseReason        ChunkType = 0x4d // librtmfp private, ignored
	ChunkAckBitmap          ChunkType = 0x50
	ChunkAckRanges          ChunkType = 0x51
	ChunkFlowException      ChunkType = 0x5e
	ChunkRHello             ChunkType = 0x70
	ChunkRedirect           ChunkType = 0x71
	ChunkRIKeying           ChunkType = 0x78
	ChunkCookieChange       ChunkType = 0x79
	ChunkFragment           ChunkType = 0x7f // RFC 7016, unused in practice, ignored
	ChunkECNReport          ChunkType = 0xec // rtmfp-cpp experimental, ignored
	ChunkPadding            ChunkType = 0xff
	chunkPaddingAlternative ChunkType = 0x00 // MonaServer 2 also stops here
)

var chunkNames = map[ChunkType]string{
	ChunkPing:            "Ping",
	ChunkSessionClose:    "SessionClose",
	ChunkForwardedIHello: "ForwardedIHello",
	ChunkUserData:        "UserData",
	ChunkNextUserData:    "NextUserData",
	ChunkBufferProbe:     "BufferProbe",
	ChunkIHello:          "IHello",
	ChunkIIKeying:        "IIKeying",
	ChunkPingReply:       "PingReply",
	ChunkSessionCloseAck: "SessionCloseAck",
	ChunkCloseReason:     "CloseReason",
	ChunkAckBitmap:       "AckBitmap",
	ChunkAckRanges:       "AckRanges",
	ChunkFlowException:   "FlowException",
	ChunkRHello:          "RHello",
	ChunkRedirect:        "Redirect",
	ChunkRIKeying:        "RIKeying",
	ChunkCookieChange:    "CookieChange",
	ChunkFragment:        "Fragment",
	ChunkECNReport:       "ECNReport",
	ChunkPadding:         "Padding",
}

func (t ChunkType) String() string {
	if s, ok := chunkNames[t]; ok {
		return s
	}
	return fmt.Sprintf("Chunk(0x%02x)", uint8(t))
}

// Chunk is one raw chunk: type(1) ‖ length(2) ‖ value.
type Chunk struct {
	Type  ChunkType
	Value []byte
}

// Len is the encoded length of c.
func (c Chunk) Len() int { return ChunkHeaderLen + len(c.Value) }

// Append appends the encoding of c.
func (c Chunk) Append(b []byte) []byte {
	b = AppendChunkHeader(b, c.Type, len(c.Value))
	return append(b, c.Value...)
}

// AppendChunkHeader appends type(1) ‖ length(2).
func AppendChunkHeader(b []byte, t ChunkType, valueLen int) []byte {
	return append(b, byte(t), byte(valueLen>>8), byte(valueLen))
}

// ChunkReader walks the chunks of a decrypted packet body (after the
// header). Following RFC 7016 and the open implementations it stops, without
// error, when fewer than 3 bytes remain or at a padding type (0xff or 0x00);
// it stops with ErrTruncated when a length overruns the packet. Chunks of
// unknown type are returned like any other so the caller can skip them.
type ChunkReader struct {
	b   []byte
	err error
}

// NewChunkReader returns a reader over body.
func NewChunkReader(body []byte) ChunkReader { return ChunkReader{b: body} }

// Next returns the next chunk; ok is false at the end.
func (r *ChunkReader) Next() (c Chunk, ok bool) {
	if len(r.b) < ChunkHeaderLen {
		r.b = nil
		return Chunk{}, false
	}
	t := ChunkType(r.b[0])
	if t == ChunkPadding || t == chunkPaddingAlternative {
		r.b = nil
		return Chunk{}, false
	}
	l := int(binary.BigEndian.Uint16(r.b[1:3]))
	end := ChunkHeaderLen + l
	if end > len(r.b) {
		r.b = nil
		r.err = fmt.Errorf("wire: chunk 0x%02x length %d: %w", uint8(t), l, ErrTruncated)
		return Chunk{}, false
	}
	c = Chunk{Type: t, Value: r.b[ChunkHeaderLen:end:end]}
	r.b = r.b[end:]
	return c, true
}

// Err reports why the reader stopped: nil at a clean end or padding,
// ErrTruncated (wrapped) when a chunk length overran the body.
func (r *ChunkReader) Err() error { return r.err }

// Chunks yields the chunks of body under the rules of ChunkReader, dropping
// the overrun error.
func Chunks(body []byte) iter.Seq[Chunk] {
	return func(yield func(Chunk) bool) {
		r := NewChunkReader(body)
		for {
			c, ok := r.Next()
			if !ok || !yield(c) {
				return
			}
		}
	}
}
