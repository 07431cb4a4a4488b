package core

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"nimbus/core/amf"
)

// PeerID is a 32-byte RTMFP identity: a client's peer ID (SHA-256 of its
// certificate) or a NetGroup ID.
type PeerID [32]byte

// String returns the 64-character lower-case hex form scripts use.
func (id PeerID) String() string { return hex.EncodeToString(id[:]) }

// ParsePeerID accepts a peer ID as 32 raw bytes or 64 hex characters.
func ParsePeerID(s string) (PeerID, error) {
	var id PeerID
	switch len(s) {
	case 32:
		copy(id[:], s)
		return id, nil
	case 64:
		if _, err := hex.Decode(id[:], []byte(s)); err != nil {
			return id, fmt.Errorf("core: peer id: %w", err)
		}
		return id, nil
	}
	return id, fmt.Errorf("core: peer id: want 32 raw bytes or 64 hex characters, got %d bytes", len(s))
}

// Origin says how the server learned an address of a peer.
type Origin uint8

// Address origins, numbered as in RTMFP address flags.
const (
	OriginUnknown  Origin = 0
	OriginReported Origin = 1 // reported by the peer itself (setPeerInfo)
	OriginObserved Origin = 2 // source address seen by the server
	OriginRelay    Origin = 3
)

// Address is a candidate address of a peer.
type Address struct {
	netip.AddrPort
	Origin Origin
}

// ConnectRequest carries what a protocol knows about a connecting client.
type ConnectRequest struct {
	Protocol string
	PeerID   PeerID
	Address  netip.AddrPort
	// URL is the address the client asked for, e.g. rtmfp://host/app?x=1.
	URL string
	// Properties are the members of the connect command object (app,
	// flashVer, tcUrl, objectEncoding...).
	Properties []amf.Member
	// Args are the extra arguments of NetConnection.connect.
	Args []any
}

// Client is one connected client. Fields and methods are for the core loop
// only, except the immutable identity fields (ID, Protocol, Path, Query,
// URL), which never change after Connect returns.
type Client struct {
	srv *Server

	ID       PeerID
	Protocol string
	// Path is the application path: "" for the root app, "/a/b" otherwise.
	Path string
	// Query is the raw query string of the URL (without "?").
	Query string
	URL   string
	// Properties are the connect object members followed by the URL query
	// parameters (as strings).
	Properties []amf.Member
	// ObjectEncoding is 3 (AMF3) unless the client asked for AMF0.
	ObjectEncoding float64
	// Data belongs to the application (the script host keeps the client's
	// Lua table here).
	Data any

	conn        Conn
	address     netip.AddrPort
	reported    []netip.AddrPort
	accepted    bool
	gone        bool
	failure     string
	connectedAt time.Time

	publishings   []*Publishing
	subscriptions []*Subscription
	memberships   []*Membership

	introTokens float64
	introAt     time.Time
}

// HexID is ID in hex.
func (c *Client) HexID() string { return c.ID.String() }

// Conn is the protocol side of the client.
func (c *Client) Conn() Conn { return c.conn }

// Writer is the client's main writer.
func (c *Client) Writer() Writer { return c.conn.Writer() }

// Address is the client's observed address.
func (c *Client) Address() netip.AddrPort { return c.address }

// ReportedAddresses are the addresses the client reported (setPeerInfo).
func (c *Client) ReportedAddresses() []netip.AddrPort { return c.reported }

// Ping is the connection's round-trip time estimate.
func (c *Client) Ping() time.Duration { return c.conn.Ping() }

// LastReception is when the client was last heard from.
func (c *Client) LastReception() time.Time { return c.conn.LastReception() }

// FailureReason says why the connection failed ("" when it ended
// normally): set before Events.OnDisconnection for connections ended by
// Server.Fail (a timeout, a lost peer), like Cumulus' onFailed.
func (c *Client) FailureReason() string { return c.failure }

// Accepted reports whether the application accepted the client and it is
// still connected.
func (c *Client) Accepted() bool { return c.accepted && !c.gone }

// Property returns the value of the named property and whether it exists.
func (c *Client) Property(name string) (any, bool) {
	for _, m := range c.Properties {
		if m.Key == name {
			return m.Value, true
		}
	}
	return nil, false
}

// Close disconnects the client from the server side.
func (c *Client) Close() {
	if c.gone {
		return
	}
	c.conn.Close()
	c.srv.disconnect(c)
}

