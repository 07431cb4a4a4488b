package wire

import "fmt"

// ChunkValue is a decoded chunk: every chunk type of this package
// implements it.
type ChunkValue interface {
	ChunkType() ChunkType
	// Append appends the whole chunk, header included.
	Append(b []byte) []byte
	// Len is the number of bytes Append adds.
	Len() int
}

// ParseChunk decodes c according to its type. Types this package does not
// decode (the ignored 0x7f, 0xec, 0x4d and anything unknown) come back as
// Unknown with a nil error so callers can skip them. Decoded slices alias
// c.Value. Acks with ranges allocate their range list; hot paths should call
// ParseAckRanges with a reusable slice instead.
func ParseChunk(c Chunk) (ChunkValue, error) {
	var (
		v   ChunkValue
		err error
	)
	switch c.Type {
	case ChunkIHello:
		v, _, err = ParseIHello(c.Value)
	case ChunkRHello:
		v, _, err = ParseRHello(c.Value)
	case ChunkRedirect:
		v, _, err = ParseRedirect(c.Value)
	case ChunkCookieChange:
		v, _, err = ParseCookieChange(c.Value)
	case ChunkIIKeying:
		v, _, err = ParseIIKeying(c.Value)
	case ChunkRIKeying:
		v, _, err = ParseRIKeying(c.Value)
	case ChunkForwardedIHello:
		v, _, err = ParseForwardedIHello(c.Value)
	case ChunkPing:
		v, _, err = ParsePing(c.Value)
	case ChunkPingReply:
		v, _, err = ParsePingReply(c.Value)
	case ChunkUserData:
		v, _, err = ParseUserData(c.Value)
	case ChunkNextUserData:
		v, _, err = ParseNextUserData(c.Value)
	case ChunkAckBitmap:
		v, _, err = ParseAckBitmap(c.Value)
	case ChunkAckRanges:
		v, _, err = ParseAckRanges(c.Value, nil)
	case ChunkBufferProbe:
		v, _, err = ParseBufferProbe(c.Value)
	case ChunkFlowException:
		v, _, err = ParseFlowException(c.Value)
	case ChunkSessionClose:
		v, _, err = ParseSessionClose(c.Value)
	case ChunkSessionCloseAck:
		v, _, err = ParseSessionCloseAck(c.Value)
	default:
		return Unknown(c), nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Unknown is a chunk this package does not decode; its value is kept
// verbatim. RFC 7016 requires receivers to ignore such chunks.
type Unknown Chunk

// ChunkType implements ChunkValue.
func (u Unknown) ChunkType() ChunkType { return u.Type }

// Len implements ChunkValue.
func (u Unknown) Len() int { return Chunk(u).Len() }

// Append implements ChunkValue.
func (u Unknown) Append(b []byte) []byte { return Chunk(u).Append(b) }

// rest returns b as a value with no spare capacity, so appending to a
// decoded slice never writes into the packet buffer.
func rest(b []byte) []byte { return b[:len(b):len(b)] }

// errPart wraps err with the chunk and part names.
func errPart(part string, err error) error {
	return fmt.Errorf("wire: %s: %w", part, err)
}
