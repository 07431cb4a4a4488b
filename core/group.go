package core

import (
	"bytes"
	"crypto/sha256"
	"slices"
)

// Group is a NetGroup: the set of clients that joined one group ID. Loop
// only.
type Group struct {
	ID PeerID
	// Data belongs to the application.
	Data any
	// members is kept sorted by group address (see Membership.address): the
	// ring that Flash's own overlay is organised around.
	members []*Membership
}

// Membership is a member's handle on its membership of a group: a client's,
// or a virtual member's (JoinGroupVirtual), which has no client and no
// connection.
type Membership struct {
	client *Client
	peer   PeerID
	group  *Group
	conn   GroupConn
	// address = SHA-256(21 0f ‖ peer ID): the member's position on the
	// group ring (MonaServer2 memberId, rtmfp-protocol.md §4.5).
	address [32]byte
	joined  bool
	ended   bool
}

// Client returns the member, nil for a virtual member.
func (m *Membership) Client() *Client { return m.client }

// PeerID is the member's peer ID.
func (m *Membership) PeerID() PeerID { return m.peer }

// Active reports whether the membership is in force (joined, not left).
func (m *Membership) Active() bool { return m.joined && !m.ended }

// Virtual reports whether the member is not a client of this server.
func (m *Membership) Virtual() bool { return m.client == nil }

// Group returns the group.
func (m *Membership) Group() *Group { return m.group }

// Size is the number of members, virtual ones included.
func (g *Group) Size() int { return len(g.members) }

// Members returns the member clients in ring order (virtual members are
// not clients and are left out; see Memberships).
func (g *Group) Members() []*Client {
	out := make([]*Client, 0, len(g.members))
	for _, m := range g.members {
		if m.client != nil {
			out = append(out, m.client)
		}
	}
	return out
}

// Memberships returns every member in ring order.
func (g *Group) Memberships() []*Membership { return slices.Clone(g.members) }

// Group looks up a group by ID (loop only).
func (s *Server) Group(id PeerID) *Group { return s.groups[id] }

// EachGroup calls fn for each group until fn returns false (loop only).
func (s *Server) EachGroup(fn func(*Group) bool) {
	for _, g := range s.groups {
		if !fn(g) {
			return
		}
	}
}

// GroupAddress is the position of a peer on a group ring.
func GroupAddress(peer PeerID) [32]byte {
	h := sha256.New()
	h.Write([]byte{0x21, 0x0f})
	h.Write(peer[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// JoinGroup adds the client to the group. Safe from any goroutine.
//
// Neighbour rule (MonaServer2's, chosen because Flash organises a NetGroup
// as a ring ordered by group address, so ring neighbours are the peers Flash
// wants first): members are kept sorted by group address; the newcomer is
// sent the peer IDs of up to GroupNeighbours members around its position
// (half before, half after, wrapping), and each of those members is sent
// the newcomer's peer ID, so both sides start the introduction and the ring
// closes quickly. Every member therefore hears of at most GroupNeighbours
// peers per join, whatever the group size.
func (s *Server) JoinGroup(c *Client, id PeerID, conn GroupConn) (*Membership, error) {
	m := &Membership{client: c, peer: c.ID, conn: conn, address: GroupAddress(c.ID)}
	if !s.Post(func() { s.joinGroup(m, id) }) {
		return nil, ErrBusy
	}
	return m, nil
}

// JoinGroupVirtual adds peer to the group as a virtual member: a peer that
// is a client of another server (MonaServer's mona:joinGroup, for NetGroups
// spread over several servers). Loop only. The member takes its place on
// the ring and is announced to its neighbours like a client; it receives
// nothing itself. End it with LeaveGroup.
func (s *Server) JoinGroupVirtual(peer, group PeerID) *Membership {
	m := &Membership{peer: peer, address: GroupAddress(peer)}
	s.joinGroup(m, group)
	return m
}

func (s *Server) joinGroup(m *Membership, id PeerID) {
	c := m.client
	if m.ended || (c != nil && !c.Accepted()) {
		return
	}
	if c != nil {
		for _, x := range c.memberships {
			if x.group.ID == id {
				// Already a member through another flow: keep the newest flow.
				x.conn = m.conn
				m.ended = true
				return
			}
		}
	}
	g := s.groups[id]
	if g == nil {
		g = &Group{ID: id}
		s.groups[id] = g
	}
	m.group = g
	pos, _ := slices.BinarySearchFunc(g.members, m, func(a, b *Membership) int {
		return bytes.Compare(a.address[:], b.address[:])
	})
	for _, n := range s.ringNeighbours(g, pos) {
		if m.conn != nil {
			m.conn.WriteNeighbour(n.peer)
		}
		if n.conn != nil {
			n.conn.WriteNeighbour(m.peer)
		}
	}
	g.members = slices.Insert(g.members, pos, m)
	m.joined = true
	if c != nil {
		c.memberships = append(c.memberships, m)
		s.events.OnJoinGroup(c, g)
	}
}

// ringNeighbours returns up to GroupNeighbours members around position pos
// (where a newcomer would be inserted), nearest first, alternating sides.
func (s *Server) ringNeighbours(g *Group, pos int) []*Membership {
	n := len(g.members)
	want := min(s.opts.GroupNeighbours, n)
	out := make([]*Membership, 0, want)
	seen := make(map[*Membership]bool, want)
	for step := 0; len(out) < want && step < n; step++ {
		after := g.members[(pos+step)%n]
		before := g.members[((pos-1-step)%n+n)%n]
		for _, x := range []*Membership{after, before} {
			if len(out) < want && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out
}

// LeaveGroup ends the membership. Safe from any goroutine; never lost.
func (s *Server) LeaveGroup(m *Membership) {
	s.mustPost(func() { s.leaveGroup(m) })
}

// LeaveGroupNow ends the membership at once (loop only: scripts releasing
// a virtual member).
func (s *Server) LeaveGroupNow(m *Membership) { s.leaveGroup(m) }

func (s *Server) leaveGroup(m *Membership) {
	if m.ended {
		return
	}
	m.ended = true
	c := m.client
	if c != nil {
		for i, x := range c.memberships {
			if x == m {
				c.memberships = append(c.memberships[:i], c.memberships[i+1:]...)
				break
			}
		}
	}
	if !m.joined {
		return
	}
	g := m.group
	for i, x := range g.members {
		if x == m {
			g.members = append(g.members[:i], g.members[i+1:]...)
			break
		}
	}
	if len(g.members) == 0 && s.groups[g.ID] == g {
		delete(s.groups, g.ID)
	}
	if c != nil {
		s.events.OnUnjoinGroup(c, g)
	}
}
