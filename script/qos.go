package script

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
)

// QoS objects (reference §4.6) are tables with the fields MonaServer and
// Cumulus scripts read, refreshed each time the property is read. Each
// object keeps one table per track, as MonaServer hands out the same
// QualityOfService object every time: fields a script stores on it survive
// (MonaStatus keeps qos.lastLatency between calls to estimate congestion).

// qosTables holds the QoS tables of one object: audio, video and data (a
// writer uses the first).
type qosTables [3]*lua.LTable

// qosIndex maps a media kind to its slot in qosTables.
func qosIndex(k core.MediaKind) int {
	switch k {
	case core.MediaVideo:
		return 1
	case core.MediaData:
		return 2
	}
	return 0
}

// get returns the table of slot i, created on first use, refreshed with q.
func (qt *qosTables) get(L *lua.LState, i int, q core.QoS) *lua.LTable {
	t := qt[i]
	if t == nil {
		t = L.CreateTable(0, 8)
		qt[i] = t
	}
	fillQoS(t, q)
	return t
}

// track is get for what a publication received on one track; latency is
// the publisher's one-way estimate (0 for a script publication).
func (qt *qosTables) track(L *lua.LState, i int, s core.TrackStats, latency time.Duration) *lua.LTable {
	t := qt.get(L, i, core.QoS{DroppedFrames: s.DroppedFrames, ByteRate: s.ByteRate(time.Now()),
		LastSendingTime: s.LastPacket, Latency: latency})
	t.RawSetString("packets", lua.LNumber(s.Packets))
	t.RawSetString("bytes", lua.LNumber(s.Bytes))
	return t
}

func fillQoS(t *lua.LTable, q core.QoS) {
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
}
