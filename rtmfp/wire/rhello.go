package wire

// RHello (0x70) answers an IHello: field(tag echo) ‖ field(cookie) ‖
// responder certificate (rest of the chunk).
type RHello struct {
	TagEcho     []byte
	Cookie      []byte
	Certificate []byte // see ParseCertificate
}

// ParseRHello decodes an RHello chunk value.
func ParseRHello(b []byte) (RHello, int, error) {
	tag, n, err := readFieldPart(b, "rhello: tag echo")
	if err != nil {
		return RHello{}, 0, err
	}
	cookie, m, err := readFieldPart(b[n:], "rhello: cookie")
	if err != nil {
		return RHello{}, 0, err
	}
	return RHello{TagEcho: tag, Cookie: cookie, Certificate: rest(b[n+m:])}, len(b), nil
}

// ChunkType implements ChunkValue.
func (RHello) ChunkType() ChunkType { return ChunkRHello }

func (h RHello) valueLen() int {
	return FieldLen(len(h.TagEcho)) + FieldLen(len(h.Cookie)) + len(h.Certificate)
}

// Len implements ChunkValue.
func (h RHello) Len() int { return ChunkHeaderLen + h.valueLen() }

// Append implements ChunkValue.
func (h RHello) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkRHello, h.valueLen())
	b = AppendField(b, h.TagEcho)
	b = AppendField(b, h.Cookie)
	return append(b, h.Certificate...)
}
