package media

import "fmt"

// FLV codec identifiers read by the TS writer.
const (
	flvVideoAVC     = 7
	flvFrameKey     = 1
	flvFrameCommand = 5 // video info/command frame: no picture

	avcPacketConfig = 0
	avcPacketNALU   = 1
	avcPacketEnd    = 2

	flvSoundMP3     = 2
	flvSoundAAC     = 10
	flvSoundMP38kHz = 14
	flvRate44kHz    = 3

	aacPacketConfig = 0
	aacPacketRaw    = 1
)

const (
	// tsDelay is how far PTS and DTS run ahead of the PCR (700 ms at
	// 90 kHz): the time a decoder buffers before presenting, so that no
	// frame is late on arrival.
	tsDelay = 700 * 90
	// tablesInterval is the longest media time (ms) between two PAT/PMT
	// pairs; they are also written before every video keyframe, so that
	// a reader can start there.
	tablesInterval = 250
	// timeRestart is a backward jump of media time (ms) taken for a new
	// clock (a new publisher), which restarts the tables interval.
	timeRestart = 10_000
	// pesKeepMax is the largest scratch buffer kept between packets.
	pesKeepMax = 1 << 20
)

// TSWriter writes an MPEG-TS stream of one program with up to one H.264
// stream (PID 0x100) and one AAC or MP3 stream (PID 0x101), PMT on PID
// 0x1000. The PMT lists the streams whose codec has been seen so far; a
// new stream or codec bumps its version. PCR is carried on the video PID
// once video is known, on the audio PID before.
//
// H.264 frames are converted to Annex B with an access unit delimiter
// first, and the parameter sets of the last AVCDecoderConfigurationRecord
// before each keyframe that lacks them. AAC frames get ADTS headers built
// from the last AudioSpecificConfig. Configuration packets produce no
// output.
type TSWriter struct {
	pes    []byte // scratch: the PES packet being written
	params []byte // SPS and PPS of the last AVC config record, Annex B
	// nalLengthSize is the NAL length prefix size of the AVC config
	// record (4, the usual value, before one is seen).
	nalLengthSize int
	aac           aacConfig
	hasAAC        bool

	videoType, audioType byte // PMT stream types, 0 while unknown
	pmtVersion           uint8
	pmtChanged           bool // the stream set changed since the tables were written
	tablesDone           bool
	tablesTime           uint32 // media time of the last tables

	ccPAT, ccPMT, ccVideo, ccAudio uint8
}

// NewTSWriter returns a writer whose first output starts with a PAT and
// a PMT.
func NewTSWriter() *TSWriter { return &TSWriter{nalLengthSize: 4} }

// Write appends the TS packets of one packet (preceded by the PAT and PMT
// when they are due).
func (w *TSWriter) Write(dst []byte, track Track, time uint32, payload []byte) ([]byte, error) {
	var err error
	switch track {
	case TrackVideo:
		dst, err = w.writeVideo(dst, time, payload)
	case TrackAudio:
		dst, err = w.writeAudio(dst, time, payload)
	default:
		err = fmt.Errorf("track %d: %w", track, ErrUnknownTrack)
	}
	if err != nil {
		return dst, fmt.Errorf("mpegts: %w", err)
	}
	return dst, nil
}

