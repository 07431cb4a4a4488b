package wire

import "encoding/binary"

// RIKeying (0x78) is the responder's keying: responder session ID(4) ‖
// field(session key responder component) ‖ signature (rest; "X"). It
// travels in a startup packet whose SSID is the initiator's session ID,
// still under the default key.
type RIKeying struct {
	ResponderSID uint32
	SKRC         []byte // see ParseKeyComponent
	Signature    []byte
}

// ParseRIKeying decodes an RIKeying chunk value.
func ParseRIKeying(b []byte) (RIKeying, int, error) {
	if len(b) < 4 {
		return RIKeying{}, 0, errPart("rikeying: session id", ErrTruncated)
	}
	skrc, n, err := readFieldPart(b[4:], "rikeying: skrc")
	if err != nil {
		return RIKeying{}, 0, err
	}
	return RIKeying{ResponderSID: binary.BigEndian.Uint32(b), SKRC: skrc, Signature: rest(b[4+n:])}, len(b), nil
}

// ChunkType implements ChunkValue.
func (RIKeying) ChunkType() ChunkType { return ChunkRIKeying }

func (k RIKeying) valueLen() int { return 4 + FieldLen(len(k.SKRC)) + len(k.Signature) }

// Len implements ChunkValue.
func (k RIKeying) Len() int { return ChunkHeaderLen + k.valueLen() }

// Append implements ChunkValue.
func (k RIKeying) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkRIKeying, k.valueLen())
	b = binary.BigEndian.AppendUint32(b, k.ResponderSID)
	b = AppendField(b, k.SKRC)
	return append(b, k.Signature...)
}
