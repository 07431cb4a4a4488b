package script

import (
	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
)

// QoS objects are snapshots: a table with the fields MonaServer and
// Cumulus scripts read (reference §4.6), taken when the property is read.

func newQoSTable(L *lua.LState, q core.QoS) *lua.LTable {
	t := L.CreateTable(0, 6)
	t.RawSetString("lostRate", lua.LNumber(q.LostRate))
	t.RawSetString("byteRate", lua.LNumber(q.ByteRate))
	t.RawSetString("latency", lua.LNumber(q.Latency.Milliseconds()))
	last := 0.0
	if !q.LastSendingTime.IsZero() {
		last = float64(q.LastSendingTime.UnixMilli())
	}
	t.RawSetString("lastSendingTime", lua.LNumber(last))
	t.RawSetString("congestionRate", lua.LNumber(q.CongestionRate))
	t.RawSetString("droppedFrames", lua.LNumber(q.DroppedFrames))
	return t
}

// newTrackQoSTable describes what a publication received on one track.
func newTrackQoSTable(L *lua.LState, s core.TrackStats) *lua.LTable {
	t := newQoSTable(L, core.QoS{DroppedFrames: s.DroppedFrames})
	t.RawSetString("packets", lua.LNumber(s.Packets))
	t.RawSetString("bytes", lua.LNumber(s.Bytes))
	return t
}