// Publications returns the client's running publications.
func (c *Client) Publications() []*Publication {
	var out []*Publication
	for _, h := range c.publishings {
		if h.pub != nil {
			out = append(out, h.pub)
		}
	}
	return out
}

// Groups returns the NetGroups the client is a member of.
func (c *Client) Groups() []*Group {
	out := make([]*Group, 0, len(c.memberships))
	for _, m := range c.memberships {
		out = append(out, m.group)
	}
	return out
}

// splitURL derives the application path and the query from a connection
// URL, as MonaServer does: the scheme and host are dropped, a trailing "/"
// is stripped, and the root application has the path "".
func splitURL(raw string) (path, query string) {
	s := raw
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s, query = s[:i], s[i+1:]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j:]
		} else {
			s = ""
		}
	}
	// Collapse repeated slashes and drop a trailing one.
	parts := strings.Split(s, "/")
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return "", query
	}
	return "/" + strings.Join(kept, "/"), query
}

// Connect asks the application to accept a client. Safe from any goroutine.
// The returned handle identifies the client in later calls; it is not yet
// accepted: the answer arrives through conn.Accept or conn.Reject.
func (s *Server) Connect(conn Conn, req *ConnectRequest) (*Client, error) {
	path, query := splitURL(req.URL)
	c := &Client{
		srv:            s,
		ID:             req.PeerID,
		Protocol:       req.Protocol,
		Path:           path,
		Query:          query,
		URL:            req.URL,
		ObjectEncoding: 3,
		conn:           conn,
		address:        req.Address,
		introTokens:    s.opts.IntroductionBurst,
	}
	c.Properties = append(c.Properties, req.Properties...)
	if v, ok := c.Property("objectEncoding"); ok {
		if f, ok := v.(float64); ok && f == 0 {
			c.ObjectEncoding = 0
		}
	}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		c.Properties = append(c.Properties, amf.Member{Key: unescapeQuery(k), Value: unescapeQuery(v)})
	}
	args := req.Args
	if !s.Post(func() { s.connect(c, args) }) {
		return nil, ErrBusy
	}
	return c, nil
}

func (s *Server) connect(c *Client, args []any) {
	if s.stopping {
		c.conn.Reject("NetConnection.Connect.Failed", "server is stopping")
		return
	}
	if s.blacklist.Contains(c.address.Addr()) {
		c.gone = true
		c.conn.Reject("NetConnection.Connect.Rejected", "address banned")
		return
	}
	info, err := s.events.OnConnection(c, args)
	if err != nil {
		code := "NetConnection.Connect.Rejected"
		desc := err.Error()
		if errors.Is(err, ErrInvalidApp) {
			code = "NetConnection.Connect.InvalidApp"
			desc = fmt.Sprintf("Application %s doesn't exist", c.Path)
			if msg := strings.TrimPrefix(err.Error(), ErrInvalidApp.Error()); msg != err.Error() && strings.TrimSpace(strings.TrimLeft(msg, ":")) != "" {
				desc = strings.TrimSpace(strings.TrimLeft(msg, ":"))
			}
		} else if desc == "" {
			desc = "client rejected"
		}
		c.gone = true
		c.conn.Reject(code, desc)
		return
	}
	if old := s.clients[c.ID]; old != nil {
		// The same identity connected again (a new session with the same
		// certificate replaces the old one, RFC 7016 §3.5.1.3).
		old.Close()
	}
	c.accepted = true
	c.connectedAt = time.Now()
	s.clients[c.ID] = c
	s.byAddress[keyOf(c.address)] = c
	c.conn.Accept(c, info)
}

// Disconnect reports that the client's connection ended. Safe from any
// goroutine; never lost even when the queue is full.
func (s *Server) Disconnect(c *Client) {
	s.mustPost(func() { s.disconnect(c) })
}

// Fail reports that the client's connection failed for reason (an idle
// timeout, a peer that stopped acknowledging): like Disconnect, with
// FailureReason set for OnDisconnection. Safe from any goroutine; never
// lost.
func (s *Server) Fail(c *Client, reason string) {
	s.mustPost(func() {
		if !c.gone && reason != "" {
			c.failure = reason
		}
		s.disconnect(c)
	})
}

