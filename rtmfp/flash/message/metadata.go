package message

import (
	"bytes"
	"errors"
	"fmt"

	"nimbus/rtmfp/wire"
)

// Flow metadata (the value of user data option 0) says what a flow carries.
// "TC" flows carry a NetConnection (stream 0) or a NetStream; "GC" flows
// carry a client's NetGroup membership towards the server.

const (
	tcFlagStreamID = 0x04 // the stream ID follows
	tcReceiveMask  = 0x03 // receive intent (RXI)
)

// DirectStreamBase is added to a NetStream's number in the metadata of a
// direct peer-to-peer NetStream flow (what librtmfp does in imitation of
// Flash): stream 1 is 2000001.
const DirectStreamBase = 2000000

// Receive intents of a TC flow (RFC 7425 §5.1.3).
const (
	ReceiveSequence = 0 // deliver in original order
	ReceiveNetwork  = 1 // deliver in network arrival order (media)
)

// TCMetadata is the metadata of a NetConnection or NetStream flow:
// 'T' 'C' ‖ flags ‖ VLU(stream ID).
type TCMetadata struct {
	// StreamID is 0 for the NetConnection flow.
	StreamID uint64
	// Receive is the receive intent, ReceiveSequence or ReceiveNetwork.
	Receive uint8
}

// ParseTCMetadata decodes TC metadata. The flags byte must announce a
// stream ID; its receive intent bits are kept, other bits ignored.
func ParseTCMetadata(b []byte) (TCMetadata, int, error) {
	if len(b) < 3 {
		return TCMetadata{}, 0, fmt.Errorf("flash: tc metadata: %w", ErrTruncated)
	}
	if b[0] != 'T' || b[1] != 'C' {
		return TCMetadata{}, 0, fmt.Errorf("flash: tc metadata: prefix % x: %w", b[:2], ErrMalformed)
	}
	flags := b[2]
	if flags&tcFlagStreamID == 0 {
		return TCMetadata{}, 0, fmt.Errorf("flash: tc metadata: flags 0x%02x without stream id: %w", flags, ErrMalformed)
	}
	id, n, err := wire.ReadVLU(b[3:])
	if err != nil {
		return TCMetadata{}, 0, fmt.Errorf("flash: tc metadata: stream id: %w", vluError(err))
	}
	return TCMetadata{StreamID: id, Receive: flags & tcReceiveMask}, 3 + n, nil
}

// Len is the encoded length of m.
func (m TCMetadata) Len() int { return 3 + wire.VLULen(m.StreamID) }

// Append appends the encoding of m.
func (m TCMetadata) Append(b []byte) []byte {
	b = append(b, 'T', 'C', tcFlagStreamID|m.Receive&tcReceiveMask)
	return wire.AppendVLU(b, m.StreamID)
}

// GCMetadata is the metadata of a NetGroup flow between a client and the
// server, in both directions.
var GCMetadata = []byte{'G', 'C'}

// IsTC reports whether metadata starts like TC metadata.
func IsTC(metadata []byte) bool {
	return len(metadata) >= 2 && metadata[0] == 'T' && metadata[1] == 'C'
}

// IsGC reports whether metadata is NetGroup control metadata. Like
// Cumulus and MonaServer it matches the prefix only.
func IsGC(metadata []byte) bool { return bytes.HasPrefix(metadata, GCMetadata) }

// vluError maps the wire package's truncation to this package's sentinel,
// so that callers test one ErrTruncated.
func vluError(err error) error {
	if errors.Is(err, wire.ErrTruncated) {
		return ErrTruncated
	}
	return err
}