func (w *TSWriter) writeVideo(dst []byte, time uint32, payload []byte) ([]byte, error) {
	if len(payload) == 0 {
		return dst, fmt.Errorf("video: empty packet: %w", ErrMalformed)
	}
	h := payload[0]
	if h&0x80 != 0 {
		return dst, fmt.Errorf("video: extended (E-RTMP) header %#02x: %w", h, ErrUnsupportedCodec)
	}
	if codec := h & 0x0f; codec != flvVideoAVC {
		return dst, fmt.Errorf("video: codec id %d (H.264 only): %w", codec, ErrUnsupportedCodec)
	}
	frame := h >> 4
	if frame == flvFrameCommand {
		return dst, nil
	}
	if len(payload) < 5 {
		return dst, fmt.Errorf("avc: truncated packet header: %w", ErrMalformed)
	}
	// Composition time offset: signed 24 bits.
	cts := int32(uint32(payload[2])<<24|uint32(payload[3])<<16|uint32(payload[4])<<8) >> 8
	body := payload[5:]
	switch payload[1] {
	case avcPacketConfig:
		return dst, w.setAVCConfig(body)
	case avcPacketEnd:
		return dst, nil
	case avcPacketNALU:
	default:
		return dst, fmt.Errorf("avc: packet type %d: %w", payload[1], ErrMalformed)
	}

	// Validate every NAL unit before writing anything; drop delimiters
	// (one is written first) and empty units.
	size, units, hasSPS := 0, 0, false
	for rest := body; len(rest) > 0; {
		nal, n, err := parseNALUnit(rest, w.nalLengthSize)
		if err != nil {
			return dst, err
		}
		rest = rest[n:]
		if len(nal) == 0 || nal[0]&0x1f == nalTypeAUD {
			continue
		}
		units++
		size += len(startCode) + len(nal)
		hasSPS = hasSPS || nal[0]&0x1f == nalTypeSPS
	}
	if units == 0 {
		return dst, nil
	}
	keyframe := frame == flvFrameKey
	withParams := keyframe && !hasSPS
	size += len(startCode) + len(audNAL)
	if withParams {
		size += len(w.params)
	}

	dts := uint64(time)*90 + tsDelay
	hdr := pesHeader{
		streamID:   streamIDVideo,
		pts:        dts + uint64(int64(cts)*90), // wraps modulo 2^33 when encoded
		dts:        dts,
		hasDTS:     cts != 0,
		payloadLen: size,
	}
	pes := hdr.Append(w.pes[:0])
	pes = appendAnnexB(pes, audNAL[:])
	if withParams {
		pes = append(pes, w.params...)
	}
	for rest := body; len(rest) > 0; {
		nal, n, _ := parseNALUnit(rest, w.nalLengthSize)
		rest = rest[n:]
		if len(nal) == 0 || nal[0]&0x1f == nalTypeAUD {
			continue
		}
		pes = appendAnnexB(pes, nal)
	}
	w.pes = pes
	w.setStream(&w.videoType, streamTypeH264)
	return w.appendPES(dst, time, pidVideo, &w.ccVideo, keyframe), nil
}

// setAVCConfig keeps the parameter sets and NAL length size of a config
// record.
func (w *TSWriter) setAVCConfig(record []byte) error {
	cfg, _, err := parseAVCConfig(record)
	if err != nil {
		return err
	}
	w.params = w.params[:0]
	for _, p := range cfg.params {
		w.params = appendAnnexB(w.params, p)
	}
	w.nalLengthSize = cfg.lengthSize
	w.setStream(&w.videoType, streamTypeH264)
	return nil
}

func (w *TSWriter) writeAudio(dst []byte, time uint32, payload []byte) ([]byte, error) {
	if len(payload) == 0 {
		return dst, fmt.Errorf("audio: empty packet: %w", ErrMalformed)
	}
	hdr := pesHeader{streamID: streamIDAudio, pts: uint64(time)*90 + tsDelay}
	var streamType byte
	switch format := payload[0] >> 4; format {
	case flvSoundAAC:
		if len(payload) < 2 {
			return dst, fmt.Errorf("aac: truncated packet header: %w", ErrMalformed)
		}
		raw := payload[2:]
		switch payload[1] {
		case aacPacketConfig:
			cfg, _, err := parseAudioSpecificConfig(raw)
			if err != nil {
				return dst, err
			}
			w.aac, w.hasAAC = cfg, true
			w.setStream(&w.audioType, streamTypeAACADTS)
			return dst, nil
		case aacPacketRaw:
		default:
			return dst, fmt.Errorf("aac: packet type %d: %w", payload[1], ErrMalformed)
		}
		if !w.hasAAC {
			return dst, fmt.Errorf("aac: raw frame: %w", ErrMissingConfig)
		}
		if len(raw) == 0 {
			return dst, nil
		}
		if len(raw)+adtsHeaderLen > adtsMaxFrameLen {
			return dst, fmt.Errorf("aac: frame of %d bytes exceeds ADTS: %w", len(raw), ErrMalformed)
		}
		adts := adtsHeader{cfg: w.aac, payloadLen: len(raw)}
		hdr.payloadLen = adts.Len() + len(raw)
		w.pes = append(adts.Append(hdr.Append(w.pes[:0])), raw...)
		streamType = streamTypeAACADTS
	case flvSoundMP3, flvSoundMP38kHz:
		raw := payload[1:]
		if len(raw) == 0 {
			return dst, nil
		}
		hdr.payloadLen = len(raw)
		if hdr.packetLen() == 0 {
			return dst, fmt.Errorf("mp3: %d bytes exceed a PES packet: %w", len(raw), ErrMalformed)
		}
		w.pes = append(hdr.Append(w.pes[:0]), raw...)
		streamType = mp3StreamType(payload[0], raw)
	default:
		return dst, fmt.Errorf("audio: sound format %d (AAC and MP3 only): %w", format, ErrUnsupportedCodec)
	}
	w.setStream(&w.audioType, streamType)
	return w.appendPES(dst, time, pidAudio, &w.ccAudio, false), nil
}

