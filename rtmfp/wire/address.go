package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// AddressOrigin says where an address in a Redirect, Forwarded IHello or
// server-to-server message came from. It lives in the low 2 bits of the
// address flags byte.
type AddressOrigin uint8

// Address origins.
const (
	// OriginUnknown is unspecified; MonaServer 2 also uses it with the
	// wildcard address to say "that peer is gone".
	OriginUnknown AddressOrigin = 0
	// OriginReported is an address the peer reported itself (setPeerInfo,
	// Cumulus/Mona "local").
	OriginReported AddressOrigin = 1
	// OriginObserved is the source address the server saw (Cumulus/Mona
	// "public").
	OriginObserved AddressOrigin = 2
	// OriginRelay is a relay address (Mona "redirection").
	OriginRelay AddressOrigin = 3
)

func (o AddressOrigin) String() string {
	switch o {
	case OriginUnknown:
		return "unknown"
	case OriginReported:
		return "reported"
	case OriginObserved:
		return "observed"
	case OriginRelay:
		return "relay"
	}
	return fmt.Sprintf("origin(%d)", uint8(o))
}

const (
	addressFlagIPv6   = 0x80
	addressOriginMask = 0x03
	addressIPv4Len    = 1 + 4 + 2
	addressIPv6Len    = 1 + 16 + 2
	addressMinLen     = addressIPv4Len
)

// Address is flags(1) ‖ IPv4(4) or IPv6(16) ‖ port(2): flag 0x80 marks IPv6,
// the low 2 bits carry the origin.
type Address struct {
	AddrPort netip.AddrPort
	Origin   AddressOrigin
}

// ParseAddress decodes one address. Reserved flag bits are ignored.
func ParseAddress(b []byte) (Address, int, error) {
	if len(b) < addressMinLen {
		return Address{}, 0, fmt.Errorf("wire: address: %w", ErrTruncated)
	}
	flags := b[0]
	origin := AddressOrigin(flags & addressOriginMask)
	if flags&addressFlagIPv6 == 0 {
		ip := netip.AddrFrom4([4]byte(b[1:5]))
		port := binary.BigEndian.Uint16(b[5:7])
		return Address{AddrPort: netip.AddrPortFrom(ip, port), Origin: origin}, addressIPv4Len, nil
	}
	if len(b) < addressIPv6Len {
		return Address{}, 0, fmt.Errorf("wire: address: %w", ErrTruncated)
	}
	// A v4-mapped address means IPv4; unmapping keeps comparisons with
	// socket addresses simple.
	ip := netip.AddrFrom16([16]byte(b[1:17])).Unmap()
	port := binary.BigEndian.Uint16(b[17:19])
	return Address{AddrPort: netip.AddrPortFrom(ip, port), Origin: origin}, addressIPv6Len, nil
}

// is6 reports whether a is encoded in the 16-byte form. IPv4-mapped IPv6
// addresses are sent as IPv4 so that Flash sees a family it can reach; an
// invalid (zero) address is sent as the IPv4 wildcard 0.0.0.0.
func (a Address) is6() bool {
	ip := a.AddrPort.Addr()
	return ip.Is6() && !ip.Is4In6()
}

// Len is the encoded length of a: 7 for IPv4, 19 for IPv6.
func (a Address) Len() int {
	if a.is6() {
		return addressIPv6Len
	}
	return addressIPv4Len
}

// Append appends the encoding of a. IPv6 zones are dropped.
func (a Address) Append(b []byte) []byte {
	flags := byte(a.Origin) & addressOriginMask
	ip := a.AddrPort.Addr()
	if a.is6() {
		b = append(b, flags|addressFlagIPv6)
		ip16 := ip.As16()
		b = append(b, ip16[:]...)
	} else {
		b = append(b, flags)
		var ip4 [4]byte
		if ip.IsValid() {
			ip4 = ip.Unmap().As4()
		}
		b = append(b, ip4[:]...)
	}
	return binary.BigEndian.AppendUint16(b, a.AddrPort.Port())
}

func (a Address) String() string {
	return a.AddrPort.String() + "/" + a.Origin.String()
}
