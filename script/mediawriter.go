package script

import (
	"errors"
	"math"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core/media"
)

const (
	mediaWriterTypeName = "MediaWriter"
	// mediaWriterKeepMax is the largest output buffer a writer keeps
	// between calls; a bigger one (a huge frame) is released.
	mediaWriterKeepMax = 1 << 20
)

// luaMediaWriter is the object of mona:createMediaWriter(format) (M1,
// reference §4.1): write(track, time, packet) turns publication packets
// into FLV or MPEG-TS bytes.
type luaMediaWriter struct {
	object
	w      media.Writer
	format string
	out    []byte // reused output buffer
	logged uint8  // mediaErrorKinds bits already logged
}

// mediaErrorKinds are the errors a writer logs once each: a publisher
// sending an unsupported codec or garbage would otherwise log per packet.
var mediaErrorKinds = [...]error{media.ErrUnknownTrack, media.ErrUnsupportedCodec, media.ErrMalformed, media.ErrMissingConfig}

// registerMediaWriter creates the MediaWriter kind and returns
// mona:createMediaWriter(format): "mp2t" (any case) → MPEG-TS, anything
// else → FLV, as in MonaServer.
func (h *Host) registerMediaWriter() lua.LGFunction {
	var k *objectKind
	k = h.newKind(mediaWriterTypeName, map[string]lua.LGFunction{
		"write": func(L *lua.LState) int { return h.mediaWriterWrite(L, checkMediaWriter(k, L)) },
	})
	return func(L *lua.LState) int {
		format := L.OptString(h.args(L), "")
		mw := &luaMediaWriter{w: media.NewWriter(format), format: format}
		k.wrap(L, mw)
		L.Push(mw.ud)
		return 1
	}
}

func checkMediaWriter(k *objectKind, L *lua.LState) *luaMediaWriter {
	return k.check(L, 1).(*luaMediaWriter)
}

// mediaWriterWrite: writer:write(track, time, packet) → the container
// bytes (headers before the first ones), "" when the packet produces none.
// A packet the container cannot take is skipped and logged (once per
// writer and kind of error).
func (h *Host) mediaWriterWrite(L *lua.LState, mw *luaMediaWriter) int {
	track := luaTrack(float64(L.CheckNumber(2)))
	time := luaUint32(float64(L.CheckNumber(3)))
	packet := L.CheckString(4)
	out, err := mw.w.Write(mw.out[:0], track, time, []byte(packet))
	if err != nil {
		h.logMediaError(L, mw, err)
	}
	L.Push(lua.LString(out))
	if cap(out) > mediaWriterKeepMax {
		out = nil
	}
	mw.out = out
	return 1
}

func (h *Host) logMediaError(L *lua.LState, mw *luaMediaWriter, err error) {
	for i, kind := range mediaErrorKinds {
		if errors.Is(err, kind) {
			if mw.logged&(1<<i) != 0 {
				return
			}
			mw.logged |= 1 << i
			break
		}
	}
	attrs := []any{"err", err, "format", mw.format}
	if pos, a := h.callerPosition(L, 1); pos != "" {
		attrs = append(attrs, "lua", pos)
		if a != nil {
			attrs = append(attrs, "app", appLabel(a.path))
		}
	}
	h.log.Warn("script: media writer skipped a packet (logged once per writer and kind)", attrs...)
}

// luaTrack converts a track number (1 audio, 2 video); the writer rejects
// other values, and those that are no track number at all become 0.
func luaTrack(n float64) media.Track {
	if n != math.Trunc(n) || n < 0 || n > math.MaxUint8 {
		return 0
	}
	return media.Track(n)
}

// luaUint32 converts a Lua number to a media time the way a C cast of a
// non-negative integer would: modulo 2^32.
func luaUint32(n float64) uint32 {
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return 0
	}
	return uint32(int64(math.Mod(math.Trunc(n), 1<<32)))
}
