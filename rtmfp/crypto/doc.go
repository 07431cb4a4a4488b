// Package crypto implements the Flash cryptography profile of RTMFP
// (RFC 7425 §4) on top of rtmfp/wire: per-packet AES-128-CBC with a zero IV,
// the Internet checksum, session-ID scrambling, the optional HMAC and
// session-sequence-number modes, Diffie-Hellman in MODP groups 2, 5 and 14,
// session key and nonce derivation, peer IDs, and stateless handshake
// cookies.
//
// Packet layout on the wire (checksum mode, what Flash uses):
//
//	scrambled SSID(4) ‖ AES-128-CBC( checksum(2) ‖ header ‖ chunks ‖ 0xff pad )
//
// The "body" that Seal takes and Open returns is header ‖ chunks (‖ padding
// on Open): everything after the checksum, ready for wire.ParseHeader and
// wire.NewChunkReader.
//
// Diffie-Hellman does not use math/big: modarith.go has Montgomery
// arithmetic on fixed-size limbs (with MULX/ADX assembly on amd64, generated
// by modarith_amd64_gen.go, and portable Go elsewhere or with the purego
// tag), 4-bit fixed windows for y^x and a precomputed table of powers of 2
// per group for key generation. The operations and memory accesses of an
// exponentiation do not depend on the private exponent's value.
//
// Nothing here does I/O. PacketKey and SessionCipher keep per-key scratch
// state and are not safe for concurrent use: give each goroutine its own.
package crypto

import "errors"

// Sentinel errors.
var (
	// ErrPacketSize: too short, or not 4 + a multiple of 16 (+ HMAC) bytes.
	ErrPacketSize = errors.New("bad packet size")
	// ErrChecksum: the decrypted checksum does not match.
	ErrChecksum = errors.New("bad checksum")
	// ErrHMAC: the packet's HMAC does not authenticate it.
	ErrHMAC = errors.New("bad HMAC")
	// ErrReplay: a session sequence number was already received or is too
	// old.
	ErrReplay = errors.New("replayed session sequence number")
	// ErrSequence: the session sequence number is not a valid VLU.
	ErrSequence = errors.New("malformed session sequence number")
	// ErrUnknownSession: no cipher for the packet's session ID.
	ErrUnknownSession = errors.New("unknown session")
	// ErrBlockSize: a buffer to encrypt or decrypt is not a multiple of 16.
	ErrBlockSize = errors.New("length not a multiple of the AES block size")
	// ErrPublicValue: a Diffie-Hellman public value fails validation.
	ErrPublicValue = errors.New("invalid Diffie-Hellman public value")
	// ErrGroup: an unsupported Diffie-Hellman group.
	ErrGroup = errors.New("unsupported Diffie-Hellman group")
	// ErrNegotiation: HMAC or sequence-number negotiation cannot succeed.
	ErrNegotiation = errors.New("keying negotiation failed")
)
