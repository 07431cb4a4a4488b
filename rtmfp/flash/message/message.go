package message

import (
	"encoding/binary"
	"fmt"
)

// Type is the first byte of a Flash message: the RTMP message type number.
type Type uint8

// Message types used over RTMFP.
const (
	TypeUserControl Type = 0x04
	TypeAudio       Type = 0x08
	TypeVideo       Type = 0x09
	TypeDataAMF3    Type = 0x0f // "data-ex": format byte 00, then AMF0 values
	TypeCommandAMF3 Type = 0x11 // "command-ex": format byte 00, then AMF0 values
	TypeDataAMF0    Type = 0x12
	TypeCommandAMF0 Type = 0x14
)

func (t Type) String() string {
	switch t {
	case TypeUserControl:
		return "user-control"
	case TypeAudio:
		return "audio"
	case TypeVideo:
		return "video"
	case TypeDataAMF3:
		return "data-amf3"
	case TypeCommandAMF3:
		return "command-amf3"
	case TypeDataAMF0:
		return "data-amf0"
	case TypeCommandAMF0:
		return "command-amf0"
	}
	return fmt.Sprintf("type(0x%02x)", uint8(t))
}

// HeaderLen is the length of the type and timestamp that start a message.
const HeaderLen = 5

// Message is one Flash message as carried by a flow message of a "TC" flow:
// type(1) ‖ timestamp(4, big-endian milliseconds) ‖ payload. The RTMP chunk
// stream and message stream IDs do not exist over RTMFP: the stream comes
// from the flow's metadata.
type Message struct {
	Type Type
	Time uint32
	// Payload is the rest of the flow message; it aliases the parsed input.
	Payload []byte
}

// ParseMessage splits a flow message into type, timestamp and payload. It
// consumes all of b.
func ParseMessage(b []byte) (Message, int, error) {
	if len(b) < HeaderLen {
		return Message{}, 0, fmt.Errorf("flash: message header: %w", ErrTruncated)
	}
	m := Message{
		Type:    Type(b[0]),
		Time:    binary.BigEndian.Uint32(b[1:5]),
		Payload: b[HeaderLen:len(b):len(b)],
	}
	return m, len(b), nil
}

// Len is the encoded length of m.
func (m Message) Len() int { return HeaderLen + len(m.Payload) }

// Append appends the encoding of m.
func (m Message) Append(b []byte) []byte {
	b = appendHeader(b, m.Type, m.Time)
	return append(b, m.Payload...)
}

func appendHeader(b []byte, t Type, time uint32) []byte {
	b = append(b, byte(t))
	return binary.BigEndian.AppendUint32(b, time)
}

// IsKeyframe reports whether an FLV video tag body starts a keyframe
// (frame type 1 in the high nibble of its first byte).
func IsKeyframe(video []byte) bool { return len(video) > 0 && video[0]>>4 == 1 }

// IsVideoConfig reports whether an FLV video tag body is an AVC or HEVC
// sequence header (codec 7 or 12, packet type 0): the decoder configuration
// that must be delivered reliably.
func IsVideoConfig(video []byte) bool {
	return len(video) > 1 && (video[0]&0x0f == 7 || video[0]&0x0f == 12) && video[1] == 0
}

// IsAudioConfig reports whether an FLV audio tag body is an AAC sequence
// header (sound format 10, packet type 0).
func IsAudioConfig(audio []byte) bool { return len(audio) > 1 && audio[0]>>4 == 10 && audio[1] == 0 }
