// Package wire holds the byte layouts of RTMFP (RFC 7016) as spoken by the
// Flash cryptography profile (RFC 7425): variable-length unsigned integers,
// fields, options, addresses, the packet header that follows the checksum,
// and one file per chunk type.
//
// The package is pure: no cryptography, no I/O, no allocation on the parse
// path beyond what a chunk's own structure needs (lengths are attacker
// controlled, so nothing is ever allocated in proportion to a decoded length,
// only in proportion to the input actually present).
//
// Conventions, shared by every chunk type X:
//
//   - ParseX(b) (X, int, error) decodes a chunk value (the bytes after the
//     3-byte chunk header) and reports how many bytes it consumed. Decoded
//     byte slices alias b; copy them if b is reused.
//   - (X) Append(b) []byte appends the whole chunk, header included.
//   - (X) Len() int is the length Append adds, header included.
//
// A chunk value is at most 65535 bytes (the header's length field is 16
// bits); Append does not check this because packets are capped far below it
// (MaxPacketSize).
package wire

import "errors"

// Sentinel errors. Parse errors wrap one of these with the name of the part
// that failed, e.g. "wire: rhello: cookie: truncated input".
var (
	// ErrTruncated reports input that ends before the structure does.
	ErrTruncated = errors.New("truncated input")
	// ErrVLUTooLong reports a VLU of more than MaxVLULen bytes.
	ErrVLUTooLong = errors.New("VLU longer than 10 bytes")
	// ErrVLUOverflow reports a VLU whose value does not fit in 64 bits.
	ErrVLUOverflow = errors.New("VLU overflows 64 bits")
	// ErrMalformed reports input that is complete but structurally invalid.
	ErrMalformed = errors.New("malformed")
	// ErrNoMarker reports an option list that is not terminated by a marker.
	ErrNoMarker = errors.New("option list without end marker")
)

// Size limits used by servers in the Flash tradition.
const (
	// MaxPacketSize is the largest UDP payload Cumulus, MonaServer and
	// librtmfp send or accept; larger packets may be ignored by clients.
	MaxPacketSize = 1192
	// ChunkHeaderLen is the length of a chunk's type and length fields.
	ChunkHeaderLen = 3
	// MaxHeaderLen is the longest packet header: flags and both timestamps.
	MaxHeaderLen = 5
	// MaxChunkValueLen is the largest value a chunk length field can describe.
	MaxChunkValueLen = 0xffff
)
