package wire

// CookieChange (0x79, "RHello Cookie Change") answers an IIKeying whose
// cookie is genuine but was minted for another address:
// field(old cookie) ‖ new cookie (rest). It travels in a startup packet whose
// SSID is the initiator's session ID.
type CookieChange struct {
	OldCookie []byte
	NewCookie []byte
}

// ParseCookieChange decodes a Cookie Change chunk value.
func ParseCookieChange(b []byte) (CookieChange, int, error) {
	old, n, err := readFieldPart(b, "cookie change: old cookie")
	if err != nil {
		return CookieChange{}, 0, err
	}
	return CookieChange{OldCookie: old, NewCookie: rest(b[n:])}, len(b), nil
}

// ChunkType implements ChunkValue.
func (CookieChange) ChunkType() ChunkType { return ChunkCookieChange }

func (c CookieChange) valueLen() int { return FieldLen(len(c.OldCookie)) + len(c.NewCookie) }

// Len implements ChunkValue.
func (c CookieChange) Len() int { return ChunkHeaderLen + c.valueLen() }

// Append implements ChunkValue.
func (c CookieChange) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkCookieChange, c.valueLen())
	b = AppendField(b, c.OldCookie)
	return append(b, c.NewCookie...)
}
