package message

import (
	"encoding/binary"
	"fmt"
)

// Event is a user control event type.
type Event uint16

// User control events used over RTMFP (RFC 7425 §5.3 adds 34 and 41).
const (
	EventStreamBegin     Event = 0  // stream ID
	EventStreamEOF       Event = 1  // stream ID
	EventStreamDry       Event = 2  // stream ID
	EventSetBufferLength Event = 3  // stream ID, buffer length in ms
	EventStreamRecorded  Event = 4  // stream ID
	EventPingRequest     Event = 6  // timestamp (RTMP only)
	EventPingResponse    Event = 7  // timestamp (RTMP only)
	EventFlowSync        Event = 34 // sync ID, flow count
	EventSetKeepalive    Event = 41 // server keepalive ms, peer keepalive ms
)

func (e Event) String() string {
	switch e {
	case EventStreamBegin:
		return "stream-begin"
	case EventStreamEOF:
		return "stream-eof"
	case EventStreamDry:
		return "stream-dry"
	case EventSetBufferLength:
		return "set-buffer-length"
	case EventStreamRecorded:
		return "stream-is-recorded"
	case EventPingRequest:
		return "ping-request"
	case EventPingResponse:
		return "ping-response"
	case EventFlowSync:
		return "flow-sync"
	case EventSetKeepalive:
		return "set-keepalive"
	}
	return fmt.Sprintf("event(%d)", uint16(e))
}

// params is the number of u32 parameters of a known event; -1 for events
// this package does not know, whose data is kept raw.
func (e Event) params() int {
	switch e {
	case EventStreamBegin, EventStreamEOF, EventStreamDry, EventStreamRecorded,
		EventPingRequest, EventPingResponse:
		return 1
	case EventSetBufferLength, EventFlowSync, EventSetKeepalive:
		return 2
	}
	return -1
}

// UserControl is a user control message (type 0x04): u16 event ‖ data.
type UserControl struct {
	Time  uint32
	Event Event
	// A and B are the event's u32 parameters: the stream ID (and buffer
	// length for Set Buffer Length), sync ID and flow count for Flow Sync,
	// server and peer keepalive periods in ms for Set Keepalive. Unused
	// parameters are zero.
	A, B uint32
	// Extra holds the data of an unknown event, and anything that follows
	// the parameters of a known one; it aliases the parsed input.
	Extra []byte
}

// StreamBegin returns the Stream Begin event for a stream.
func StreamBegin(stream uint32) UserControl {
	return UserControl{Event: EventStreamBegin, A: stream}
}

// StreamEOF returns the Stream EOF event for a stream.
func StreamEOF(stream uint32) UserControl {
	return UserControl{Event: EventStreamEOF, A: stream}
}

// SetKeepalive returns the Set Keepalive Timers event, periods in ms.
func SetKeepalive(serverMillis, peerMillis uint32) UserControl {
	return UserControl{Event: EventSetKeepalive, A: serverMillis, B: peerMillis}
}

// FlowSync returns the Flow Sync event: delivery on each of count flows
// waits at this barrier until all of them reached syncID.
func FlowSync(syncID, count uint32) UserControl {
	return UserControl{Event: EventFlowSync, A: syncID, B: count}
}

// ParseUserControl decodes a whole user control message (header included).
// It consumes all of b.
func ParseUserControl(b []byte) (UserControl, int, error) {
	m, n, err := ParseMessage(b)
	if err != nil {
		return UserControl{}, 0, fmt.Errorf("flash: user control: %w", err)
	}
	if m.Type != TypeUserControl {
		return UserControl{}, 0, fmt.Errorf("flash: user control: %v: %w", m.Type, ErrType)
	}
	p := m.Payload
	if len(p) < 2 {
		return UserControl{}, 0, fmt.Errorf("flash: user control: event: %w", ErrTruncated)
	}
	u := UserControl{Time: m.Time, Event: Event(binary.BigEndian.Uint16(p))}
	p = p[2:]
	params := u.Event.params()
	if len(p) < 4*params {
		return UserControl{}, 0, fmt.Errorf("flash: user control: %v parameters: %w", u.Event, ErrTruncated)
	}
	if params >= 1 {
		u.A = binary.BigEndian.Uint32(p)
		p = p[4:]
	}
	if params >= 2 {
		u.B = binary.BigEndian.Uint32(p)
		p = p[4:]
	}
	if len(p) > 0 {
		u.Extra = p
	}
	return u, n, nil
}

// Len is the encoded length of u.
func (u UserControl) Len() int {
	return HeaderLen + 2 + 4*max(u.Event.params(), 0) + len(u.Extra)
}

// Append appends the encoding of u.
func (u UserControl) Append(b []byte) []byte {
	b = appendHeader(b, TypeUserControl, u.Time)
	b = binary.BigEndian.AppendUint16(b, uint16(u.Event))
	params := u.Event.params()
	if params >= 1 {
		b = binary.BigEndian.AppendUint32(b, u.A)
	}
	if params >= 2 {
		b = binary.BigEndian.AppendUint32(b, u.B)
	}
	return append(b, u.Extra...)
}