// mp3StreamType tells MPEG-1 audio (32-48 kHz) from the MPEG-2/2.5 lower
// rates: by the frame header's version bits, or else by the FLV rate.
func mp3StreamType(flvHeader byte, frame []byte) byte {
	if len(frame) >= 2 && frame[0] == 0xff && frame[1]&0xe0 == 0xe0 {
		if frame[1]>>3&3 == 3 {
			return streamTypeMPEG1Audio
		}
		return streamTypeMPEG2Audio
	}
	if flvHeader>>4 != flvSoundMP38kHz && flvHeader>>2&3 == flvRate44kHz {
		return streamTypeMPEG1Audio
	}
	return streamTypeMPEG2Audio
}

// setStream records a stream's type; a change is announced by a new PMT
// version.
func (w *TSWriter) setStream(field *byte, streamType byte) {
	if *field == streamType {
		return
	}
	*field = streamType
	if w.tablesDone && !w.pmtChanged {
		w.pmtVersion = (w.pmtVersion + 1) & 0x1f
	}
	w.pmtChanged = true
}

func (w *TSWriter) pcrPID() uint16 {
	if w.videoType != 0 {
		return pidVideo
	}
	return pidAudio
}

// appendPES writes w.pes on pid, after the tables when they are due.
func (w *TSWriter) appendPES(dst []byte, time uint32, pid uint16, cc *uint8, keyframe bool) []byte {
	if d := int32(time - w.tablesTime); !w.tablesDone || w.pmtChanged || keyframe ||
		d >= tablesInterval || d <= -timeRestart {
		dst = w.appendTables(dst, time)
	}
	p := tsPackets{
		pid:          pid,
		payload:      w.pes,
		randomAccess: keyframe,
		hasPCR:       pid == w.pcrPID(),
		pcr:          uint64(time) * 90,
	}
	dst = p.Append(dst, cc)
	if cap(w.pes) > pesKeepMax {
		w.pes = nil // one huge frame should not pin its buffer
	}
	return dst
}

// appendTables writes the PAT and the PMT, one packet each.
func (w *TSWriter) appendTables(dst []byte, time uint32) []byte {
	var buf [tsPayloadMax]byte
	pmt := pmtSection{version: w.pmtVersion, pcrPID: w.pcrPID()}
	if w.videoType != 0 {
		pmt.streams[pmt.count] = pmtStream{w.videoType, pidVideo}
		pmt.count++
	}
	if w.audioType != 0 {
		pmt.streams[pmt.count] = pmtStream{w.audioType, pidAudio}
		pmt.count++
	}
	// pointer_field 0, the section, then 0xff up to the packet's end.
	sec := patSection{pmtPID: pidPMT}.Append(append(buf[:0], 0))
	sec = append(sec, stuffing[:tsPayloadMax-len(sec)]...)
	dst = tsPackets{pid: pidPAT, payload: sec}.Append(dst, &w.ccPAT)
	sec = pmt.Append(append(buf[:0], 0))
	sec = append(sec, stuffing[:tsPayloadMax-len(sec)]...)
	dst = tsPackets{pid: pidPMT, payload: sec}.Append(dst, &w.ccPMT)
	w.tablesDone, w.pmtChanged, w.tablesTime = true, false, time
	return dst
}
