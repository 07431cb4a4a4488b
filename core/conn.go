package core

import (
	"net/netip"
	"time"

	"nimbus/core/amf"
)

// Conn is the protocol side of one client connection (an RTMFP session with
// its NetConnection flow). Core calls it on the core loop only; every method
// must return quickly without blocking.
type Conn interface {
	// Protocol names the protocol as scripts see it ("RTMFP").
	Protocol() string
	// Address is the current observed (public) address of the client.
	Address() netip.AddrPort
	// Ping is the current round-trip time estimate.
	Ping() time.Duration
	// LastReception is when the last packet arrived from the client.
	LastReception() time.Time
	// Accept completes a connect request with success; info holds the extra
	// members the application adds to the success response.
	Accept(c *Client, info []amf.Member)
	// Reject completes a connect request with an error status (code such as
	// "NetConnection.Connect.Rejected") and then closes the connection.
	Reject(code, description string)
	// Writer is the main writer of the connection; valid after Accept.
	Writer() Writer
	// Close ends the connection from the server side.
	Close()
}

// Writer is one channel from the server to a client (an RTMFP flow). It is
// used on the core loop only and never blocks: writes are queued to the
// session's goroutine. Errors report a closed writer or an unencodable value.
type Writer interface {
	// WriteInvocation calls the client-side method name with args
	// (transaction 0).
	WriteInvocation(name string, args ...any) error
	// WriteResult answers transaction tid with a "_result" carrying args.
	WriteResult(tid float64, args ...any) error
	// WriteError answers transaction tid with an "_error" status object.
	WriteError(tid float64, code, description string) error
	// WriteStatus sends an "onStatus" status object (level "status",
	// "error" or "warning").
	WriteStatus(level, code, description string, extra ...amf.Member) error
	// WriteData sends a data message (the NetStream.send form): a handler
	// name followed by args.
	WriteData(name string, args ...any) error
	// WriteRaw sends bytes as one raw message.
	WriteRaw(b []byte) error
	// NewWriter opens another independent writer to the same client.
	NewWriter() (Writer, error)
	// Reliable reports whether messages are retransmitted until acknowledged.
	Reliable() bool
	// SetReliable chooses between reliable and best-effort delivery.
	SetReliable(bool)
	// Flush sends what is queued now rather than at the end of the batch.
	Flush()
	// Close closes the writer. Closing a connection's main writer closes the
	// connection.
	Close()
	// QoS reports the writer's delivery statistics.
	QoS() QoS
}

// QoS holds delivery statistics of a writer or a publication track, with the
// fields MonaServer and Cumulus scripts read.
type QoS struct {
	LostRate        float64       // fraction of messages lost or abandoned, 0..1
	ByteRate        float64       // bytes per second over the last period
	Latency         time.Duration // one-way estimate (half the RTT)
	LastSendingTime time.Time
	CongestionRate  float64 // fraction of time the sender was window-limited
	DroppedFrames   uint64
}

// MediaKind says what a media packet carries.
type MediaKind uint8

// Media kinds; audio and video use the RTMP message type numbers.
const (
	MediaAudio MediaKind = 8
	MediaVideo MediaKind = 9
	MediaData  MediaKind = 18
)

func (k MediaKind) String() string {
	switch k {
	case MediaAudio:
		return "audio"
	case MediaVideo:
		return "video"
	case MediaData:
		return "data"
	}
	return "unknown"
}

// MediaPacket is one message of a publication. Once pushed it is shared by
// every listener and must not be modified.
type MediaPacket struct {
	Kind MediaKind
	// Time is the media timestamp in milliseconds.
	Time uint32
	// Payload is the FLV tag body for audio and video. For data it is the
	// AMF-encoded message body (handler name then arguments).
	Payload []byte
	// AMF3 marks a data payload sent as an AMF3 data message (Flash 0x0f),
	// whose body starts with a format byte.
	AMF3 bool
}

// Subscriber is the protocol side of a listener: a stream playing a
// publication. Called on the core loop; must not block. WriteMedia may drop
// packets when the client cannot keep up (counting them in QoS).
type Subscriber interface {
	// Started reports that the subscription was accepted.
	Started(l *Listener)
	// Failed reports that the subscription was refused.
	Failed(code, description string)
	// PublishNotify reports that the publication (re)started.
	PublishNotify(p *Publication)
	// UnpublishNotify reports that the publication stopped; the listener
	// stays attached and waits for the next publisher.
	UnpublishNotify(p *Publication)
	// WriteMedia delivers one packet.
	WriteMedia(pkt *MediaPacket)
	// Flush ends a batch of packets (publication:flush in scripts).
	Flush()
}

// Publisher is the protocol side of a client's publication.
type Publisher interface {
	// Started reports that the publication was accepted.
	Started(p *Publication)
	// Failed reports that the publication was refused.
	Failed(code, description string)
	// Stopped reports that the server ended the publication.
	Stopped(code, description string)
}

// GroupConn is the protocol side of a client's NetGroup membership (the
// RTMFP "GC" flow and its return flow).
type GroupConn interface {
	// WriteNeighbour tells the member about a peer it should connect to.
	WriteNeighbour(peerID PeerID)
	// Close ends the membership from the server side.
	Close()
}
