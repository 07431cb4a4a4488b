package media

import (
	"encoding/binary"
	"fmt"
)

// FLV layout (Adobe FLV file format, version 1).
const (
	flvHeaderLen  = 9
	flvTagHdrLen  = 11
	flvTagAudio   = 8
	flvTagVideo   = 9
	flvMaxTagBody = 1<<24 - 1
	// The header announces both audio and video: the writer cannot know
	// which tracks a publication will carry when it writes the header
	// (MonaServer writes the same flags). Players ignore a missing track.
	flvFlagsAudioVideo = 0x05
)

// FLVWriter writes an FLV stream: the file header with the first output,
// then one tag per packet. Payloads are copied as tag bodies whatever
// their codec.
type FLVWriter struct {
	headerDone bool
}

// NewFLVWriter returns a writer whose first output starts with the FLV
// header.
func NewFLVWriter() *FLVWriter { return &FLVWriter{} }

// Write appends one FLV tag (preceded by the file header on the first
// call that produces output).
func (w *FLVWriter) Write(dst []byte, track Track, time uint32, payload []byte) ([]byte, error) {
	var tagType byte
	switch track {
	case TrackAudio:
		tagType = flvTagAudio
	case TrackVideo:
		tagType = flvTagVideo
	default:
		return dst, fmt.Errorf("flv: track %d: %w", track, ErrUnknownTrack)
	}
	if len(payload) == 0 {
		return dst, fmt.Errorf("flv: %s tag: empty body: %w", track, ErrMalformed)
	}
	if len(payload) > flvMaxTagBody {
		return dst, fmt.Errorf("flv: %s tag: body of %d bytes exceeds 24 bits: %w", track, len(payload), ErrMalformed)
	}
	if !w.headerDone {
		w.headerDone = true
		dst = appendFLVHeader(dst)
	}
	tag := flvTag{kind: tagType, time: time, body: payload}
	return tag.Append(dst), nil
}

// appendFLVHeader appends the 9-byte file header and PreviousTagSize0.
func appendFLVHeader(b []byte) []byte {
	b = append(b, 'F', 'L', 'V', 1, flvFlagsAudioVideo, 0, 0, 0, flvHeaderLen)
	return append(b, 0, 0, 0, 0)
}

// flvTag is one tag followed by its PreviousTagSize field.
type flvTag struct {
	kind byte
	time uint32
	body []byte
}

// Len is the encoded size, PreviousTagSize included.
func (t flvTag) Len() int { return flvTagHdrLen + len(t.body) + 4 }

func (t flvTag) Append(b []byte) []byte {
	n := len(t.body)
	b = append(b, t.kind, byte(n>>16), byte(n>>8), byte(n),
		// 24 low bits of the time, then the extended (high) byte.
		byte(t.time>>16), byte(t.time>>8), byte(t.time), byte(t.time>>24),
		0, 0, 0) // stream id
	b = append(b, t.body...)
	return binary.BigEndian.AppendUint32(b, uint32(flvTagHdrLen+n))
}
