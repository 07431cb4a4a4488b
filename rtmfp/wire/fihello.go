package wire

// ForwardedIHello (0x0f) is sent by a rendezvous server, inside the target's
// session, to introduce an initiator: field(EPD) ‖ address(reply address) ‖
// tag (rest).
type ForwardedIHello struct {
	EPD          []byte
	ReplyAddress Address
	Tag          []byte
}

// ParseForwardedIHello decodes a Forwarded IHello chunk value.
func ParseForwardedIHello(b []byte) (ForwardedIHello, int, error) {
	epd, n, err := readFieldPart(b, "forwarded ihello: epd")
	if err != nil {
		return ForwardedIHello{}, 0, err
	}
	a, m, err := ParseAddress(b[n:])
	if err != nil {
		return ForwardedIHello{}, 0, errPart("forwarded ihello", err)
	}
	return ForwardedIHello{EPD: epd, ReplyAddress: a, Tag: rest(b[n+m:])}, len(b), nil
}

// ChunkType implements ChunkValue.
func (ForwardedIHello) ChunkType() ChunkType { return ChunkForwardedIHello }

func (f ForwardedIHello) valueLen() int {
	return FieldLen(len(f.EPD)) + f.ReplyAddress.Len() + len(f.Tag)
}

// Len implements ChunkValue.
func (f ForwardedIHello) Len() int { return ChunkHeaderLen + f.valueLen() }

// Append implements ChunkValue.
func (f ForwardedIHello) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkForwardedIHello, f.valueLen())
	b = AppendField(b, f.EPD)
	b = f.ReplyAddress.Append(b)
	return append(b, f.Tag...)
}
