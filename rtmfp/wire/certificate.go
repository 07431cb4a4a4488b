package wire

import "fmt"

// Certificate option types (RFC 7425 §4.3).
const (
	CertOptionHostname             = 0x00
	CertOptionAcceptsAncillaryData = 0x0a
	CertOptionExtraRandomness      = 0x0e
	// CertOptionEphemeralGroup: VLU(group ID) of a supported ephemeral
	// Diffie-Hellman group.
	CertOptionEphemeralGroup = 0x15
	// CertOptionStaticKey: VLU(group ID) ‖ static public value.
	CertOptionStaticKey = 0x1d
)

// ServerCertificateLen is the length of the canonical server certificate.
const ServerCertificateLen = 77

// Certificate is a decoded Flash-profile certificate. Only the canonical
// part (the options before the first marker) is interpreted, as in
// rtmfp-cpp; options after a marker are kept in Raw but ignored.
type Certificate struct {
	Raw                  []byte
	CanonicalLen         int
	AcceptsAncillaryData bool
	Hostname             []byte // nil if absent
	ExtraRandomness      []byte // nil if absent
	static, ephemeral    bool
}

// ParseCertificate decodes a certificate (the field value of an RHello or
// IIKeying certificate). A certificate must be either static (it has 0x1d
// keys) or ephemeral (it has 0x15 groups), never both nor neither; the group
// VLU of every 0x15 and 0x1d option must be valid.
func ParseCertificate(b []byte) (Certificate, error) {
	list, err := ParseOptions(b)
	if err != nil {
		return Certificate{}, errPart("certificate", err)
	}
	canon := list.Canonical()
	c := Certificate{Raw: b, CanonicalLen: len(canon)}
	for o := range canon.All() {
		switch o.Type {
		case CertOptionHostname:
			c.Hostname = o.Value
		case CertOptionAcceptsAncillaryData:
			c.AcceptsAncillaryData = true
		case CertOptionExtraRandomness:
			c.ExtraRandomness = o.Value
		case CertOptionEphemeralGroup:
			if _, n, err := ReadVLU(o.Value); err != nil || n != len(o.Value) {
				return Certificate{}, errPart("certificate: ephemeral group", ErrMalformed)
			}
			c.ephemeral = true
		case CertOptionStaticKey:
			if _, _, err := ReadVLU(o.Value); err != nil {
				return Certificate{}, errPart("certificate: static key group", ErrMalformed)
			}
			c.static = true
		}
	}
	if c.static == c.ephemeral {
		return Certificate{}, fmt.Errorf("wire: certificate: static=%v ephemeral=%v: %w", c.static, c.ephemeral, ErrMalformed)
	}
	return c, nil
}

// Canonical is the part of the certificate its fingerprint is computed over.
func (c Certificate) Canonical() []byte { return c.Raw[:c.CanonicalLen:c.CanonicalLen] }

// IsStatic reports whether the certificate carries static public keys
// (Flash and other clients); otherwise it is ephemeral (servers).
func (c Certificate) IsStatic() bool { return c.static }

// StaticKey returns the static public value for group, searching every key
// of a multi-key certificate (rtmfp-cpp sends one per supported group).
func (c Certificate) StaticKey(group uint64) ([]byte, bool) {
	for o := range OptionList(c.Canonical()).All() {
		if o.Type != CertOptionStaticKey {
			continue
		}
		g, n, err := ReadVLU(o.Value)
		if err == nil && g == group {
			return rest(o.Value[n:]), true
		}
	}
	return nil, false
}

// SupportsGroup reports whether the certificate offers group: as a static
// key in a static certificate, as an ephemeral group otherwise.
func (c Certificate) SupportsGroup(group uint64) bool {
	if c.static {
		_, ok := c.StaticKey(group)
		return ok
	}
	for o := range OptionList(c.Canonical()).All() {
		if o.Type != CertOptionEphemeralGroup {
			continue
		}
		if g, _, err := ReadVLU(o.Value); err == nil && g == group {
			return true
		}
	}
	return false
}

// AppendAcceptsAncillaryOption appends 01 0a. A server certificate needs it:
// an EPD carrying a URL only selects certificates that have it.
func AppendAcceptsAncillaryOption(b []byte) []byte {
	return AppendOption(b, CertOptionAcceptsAncillaryData, nil)
}

// AppendExtraRandomnessOption appends a 0x0e extra-randomness option (same
// type in certificates and session key components).
func AppendExtraRandomnessOption(b, randomness []byte) []byte {
	return AppendOption(b, CertOptionExtraRandomness, randomness)
}

// AppendEphemeralGroupOption appends a 0x15 supported-ephemeral-group option.
func AppendEphemeralGroupOption(b []byte, group uint64) []byte {
	return AppendOptionVLU(b, CertOptionEphemeralGroup, group)
}

// AppendStaticKeyOption appends a 0x1d static key: VLU(group) ‖ public value.
func AppendStaticKeyOption(b []byte, group uint64, public []byte) []byte {
	b = AppendVLU(b, uint64(VLULen(CertOptionStaticKey)+VLULen(group)+len(public)))
	b = AppendVLU(b, CertOptionStaticKey)
	b = AppendVLU(b, group)
	return append(b, public...)
}

// AppendServerCertificate appends the canonical 77-byte server certificate,
// byte for byte the layout of Adobe's cc.rtmfp.net, Cumulus, MonaServer and
// ArcusNode:
//
//	01 0a                    accepts ancillary data
//	41 0e <64 random bytes>  extra randomness (fresh per server start)
//	02 15 02                 ephemeral DH group 2
//	02 15 05                 ephemeral DH group 5
//	02 15 0e                 ephemeral DH group 14
//
// Group 5: Adobe, Cumulus and Mona advertise it without being able to
// compute it, which is a latent bug. We keep the exact 77-byte layout
// (librtmfp skips exactly 77 certificate bytes, so the length must not
// change) and instead implement group 5 in rtmfp/crypto alongside 2 and 14,
// so that every group advertised here can really be used. Flash selects 2;
// rtmfp-cpp prefers the strongest group it shares with us, which is 14.
func AppendServerCertificate(b []byte, randomness *[64]byte) []byte {
	b = AppendAcceptsAncillaryOption(b)
	b = AppendExtraRandomnessOption(b, randomness[:])
	b = AppendEphemeralGroupOption(b, 2)
	b = AppendEphemeralGroupOption(b, 5)
	return AppendEphemeralGroupOption(b, 14)
}
