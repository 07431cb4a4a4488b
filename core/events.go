package core

import (
	"errors"
	"fmt"
	"net/netip"

	"nimbus/core/amf"
)

// Errors returned by Events implementations to select the protocol's answer.
var (
	// ErrInvalidApp rejects a connection because no application serves the
	// path (Flash: NetConnection.Connect.InvalidApp).
	ErrInvalidApp = errors.New("core: application does not exist")
	// ErrMethodNotFound fails an RPC whose method the client does not have
	// (Flash: NetConnection.Call.Failed).
	ErrMethodNotFound = errors.New("core: method not found")
	// ErrRefused refuses a publish or subscribe without a message of its own;
	// core then uses the MonaServer text ("Not allowed to publish <name>").
	ErrRefused = errors.New("core: refused")
)

// Call is one RPC from a client (Flash NetConnection.call).
type Call struct {
	Name string
	// TID is the transaction ID; 0 means the client expects no answer.
	TID  float64
	Args []any
	// Answered is set by the application when it already wrote the answer of
	// this call itself (MonaServer's writer:writeMessage inside an RPC); core
	// then sends nothing more.
	Answered bool
	// Done, when set, runs on the core loop once the call was handled (its
	// answer written, or the call dropped because the client is gone), so
	// that a protocol can bound the calls a client has in flight.
	Done func()
}

// HandshakeRequest describes a client asking for a connection to path, for
// applications that redirect clients to other servers.
type HandshakeRequest struct {
	Protocol   string
	Address    netip.AddrPort
	Path       string
	Query      string
	Properties map[string]string
	// Attempt counts the client's tries, from 1.
	Attempt int
}

// HandshakeResult is the application's redirection decision. An empty
// Redirect means "continue with this server".
type HandshakeResult struct {
	Redirect []netip.AddrPort
	// IncludeSelf adds this server to the redirect list ("myself"/"again").
	IncludeSelf bool
}

// Events is what an application implements. Core calls every method on the
// core loop. Errors are reported to the client by core, with the text of the
// error as description.
type Events interface {
	// OnStart is called once when the loop starts, OnStop when it stops,
	// after every client was disconnected.
	OnStart()
	OnStop()
	// OnConnection accepts (nil error) or rejects a client. info is added to
	// the connect response. During the call the client is not yet listed in
	// the server's clients.
	OnConnection(c *Client, args []any) (info []amf.Member, err error)
	// OnDisconnection is called once for every accepted client;
	// c.FailureReason() says why when the connection failed.
	OnDisconnection(c *Client)
	// OnCall runs an RPC. Returning ErrMethodNotFound (wrapped or not) fails
	// the call with the "method not found" text.
	OnCall(c *Client, call *Call) (results []any, err error)
	// OnPublish accepts or refuses a client publication.
	OnPublish(c *Client, p *Publication) error
	// OnUnpublish is called when an accepted client publication stops.
	OnUnpublish(c *Client, p *Publication)
	// OnSubscribe accepts or refuses a listener.
	OnSubscribe(c *Client, l *Listener) error
	// OnUnsubscribe is called when an accepted listener goes away.
	OnUnsubscribe(c *Client, l *Listener)
	// OnMedia is called for publications whose Watched flag is set (scripts
	// with publication:onAudio/onVideo/onData).
	OnMedia(p *Publication, pkt *MediaPacket)
	// OnJoinGroup and OnUnjoinGroup report NetGroup membership changes.
	OnJoinGroup(c *Client, g *Group)
	OnUnjoinGroup(c *Client, g *Group)
	// OnAddressChanged reports that a client's observed address changed.
	OnAddressChanged(c *Client, old netip.AddrPort)
	// OnHandshake may redirect a client to other servers.
	OnHandshake(req *HandshakeRequest) HandshakeResult
	// OnRendezVousUnknown may return addresses to redirect a peer that asked
	// for an unknown peer ID.
	OnRendezVousUnknown(from netip.AddrPort, target PeerID) []netip.AddrPort
	// OnIntroduction decides whether the client at from (initiator is nil
	// when that address is not a connected client) may be introduced to
	// target. MonaServer always allows.
	OnIntroduction(initiator *Client, from netip.AddrPort, target *Client) bool
	// OnManage is called every Options.ManageInterval (2 s by default).
	OnManage()
}

// PublicationWatcher is implemented by Events that want the batch and
// metadata events of Watched publications (MonaServer's publication:onFlush
// and publication:onProperties). Metadata (@setDataFrame) reaches
// OnProperties, never OnMedia.
type PublicationWatcher interface {
	// OnFlush: a batch of packets ended (the publisher flushed).
	OnFlush(p *Publication)
	// OnProperties: the metadata was set or cleared (p.Properties() is nil
	// when cleared).
	OnProperties(p *Publication)
}

// NopEvents implements Events with MonaServer's defaults for an application
// that defines nothing: accept every connection, publication, subscription
// and introduction; fail every RPC with ErrMethodNotFound. Embed it to
// implement only some events.
type NopEvents struct{}

var _ Events = NopEvents{}

func (NopEvents) OnStart()                                                    {}
func (NopEvents) OnStop()                                                     {}
func (NopEvents) OnConnection(*Client, []any) ([]amf.Member, error)           { return nil, nil }
func (NopEvents) OnDisconnection(*Client)                                     {}
func (NopEvents) OnPublish(*Client, *Publication) error                       { return nil }
func (NopEvents) OnUnpublish(*Client, *Publication)                           {}
func (NopEvents) OnSubscribe(*Client, *Listener) error                        { return nil }
func (NopEvents) OnUnsubscribe(*Client, *Listener)                            {}
func (NopEvents) OnMedia(*Publication, *MediaPacket)                          {}
func (NopEvents) OnJoinGroup(*Client, *Group)                                 {}
func (NopEvents) OnUnjoinGroup(*Client, *Group)                               {}
func (NopEvents) OnAddressChanged(*Client, netip.AddrPort)                    {}
func (NopEvents) OnHandshake(*HandshakeRequest) HandshakeResult               { return HandshakeResult{} }
func (NopEvents) OnRendezVousUnknown(netip.AddrPort, PeerID) []netip.AddrPort { return nil }
func (NopEvents) OnIntroduction(*Client, netip.AddrPort, *Client) bool        { return true }
func (NopEvents) OnManage()                                                   {}
func (NopEvents) OnCall(_ *Client, call *Call) ([]any, error) {
	return nil, fmt.Errorf("%w: %s", ErrMethodNotFound, call.Name)
}
