package wire

// IHello (0x30) starts a handshake: field(EPD) ‖ tag. Flash sends a 16-byte
// tag; any length is accepted.
type IHello struct {
	EPD []byte // endpoint discriminator option list, see ParseEPD
	Tag []byte
}

// ParseIHello decodes an IHello chunk value.
func ParseIHello(b []byte) (IHello, int, error) {
	epd, n, err := readFieldPart(b, "ihello: epd")
	if err != nil {
		return IHello{}, 0, err
	}
	return IHello{EPD: epd, Tag: rest(b[n:])}, len(b), nil
}

// ChunkType implements ChunkValue.
func (IHello) ChunkType() ChunkType { return ChunkIHello }

func (h IHello) valueLen() int { return FieldLen(len(h.EPD)) + len(h.Tag) }

// Len implements ChunkValue.
func (h IHello) Len() int { return ChunkHeaderLen + h.valueLen() }

// Append implements ChunkValue.
func (h IHello) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkIHello, h.valueLen())
	b = AppendField(b, h.EPD)
	return append(b, h.Tag...)
}