// disconnect tears the client down: its subscriptions, publications and
// memberships end (with their events), then OnDisconnection.
func (s *Server) disconnect(c *Client) {
	if c.gone {
		return
	}
	c.gone = true
	for len(c.subscriptions) > 0 {
		s.unsubscribe(c.subscriptions[len(c.subscriptions)-1])
	}
	for len(c.publishings) > 0 {
		s.unpublish(c.publishings[len(c.publishings)-1], "", "")
	}
	for len(c.memberships) > 0 {
		s.leaveGroup(c.memberships[len(c.memberships)-1])
	}
	if !c.accepted {
		return
	}
	if s.clients[c.ID] == c {
		delete(s.clients, c.ID)
	}
	if s.byAddress[keyOf(c.address)] == c {
		delete(s.byAddress, keyOf(c.address))
	}
	s.events.OnDisconnection(c)
}

// Clients returns the number of accepted clients (loop only).
func (s *Server) ClientCount() int { return len(s.clients) }

// Client looks up an accepted client by peer ID (loop only).
func (s *Server) Client(id PeerID) *Client { return s.clients[id] }

// EachClient calls fn for every accepted client until fn returns false
// (loop only).
func (s *Server) EachClient(fn func(*Client) bool) {
	for _, c := range s.clients {
		if !fn(c) {
			return
		}
	}
}

// Call runs an RPC for the client. Safe from any goroutine. The answer is
// written on the client's main writer: "_result" with the returned values,
// or "_error" NetConnection.Call.Failed.
func (s *Server) Call(c *Client, call *Call) error {
	if !s.Post(func() { s.call(c, call) }) {
		return ErrBusy
	}
	return nil
}

func (s *Server) call(c *Client, call *Call) {
	if call.Done != nil {
		defer call.Done()
	}
	if !c.Accepted() {
		return
	}
	s.stats.Calls.Add(1)
	results, err := s.events.OnCall(c, call)
	w := c.conn.Writer()
	if err != nil {
		desc := err.Error()
		if errors.Is(err, ErrMethodNotFound) {
			desc = fmt.Sprintf("Method client '%s' not found in application %s", call.Name, c.Path)
		}
		if call.TID > 0 {
			w.WriteError(call.TID, "NetConnection.Call.Failed", desc)
		} else {
			w.WriteStatus("error", "NetConnection.Call.Failed", desc)
		}
		return
	}
	if call.Answered || call.TID <= 0 || len(results) == 0 {
		return
	}
	w.WriteResult(call.TID, results...)
}

// SetPeerAddresses records the addresses the client reports for itself
// (Flash setPeerInfo). Safe from any goroutine. Multicast, broadcast,
// unspecified and duplicate addresses are dropped and the count is capped.
func (s *Server) SetPeerAddresses(c *Client, addrs []netip.AddrPort) {
	addrs = append([]netip.AddrPort(nil), addrs...)
	s.Post(func() { c.reported = s.filterReported(addrs) })
}

func (s *Server) filterReported(addrs []netip.AddrPort) []netip.AddrPort {
	out := make([]netip.AddrPort, 0, min(len(addrs), s.opts.MaxPeerAddresses))
	for _, a := range addrs {
		if len(out) == s.opts.MaxPeerAddresses {
			s.log.Debug("core: reported addresses capped", "max", s.opts.MaxPeerAddresses)
			break
		}
		if !usableAddress(a) {
			continue
		}
		a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
		dup := false
		for _, b := range out {
			if b == a {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// usableAddress reports whether a peer may be told to send to a: a unicast
// address with a port.
func usableAddress(a netip.AddrPort) bool {
	ip := a.Addr().Unmap()
	if !a.IsValid() || a.Port() == 0 || ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	if ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	return true
}

// AddressChanged reports a new observed address for the client. Safe from
// any goroutine.
func (s *Server) AddressChanged(c *Client, addr netip.AddrPort) {
	s.Post(func() {
		if c.gone || c.address == addr {
			return
		}
		old := c.address
		if s.byAddress[keyOf(old)] == c {
			delete(s.byAddress, keyOf(old))
		}
		c.address = addr
		if c.accepted {
			s.byAddress[keyOf(addr)] = c
			s.events.OnAddressChanged(c, old)
		}
	})
}

// addrKey normalises IPv4-mapped IPv6 addresses so that one peer seen
// through a dual-stack socket and an IPv4 socket has one key.
type addrKey netip.AddrPort

func keyOf(a netip.AddrPort) addrKey {
	return addrKey(netip.AddrPortFrom(a.Addr().Unmap(), a.Port()))
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '+':
			b.WriteByte(' ')
		case s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
