// Package simnet is an in-memory datagram network for tests: endpoints get
// net.PacketConn values whose traffic can be delayed, lost, reordered and
// duplicated with a seeded random source. Delivery uses ordinary timers and
// channels, so the network runs unchanged inside a testing/synctest bubble,
// where its delays cost no real time.
package simnet

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// ErrAddrInUse is returned by Listen for an address that is taken.
var ErrAddrInUse = errors.New("simnet: address in use")

// Link describes how datagrams travel between any two endpoints.
type Link struct {
	// Latency is the one-way delay of every datagram.
	Latency time.Duration
	// Loss is the probability that a datagram is dropped.
	Loss float64
	// Reorder is the probability that a datagram is held back by an extra
	// random delay of up to ReorderDelay, so that later ones overtake it.
	Reorder      float64
	ReorderDelay time.Duration
	// Duplicate is the probability that a datagram is delivered twice.
	Duplicate float64
	// QueueLimit bounds the datagrams waiting in a receiver's inbox, like a
	// socket buffer; 0 means 1024.
	QueueLimit int
}

// Filter sees every datagram before the link applies its rules; returning
// false drops it. It runs on the sender's goroutine.
type Filter func(from, to netip.AddrPort, b []byte) bool

// Network is a set of endpoints connected by one Link model.
type Network struct {
	mu       sync.Mutex
	link     Link
	rng      *rand.Rand
	conns    map[netip.AddrPort]*Conn
	filter   Filter
	stats    Stats
	nextPort uint16
}

// Stats counts what the network did with the datagrams it was given.
type Stats struct {
	Sent, Delivered, Lost, Reordered, Duplicated, Overflowed, Unroutable int
}

// New returns a network with the given link model and random seed.
func New(link Link, seed uint64) *Network {
	if link.QueueLimit <= 0 {
		link.QueueLimit = 1024
	}
	return &Network{
		link:     link,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		conns:    make(map[netip.AddrPort]*Conn),
		nextPort: 40000,
	}
}

// SetLink changes the link model for datagrams sent from now on.
func (n *Network) SetLink(l Link) {
	if l.QueueLimit <= 0 {
		l.QueueLimit = 1024
	}
	n.mu.Lock()
	n.link = l
	n.mu.Unlock()
}

