package rtmfp

import (
	"net/netip"

	"nimbus/rtmfp/wire"
)

// Handler receives an endpoint's sessions and the handshake decisions that
// belong to the application.
type Handler interface {
	// NewSession is called on the session's loop when a session is
	// established, for both roles (responder: after RIKeying is sent;
	// initiator: this is what Dial waits for). The returned handler
	// receives the session's events; nil ignores them.
	NewSession(s *Session) SessionHandler
	// Rendezvous is called (on the socket reader, must not block) for an
	// IHello whose EPD is a peer ID other than ours, from the proven
	// address of an established session. The handler answers later, from
	// any goroutine, with Endpoint.SendRedirect and/or Session.ForwardHello
	// on the target's session.
	Rendezvous(req RendezvousRequest)
	// Hello may defer the answer to a URL IHello (script redirection); it
	// runs on the socket reader and must not block. Returning false
	// answers with RHello at once (the default); true leaves the answer to
	// Endpoint.RespondHello.
	Hello(req HelloRequest) (deferred bool)
}

// SessionHandler receives a session's events. Its methods run on the
// session's loop and must not block.
type SessionHandler interface {
	// OnFlow announces a new incoming flow (with its metadata); returning
	// false rejects it (0x5e).
	OnFlow(f *RecvFlow) bool
	// OnMessage delivers a whole message, in flow order; msg is valid
	// during the call only.
	OnMessage(f *RecvFlow, msg []byte)
	// OnFlowEnd: the far end finished the flow (FIN) or it was rejected
	// with RecvFlow.Reject.
	OnFlowEnd(f *RecvFlow)
	// OnAddressChanged: the far end moved and its new address was
	// verified.
	OnAddressChanged(old, new netip.AddrPort)
	// OnClosed is called once, when the session is gone: nil after an
	// orderly close we asked for, otherwise the reason (ErrPeerClosed,
	// ErrAborted, ErrIdleTimeout, ErrRetransmitLimit, ErrReplaced,
	// ErrEndpointClosed).
	OnClosed(err error)
}

// RendezvousRequest is a peer-ID IHello from a connected peer.
type RendezvousRequest struct {
	From    netip.AddrPort // proven address of the initiator
	Target  [32]byte       // peer ID asked for
	EPD     []byte         // as received, to forward verbatim
	Tag     []byte
	Attempt int // retries seen for this tag, from 1 (bounded cache)
}

// HelloRequest is a URL IHello offered to Handler.Hello.
type HelloRequest struct {
	From netip.AddrPort
	URL  string // the EPD's ancillary data (rtmfp://host/app...)
	EPD  []byte
	Tag  []byte
	// Attempt counts the IHellos seen with this tag, from 1 (bounded
	// cache), like MonaServer's onHandshake attempts.
	Attempt int
	// size is the request's datagram size, for the amplification bound of
	// the deferred answer.
	size int
}

// Address is a candidate address in a Redirect or Forwarded IHello.
type Address struct {
	netip.AddrPort
	Origin wire.AddressOrigin
}
