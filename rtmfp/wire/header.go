package wire

import (
	"encoding/binary"
	"fmt"
)

// Packet header flag bits (the byte after the checksum).
const (
	// FlagTimeCritical (TC): the sender is sending time-critical data.
	FlagTimeCritical = 0x80
	// FlagTimeCriticalReverse (TCR): the sender recently received
	// time-critical data on another session.
	FlagTimeCriticalReverse = 0x40
	// FlagTimestamp (TS): a 16-bit timestamp follows the flags.
	FlagTimestamp = 0x08
	// FlagTimestampEcho (TSE): a 16-bit timestamp echo follows.
	FlagTimestampEcho = 0x04
	// ModeMask selects the mode bits of the flags byte.
	ModeMask = 0x03
)

// Mode is the MOD field of the header flags.
type Mode uint8

// Header modes. Receivers drop ModeInvalid and their own role's mode.
const (
	ModeInvalid   Mode = 0
	ModeInitiator Mode = 1
	ModeResponder Mode = 2
	ModeStartup   Mode = 3
)

func (m Mode) String() string {
	switch m {
	case ModeInvalid:
		return "invalid"
	case ModeInitiator:
		return "initiator"
	case ModeResponder:
		return "responder"
	}
	return "startup"
}

// Header is the plaintext packet header that follows the checksum:
// flags(1) ‖ [timestamp(2)] ‖ [timestamp echo(2)]. Flags is kept verbatim
// (reserved bits included); its FlagTimestamp and FlagTimestampEcho bits
// decide whether Timestamp and TimestampEcho are on the wire.
type Header struct {
	Flags         uint8
	Timestamp     uint16
	TimestampEcho uint16
}

// NewHeader builds a header with the given mode, timestamp and optional
// timestamp echo.
func NewHeader(mode Mode, ts uint16, tse uint16, hasEcho bool) Header {
	h := Header{Flags: uint8(mode)&ModeMask | FlagTimestamp, Timestamp: ts}
	if hasEcho {
		h.Flags |= FlagTimestampEcho
		h.TimestampEcho = tse
	}
	return h
}

// Mode returns the MOD bits.
func (h Header) Mode() Mode { return Mode(h.Flags & ModeMask) }

// HasTimestamp reports whether the TS field is present.
func (h Header) HasTimestamp() bool { return h.Flags&FlagTimestamp != 0 }

// HasTimestampEcho reports whether the TSE field is present.
func (h Header) HasTimestampEcho() bool { return h.Flags&FlagTimestampEcho != 0 }

// TimeCritical reports the TC bit.
func (h Header) TimeCritical() bool { return h.Flags&FlagTimeCritical != 0 }

// TimeCriticalReverse reports the TCR bit.
func (h Header) TimeCriticalReverse() bool { return h.Flags&FlagTimeCriticalReverse != 0 }

// ParseHeader decodes the header at the start of a decrypted packet body
// (after the checksum). It does not judge the mode: that is the session
// layer's business.
func ParseHeader(b []byte) (Header, int, error) {
	if len(b) < 1 {
		return Header{}, 0, fmt.Errorf("wire: header flags: %w", ErrTruncated)
	}
	h := Header{Flags: b[0]}
	n := 1
	if h.HasTimestamp() {
		if len(b) < n+2 {
			return Header{}, 0, fmt.Errorf("wire: header timestamp: %w", ErrTruncated)
		}
		h.Timestamp = binary.BigEndian.Uint16(b[n:])
		n += 2
	}
	if h.HasTimestampEcho() {
		if len(b) < n+2 {
			return Header{}, 0, fmt.Errorf("wire: header timestamp echo: %w", ErrTruncated)
		}
		h.TimestampEcho = binary.BigEndian.Uint16(b[n:])
		n += 2
	}
	return h, n, nil
}

// Len is the encoded length of h (1, 3 or 5).
func (h Header) Len() int {
	n := 1
	if h.HasTimestamp() {
		n += 2
	}
	if h.HasTimestampEcho() {
		n += 2
	}
	return n
}

// Append appends the encoding of h.
func (h Header) Append(b []byte) []byte {
	b = append(b, h.Flags)
	if h.HasTimestamp() {
		b = binary.BigEndian.AppendUint16(b, h.Timestamp)
	}
	if h.HasTimestampEcho() {
		b = binary.BigEndian.AppendUint16(b, h.TimestampEcho)
	}
	return b
}