// SetFilter installs f (nil removes it).
func (n *Network) SetFilter(f Filter) {
	n.mu.Lock()
	n.filter = f
	n.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (n *Network) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// Listen attaches an endpoint at addr. A zero port picks a free one.
func (n *Network) Listen(addr netip.AddrPort) (*Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if addr.Port() == 0 {
		for {
			n.nextPort++
			cand := netip.AddrPortFrom(addr.Addr(), n.nextPort)
			if _, taken := n.conns[cand]; !taken && n.nextPort != 0 {
				addr = cand
				break
			}
		}
	}
	if _, taken := n.conns[addr]; taken {
		return nil, ErrAddrInUse
	}
	c := &Conn{
		net:    n,
		addr:   addr,
		notify: make(chan struct{}, 1),
		closed: make(chan struct{}),
	}
	n.conns[addr] = c
	return c, nil
}

type datagram struct {
	from netip.AddrPort
	b    []byte
}

// send routes one datagram, applying the filter and the link model.
func (n *Network) send(from, to netip.AddrPort, b []byte) {
	n.mu.Lock()
	n.stats.Sent++
	if n.filter != nil && !n.filter(from, to, b) {
		n.stats.Lost++
		n.mu.Unlock()
		return
	}
	l := n.link
	if l.Loss > 0 && n.rng.Float64() < l.Loss {
		n.stats.Lost++
		n.mu.Unlock()
		return
	}
	copies := 1
	if l.Duplicate > 0 && n.rng.Float64() < l.Duplicate {
		copies = 2
		n.stats.Duplicated++
	}
	delays := make([]time.Duration, copies)
	for i := range delays {
		d := l.Latency
		if l.Reorder > 0 && l.ReorderDelay > 0 && n.rng.Float64() < l.Reorder {
			d += time.Duration(n.rng.Int64N(int64(l.ReorderDelay)) + 1)
			n.stats.Reordered++
		}
		delays[i] = d
	}
	n.mu.Unlock()

	for _, d := range delays {
		dg := datagram{from: from, b: append([]byte(nil), b...)}
		if d <= 0 {
			n.deliver(to, dg)
			continue
		}
		time.AfterFunc(d, func() { n.deliver(to, dg) })
	}
}

func (n *Network) deliver(to netip.AddrPort, dg datagram) {
	n.mu.Lock()
	c := n.conns[to]
	limit := n.link.QueueLimit
	if c == nil {
		n.stats.Unroutable++
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	if !c.push(dg, limit) {
		n.mu.Lock()
		n.stats.Overflowed++
		n.mu.Unlock()
		return
	}
	n.mu.Lock()
	n.stats.Delivered++
	n.mu.Unlock()
}

// Conn is one endpoint of a Network. It implements net.PacketConn.
type Conn struct {
	net  *Network
	addr netip.AddrPort

	mu       sync.Mutex
	inbox    []datagram
	deadline time.Time
	isClosed bool
	notify   chan struct{}
	closed   chan struct{}
}

var _ net.PacketConn = (*Conn)(nil)

func (c *Conn) push(dg datagram, limit int) bool {
	c.mu.Lock()
	if c.isClosed || len(c.inbox) >= limit {
		c.mu.Unlock()
		return false
	}
	c.inbox = append(c.inbox, dg)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return true
}

// Rebind moves the endpoint to a new address, as a NAT rebinding does:
// later datagrams leave from it and only datagrams sent to it arrive.
func (c *Conn) Rebind(addr netip.AddrPort) error {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, taken := n.conns[addr]; taken {
		return ErrAddrInUse
	}
	delete(n.conns, c.addrPort())
	c.mu.Lock()
	c.addr = addr
	c.mu.Unlock()
	n.conns[addr] = c
	return nil
}

func (c *Conn) addrPort() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// AddrPort is the endpoint's address.
func (c *Conn) AddrPort() netip.AddrPort { return c.addrPort() }

// ReadFrom implements net.PacketConn.
func (c *Conn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromUDPAddrPort(p)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadFromUDPAddrPort is ReadFrom returning a netip.AddrPort.
func (c *Conn) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	for {
		c.mu.Lock()
		if c.isClosed {
			c.mu.Unlock()
			return 0, netip.AddrPort{}, net.ErrClosed
		}
		if len(c.inbox) > 0 {
			dg := c.inbox[0]
			c.inbox[0] = datagram{}
			c.inbox = c.inbox[1:]
			if len(c.inbox) == 0 {
				c.inbox = nil
			}
			c.mu.Unlock()
			return copy(p, dg.b), dg.from, nil
		}
		deadline := c.deadline
		c.mu.Unlock()

		var timer *time.Timer
		var timeout <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return 0, netip.AddrPort{}, os.ErrDeadlineExceeded
			}
			timer = time.NewTimer(d)
			timeout = timer.C
		}
		expired := false
		select {
		case <-c.notify:
		case <-c.closed:
		case <-timeout:
			expired = true
		}
		if timer != nil {
			timer.Stop()
		}
		if expired {
			return 0, netip.AddrPort{}, os.ErrDeadlineExceeded
		}
	}
}

// WriteTo implements net.PacketConn.
func (c *Conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("simnet: address is not a *net.UDPAddr")
	}
	return c.WriteToUDPAddrPort(p, ua.AddrPort())
}

// WriteToUDPAddrPort is WriteTo taking a netip.AddrPort.
func (c *Conn) WriteToUDPAddrPort(p []byte, to netip.AddrPort) (int, error) {
	c.mu.Lock()
	closed, from := c.isClosed, c.addr
	c.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	c.net.send(from, to, p)
	return len(p), nil
}

// Close implements net.PacketConn; it frees the address.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.isClosed = true
	c.inbox = nil
	close(c.closed)
	c.mu.Unlock()
	c.net.mu.Lock()
	if a := c.addrPort(); c.net.conns[a] == c {
		delete(c.net.conns, a)
	}
	c.net.mu.Unlock()
	return nil
}

// LocalAddr implements net.PacketConn.
func (c *Conn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.addrPort()) }

// SetDeadline implements net.PacketConn (only the read side has meaning).
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return nil
}

// SetWriteDeadline implements net.PacketConn; writes never block.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }
