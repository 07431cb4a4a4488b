package flash

import (
	"fmt"
	"strings"

	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// Group is the client's membership of a NetGroup: the server sends the peer
// IDs of the members this client should connect to.
type Group struct {
	c          *Client
	id         core.PeerID
	flow       *rtmfp.SendFlow
	neighbours chan core.PeerID
}

// JoinGroup joins a NetGroup given as a GroupSpecifier text ("G:...", whose
// ID is computed as librtmfp does) or as the 64-digit hex group ID. The
// server does not acknowledge a join: neighbours arrive on Neighbours as
// members come.
func (c *Client) JoinGroup(group string) (*Group, error) {
	var id core.PeerID
	switch {
	case strings.HasPrefix(group, "G:"):
		raw, err := message.GroupIDFromSpecifier(group)
		if err != nil {
			return nil, opError("join", fmt.Errorf("%w: %w", ErrBadGroup, err))
		}
		id = raw
	case len(group) == 64:
		var err error
		if id, err = core.ParsePeerID(group); err != nil {
			return nil, opError("join", fmt.Errorf("%w: %w", ErrBadGroup, err))
		}
	default:
		return nil, opError("join", ErrBadGroup)
	}
	c.mu.Lock()
	server, assoc, closed := c.server, c.ncReturn, c.closed
	c.mu.Unlock()
	if closed {
		return nil, opError("join", ErrClosed)
	}
	flow, err := server.OpenFlow(message.GCMetadata, assoc)
	if err != nil {
		return nil, opError("join", err)
	}
	g := &Group{c: c, id: id, flow: flow, neighbours: make(chan core.PeerID, c.qlen)}
	c.sessionOf(server).expect(flow.ID(), g)
	if err := flow.Write(message.GroupJoin{ID: id}.Append(nil)); err != nil {
		flow.Close()
		return nil, opError("join", err)
	}
	return g, nil
}

// ID is the group ID sent to the server.
func (g *Group) ID() core.PeerID { return g.id }

// Neighbours delivers the peer IDs the server introduces. When nobody reads
// them, the channel holds Dialer.QueueLength IDs and drops the rest.
func (g *Group) Neighbours() <-chan core.PeerID { return g.neighbours }

// Leave leaves the group: the GC flow ends, which the server takes as the
// member leaving.
func (g *Group) Leave() error { return opError("leave", g.flow.Close()) }

func (g *Group) onMessage(_ *clientSession, _ *rtmfp.RecvFlow, msg []byte) {
	n, _, err := message.ParseGroupNeighbour(msg)
	if err != nil {
		return
	}
	select {
	case g.neighbours <- core.PeerID(n.PeerID):
	default:
		g.c.dropped.add()
	}
}

func (g *Group) onEnd(*clientSession, *rtmfp.RecvFlow) {}
