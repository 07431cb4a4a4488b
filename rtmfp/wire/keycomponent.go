package wire

// Session key component option types (RFC 7425 §4.5), used in the SKIC of
// IIKeying and the SKRC of RIKeying.
const (
	// KeyOptionEphemeralKey: VLU(group) ‖ ephemeral public value.
	KeyOptionEphemeralKey = 0x0d
	// KeyOptionExtraRandomness: extra randomness bytes.
	KeyOptionExtraRandomness = 0x0e
	// KeyOptionGroupSelect: VLU(group) chosen by a static initiator.
	KeyOptionGroupSelect = 0x1d
	// KeyOptionHMACNegotiation: flags(1) ‖ VLU(HMAC length, 4..32).
	KeyOptionHMACNegotiation = 0x1a
	// KeyOptionSSeqNegotiation: flags(1) for session sequence numbers.
	KeyOptionSSeqNegotiation = 0x1e
)

// Negotiation flags of the HMAC and session-sequence-number options.
const (
	NegotiateSendAlways    = 0x04 // will send always
	NegotiateSendOnRequest = 0x02 // will send on request
	NegotiateRequest       = 0x01 // request (rtmfp-cpp: require) from the far end
)

// Negotiation is a decoded HMAC or session-sequence-number negotiation
// option. An absent option, or one with an empty value, negotiates nothing
// (flags 0).
type Negotiation struct {
	Present bool
	Flags   uint8
	// HMACLength is the length of the HMAC the sender of the option will
	// append (HMAC option only; 0 if missing or not a valid VLU).
	HMACLength uint64
}

// KeyComponent is a decoded session key component (SKIC or SKRC). Like
// rtmfp-cpp, only options before the first marker count.
type KeyComponent struct {
	Raw             []byte
	GroupSelect     uint64 // valid if HasGroupSelect
	HasGroupSelect  bool
	ExtraRandomness []byte // nil if absent
	HMAC            Negotiation
	SSeq            Negotiation
}

// ParseKeyComponent decodes a session key component. The group VLU of
// 0x0d and 0x1d options must be valid.
func ParseKeyComponent(b []byte) (KeyComponent, error) {
	list, err := ParseOptions(b)
	if err != nil {
		return KeyComponent{}, errPart("key component", err)
	}
	k := KeyComponent{Raw: b}
	seenHMAC, seenSSeq := false, false
	for o := range list.Canonical().All() {
		switch o.Type {
		case KeyOptionEphemeralKey:
			if _, _, err := ReadVLU(o.Value); err != nil {
				return KeyComponent{}, errPart("key component: ephemeral key group", ErrMalformed)
			}
		case KeyOptionGroupSelect:
			g, n, err := ReadVLU(o.Value)
			if err != nil || n != len(o.Value) {
				return KeyComponent{}, errPart("key component: group select", ErrMalformed)
			}
			if !k.HasGroupSelect {
				k.GroupSelect, k.HasGroupSelect = g, true
			}
		case KeyOptionExtraRandomness:
			if k.ExtraRandomness == nil {
				k.ExtraRandomness = o.Value
			}
		case KeyOptionHMACNegotiation:
			if !seenHMAC {
				seenHMAC = true
				k.HMAC = parseNegotiation(o.Value)
				if len(o.Value) > 1 {
					if l, _, err := ReadVLU(o.Value[1:]); err == nil {
						k.HMAC.HMACLength = l
					}
				}
			}
		case KeyOptionSSeqNegotiation:
			if !seenSSeq {
				seenSSeq = true
				k.SSeq = parseNegotiation(o.Value)
			}
		}
	}
	return k, nil
}

func parseNegotiation(v []byte) Negotiation {
	n := Negotiation{Present: true}
	if len(v) > 0 {
		n.Flags = v[0]
	}
	return n
}

// EphemeralKey returns the ephemeral public value offered for group.
func (k KeyComponent) EphemeralKey(group uint64) ([]byte, bool) {
	for o := range OptionList(k.Raw).Canonical().All() {
		if o.Type != KeyOptionEphemeralKey {
			continue
		}
		g, n, err := ReadVLU(o.Value)
		if err == nil && g == group {
			return rest(o.Value[n:]), true
		}
	}
	return nil, false
}

// FirstEphemeralKey returns the group and value of the first ephemeral key
// (what a static responder uses when the initiator is ephemeral).
func (k KeyComponent) FirstEphemeralKey() (group uint64, public []byte, ok bool) {
	for o := range OptionList(k.Raw).Canonical().All() {
		if o.Type != KeyOptionEphemeralKey {
			continue
		}
		g, n, err := ReadVLU(o.Value)
		if err == nil {
			return g, rest(o.Value[n:]), true
		}
	}
	return 0, nil, false
}

// AppendEphemeralKeyOption appends a 0x0d option: VLU(group) ‖ public value.
func AppendEphemeralKeyOption(b []byte, group uint64, public []byte) []byte {
	b = AppendVLU(b, uint64(VLULen(KeyOptionEphemeralKey)+VLULen(group)+len(public)))
	b = AppendVLU(b, KeyOptionEphemeralKey)
	b = AppendVLU(b, group)
	return append(b, public...)
}

// AppendGroupSelectOption appends a 0x1d group-select option.
func AppendGroupSelectOption(b []byte, group uint64) []byte {
	return AppendOptionVLU(b, KeyOptionGroupSelect, group)
}

// AppendHMACNegotiationOption appends 0x1a: flags ‖ VLU(length).
func AppendHMACNegotiationOption(b []byte, flags uint8, length uint64) []byte {
	b = AppendVLU(b, uint64(VLULen(KeyOptionHMACNegotiation)+1+VLULen(length)))
	b = AppendVLU(b, KeyOptionHMACNegotiation)
	b = append(b, flags)
	return AppendVLU(b, length)
}

// AppendSSeqNegotiationOption appends 0x1e: flags.
func AppendSSeqNegotiationOption(b []byte, flags uint8) []byte {
	return AppendOption(b, KeyOptionSSeqNegotiation, []byte{flags})
}

// AppendServerSKRC appends the responder key component exactly as Adobe's
// server, Cumulus and MonaServer send it, which librtmfp requires (prefix
// 03 1a 00 00 02 1e 00, public value at offset 11 for 128-byte values):
//
//	03 1a 00 00   HMAC: flags 0, length 0 (never)
//	02 1e 00      session sequence numbers: flags 0 (never)
//	81 02 0d 02 <128-byte public value>
//
// hmacFlags/hmacLen and sseqFlags replace the zeros when the session layer
// agrees to HMAC or sequence numbers (only rtmfp-cpp peers ask).
func AppendServerSKRC(b []byte, hmacFlags uint8, hmacLen uint64, sseqFlags uint8, group uint64, public []byte) []byte {
	b = AppendHMACNegotiationOption(b, hmacFlags, hmacLen)
	b = AppendSSeqNegotiationOption(b, sseqFlags)
	return AppendEphemeralKeyOption(b, group, public)
}
