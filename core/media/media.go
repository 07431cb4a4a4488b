// Package media writes the audio and video packets of a publication into
// container formats: FLV and MPEG-TS. Packets are FLV tag bodies, as carried
// by core.MediaPacket.Payload: audio starts with the FLV audio tag header
// (e.g. AAC "af 00 <AudioSpecificConfig>" and "af 01 <raw frame>", MP3
// "2f ..."), video with the FLV video tag header (e.g. H.264
// "17 00 <cts:3> <AVCDecoderConfigurationRecord>" and "17|27 01 <cts:3>
// <length-prefixed NAL units>").
//
// It backs the Lua mona:createMediaWriter(format) of MonaServer apps
// ("mp2t" selects MPEG-TS, anything else FLV). Writers are append-style
// and keep no reference to the payloads they are given; they are not safe
// for concurrent use.
//
// Payloads come from publishers and are untrusted: every length is checked
// and a bad packet yields an error (wrapping one of the Err values) without
// output, never a panic.
package media

import (
	"errors"
	"strings"
)

// Track says which elementary stream a packet belongs to. The values are
// those of MonaServer's writer:write(track, time, packet).
type Track uint8

// Tracks.
const (
	TrackAudio Track = 1
	TrackVideo Track = 2
)

func (t Track) String() string {
	switch t {
	case TrackAudio:
		return "audio"
	case TrackVideo:
		return "video"
	}
	return "unknown"
}

// Errors returned by Write, wrapped with details. Callers test them with
// errors.Is, e.g. to log each kind once per writer.
var (
	// ErrUnknownTrack: the track is neither TrackAudio nor TrackVideo.
	ErrUnknownTrack = errors.New("media: unknown track")
	// ErrUnsupportedCodec: the container cannot carry the packet's codec
	// (MPEG-TS: H.264, AAC and MP3 only).
	ErrUnsupportedCodec = errors.New("media: unsupported codec")
	// ErrMalformed: the payload is truncated, inconsistent or too large
	// for the container.
	ErrMalformed = errors.New("media: malformed packet")
	// ErrMissingConfig: a frame arrived before the codec configuration
	// needed to frame it (an AAC frame before its AudioSpecificConfig).
	ErrMissingConfig = errors.New("media: frame before its codec configuration")
)

// Writer turns publication packets into container bytes.
type Writer interface {
	// Write appends to dst the container bytes for one packet of track at
	// time (milliseconds) and returns the extended slice. The container
	// header is written with the first output. A packet may produce no
	// bytes (codec configurations, which the writer keeps). On error
	// nothing is appended and the writer's state is unchanged.
	Write(dst []byte, track Track, time uint32, payload []byte) ([]byte, error)
}

// NewWriter returns an MPEG-TS writer for "mp2t" (any case) and an FLV
// writer for any other format, as MonaServer does.
func NewWriter(format string) Writer {
	if strings.EqualFold(format, "mp2t") {
		return NewTSWriter()
	}
	return NewFLVWriter()
}
