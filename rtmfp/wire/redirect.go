package wire

// Redirect (0x71) answers an IHello with other places to try:
// field(tag echo) ‖ address*.
type Redirect struct {
	TagEcho   []byte
	Addresses []Address
}

// ParseRedirect decodes a Redirect chunk value. The address list is
// allocated; it holds at most one entry per 7 input bytes.
func ParseRedirect(b []byte) (Redirect, int, error) {
	tag, n, err := readFieldPart(b, "redirect: tag echo")
	if err != nil {
		return Redirect{}, 0, err
	}
	r := Redirect{TagEcho: tag}
	for n < len(b) {
		a, m, err := ParseAddress(b[n:])
		if err != nil {
			return Redirect{}, 0, errPart("redirect", err)
		}
		r.Addresses = append(r.Addresses, a)
		n += m
	}
	return r, n, nil
}

// ChunkType implements ChunkValue.
func (Redirect) ChunkType() ChunkType { return ChunkRedirect }

func (r Redirect) valueLen() int {
	n := FieldLen(len(r.TagEcho))
	for _, a := range r.Addresses {
		n += a.Len()
	}
	return n
}

// Len implements ChunkValue.
func (r Redirect) Len() int { return ChunkHeaderLen + r.valueLen() }

// Append implements ChunkValue.
func (r Redirect) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkRedirect, r.valueLen())
	b = AppendField(b, r.TagEcho)
	for _, a := range r.Addresses {
		b = a.Append(b)
	}
	return b
}
