package flash

import (
	"net/netip"
	"sync"

	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// receiver consumes the messages of one incoming flow of a client session
// (on the session's loop; msg is valid during the call only).
type receiver interface {
	onMessage(cs *clientSession, f *rtmfp.RecvFlow, msg []byte)
	onEnd(cs *clientSession, f *rtmfp.RecvFlow)
}

// clientSession is the rtmfp.SessionHandler of one session of a client:
// with the server, or with a peer. Incoming flows associated to one of our
// flows go to the receiver registered for it; on peer sessions, a flow
// without association is a player asking for one of our direct
// publications.
type clientSession struct {
	c *Client
	s *rtmfp.Session

	mu      sync.Mutex
	returns map[uint64]receiver // by our send flow ID
	// streams routes flows whose TC metadata names a stream ID: servers
	// (rtmfp-cpp, and Nimbus itself) associate NetStream flows to the
	// NetConnection flow, so the association alone does not say which
	// stream a flow serves.
	streams map[uint64]receiver

	// Session loop only.
	flows map[uint64]receiver // by incoming flow ID
}

func newClientSession(c *Client, s *rtmfp.Session) *clientSession {
	return &clientSession{c: c, s: s, returns: make(map[uint64]receiver), streams: make(map[uint64]receiver), flows: make(map[uint64]receiver)}
}

// expect routes the flows the far end associates to our flow id to r.
func (cs *clientSession) expect(id uint64, r receiver) {
	cs.mu.Lock()
	cs.returns[id] = r
	cs.mu.Unlock()
}

func (cs *clientSession) forget(id uint64) {
	cs.mu.Lock()
	delete(cs.returns, id)
	cs.mu.Unlock()
}

// expectStream routes the far end's flows for stream id (by TC metadata)
// to r.
func (cs *clientSession) expectStream(id uint64, r receiver) {
	cs.mu.Lock()
	cs.streams[id] = r
	cs.mu.Unlock()
}

func (cs *clientSession) OnFlow(f *rtmfp.RecvFlow) bool {
	var r receiver
	if id := f.ReturnFor(); id != 0 {
		cs.mu.Lock()
		r = cs.returns[id]
		cs.mu.Unlock()
	}
	if tc, _, err := message.ParseTCMetadata(f.Metadata()); err == nil && tc.StreamID != 0 {
		cs.mu.Lock()
		if sr := cs.streams[tc.StreamID]; sr != nil {
			r = sr
		}
		cs.mu.Unlock()
	}
	c := cs.c
	if _, ok := r.(*ncReceiver); ok {
		// The first return flow of our NetConnection flow is the one our
		// stream and group flows associate to.
		c.mu.Lock()
		if c.ncReturn == 0 && c.nc != nil && f.ReturnFor() == c.nc.ID() {
			c.ncReturn = f.ID()
		}
		c.mu.Unlock()
	}
	if r == nil && !c.isServer(cs.s) && message.IsTC(f.Metadata()) {
		r = &directServe{}
	}
	if r == nil {
		return false
	}
	cs.flows[f.ID()] = r
	return true
}

func (cs *clientSession) OnMessage(f *rtmfp.RecvFlow, msg []byte) {
	if r := cs.flows[f.ID()]; r != nil {
		r.onMessage(cs, f, msg)
	}
}

func (cs *clientSession) OnFlowEnd(f *rtmfp.RecvFlow) {
	if r := cs.flows[f.ID()]; r != nil {
		delete(cs.flows, f.ID())
		r.onEnd(cs, f)
	}
}

func (cs *clientSession) OnAddressChanged(_, _ netip.AddrPort) {}

func (cs *clientSession) OnClosed(err error) {
	c := cs.c
	for id, r := range cs.flows {
		delete(cs.flows, id)
		if d, ok := r.(*directServe); ok {
			d.stop()
		}
	}
	c.mu.Lock()
	delete(c.sessions, cs.s)
	peer := core.PeerID(cs.s.FarPeerID())
	if c.peers[peer] == cs.s {
		delete(c.peers, peer)
	}
	server := c.server == cs.s
	c.mu.Unlock()
	if server {
		c.serverClosed(err)
	}
}
