package wire

import "encoding/binary"

// IIKeying (0x38) is the initiator's keying: initiator session ID(4) ‖
// field(cookie echo) ‖ field(initiator certificate) ‖ field(session key
// initiator component) ‖ signature (rest; Flash sends "X").
type IIKeying struct {
	InitiatorSID uint32
	Cookie       []byte
	Certificate  []byte // see ParseCertificate
	SKIC         []byte // see ParseKeyComponent
	Signature    []byte
}

// ParseIIKeying decodes an IIKeying chunk value.
func ParseIIKeying(b []byte) (IIKeying, int, error) {
	if len(b) < 4 {
		return IIKeying{}, 0, errPart("iikeying: session id", ErrTruncated)
	}
	k := IIKeying{InitiatorSID: binary.BigEndian.Uint32(b)}
	n := 4
	var m int
	var err error
	if k.Cookie, m, err = readFieldPart(b[n:], "iikeying: cookie"); err != nil {
		return IIKeying{}, 0, err
	}
	n += m
	if k.Certificate, m, err = readFieldPart(b[n:], "iikeying: certificate"); err != nil {
		return IIKeying{}, 0, err
	}
	n += m
	if k.SKIC, m, err = readFieldPart(b[n:], "iikeying: skic"); err != nil {
		return IIKeying{}, 0, err
	}
	n += m
	k.Signature = rest(b[n:])
	return k, len(b), nil
}

// ChunkType implements ChunkValue.
func (IIKeying) ChunkType() ChunkType { return ChunkIIKeying }

func (k IIKeying) valueLen() int {
	return 4 + FieldLen(len(k.Cookie)) + FieldLen(len(k.Certificate)) + FieldLen(len(k.SKIC)) + len(k.Signature)
}

// Len implements ChunkValue.
func (k IIKeying) Len() int { return ChunkHeaderLen + k.valueLen() }

// Append implements ChunkValue.
func (k IIKeying) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkIIKeying, k.valueLen())
	b = binary.BigEndian.AppendUint32(b, k.InitiatorSID)
	b = AppendField(b, k.Cookie)
	b = AppendField(b, k.Certificate)
	b = AppendField(b, k.SKIC)
	return append(b, k.Signature...)
}
