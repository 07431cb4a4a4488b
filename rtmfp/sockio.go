package rtmfp

import (
	"net"
	"net/netip"
	"sync"
)

// maxDatagram is the largest datagram read. Flash and librtmfp stay under
// 1192 bytes; rtmfp-cpp's handshake packets (several static keys in one
// certificate) stay under 2 KiB.
const maxDatagram = 2048

// readBatchSize is how many datagrams one batched read may return.
const readBatchSize = 16

// packet is a received datagram in a pooled buffer. It is decrypted in place
// by whoever handles it, then returned with release.
type packet struct {
	buf  [maxDatagram]byte
	n    int
	from netip.AddrPort
}

var packetPool = sync.Pool{New: func() any { return new(packet) }}

func newPacket() *packet { return packetPool.Get().(*packet) }

func (p *packet) data() []byte { return p.buf[:p.n] }

func (p *packet) release() {
	p.n = 0
	p.from = netip.AddrPort{}
	packetPool.Put(p)
}

// outDatagram is one datagram to write.
type outDatagram struct {
	b  []byte
	to netip.AddrPort
}

// datagramConn is the socket as the endpoint uses it: batched where the
// platform allows.
type datagramConn interface {
	// readBatch fills pkts (all non-nil) and returns how many it filled;
	// it blocks until at least one datagram is read or the socket fails.
	readBatch(pkts []*packet) (int, error)
	// writeBatch writes the datagrams in order and reports errors for
	// datagrams that failed (the rest are still attempted).
	writeBatch(w *batchWriter, ds []outDatagram) (written int, failed int)
	// writeOne writes a single datagram from any goroutine.
	writeOne(b []byte, to netip.AddrPort) error
	localAddr() net.Addr
	close() error
}

// batchWriter is per-goroutine scratch state for writeBatch.
type batchWriter struct {
	scratch any
}

// addrPortConn is implemented by *net.UDPConn and by the in-memory test
// network; it avoids an allocation per datagram.
type addrPortConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// plainConn is the portable datagramConn: one datagram per call.
type plainConn struct {
	pc net.PacketConn
	ap addrPortConn // nil if pc does not implement it
}

func newPlainConn(pc net.PacketConn) *plainConn {
	c := &plainConn{pc: pc}
	c.ap, _ = pc.(addrPortConn)
	return c
}

func (c *plainConn) readBatch(pkts []*packet) (int, error) {
	p := pkts[0]
	if c.ap != nil {
		n, from, err := c.ap.ReadFromUDPAddrPort(p.buf[:])
		if err != nil {
			return 0, err
		}
		p.n, p.from = n, normalizeAddr(from)
		return 1, nil
	}
	n, addr, err := c.pc.ReadFrom(p.buf[:])
	if err != nil {
		return 0, err
	}
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		p.n = 0
		return 1, nil
	}
	p.n, p.from = n, normalizeAddr(ua.AddrPort())
	return 1, nil
}

func (c *plainConn) writeOne(b []byte, to netip.AddrPort) error {
	if c.ap != nil {
		_, err := c.ap.WriteToUDPAddrPort(b, to)
		return err
	}
	_, err := c.pc.WriteTo(b, net.UDPAddrFromAddrPort(to))
	return err
}

func (c *plainConn) writeBatch(_ *batchWriter, ds []outDatagram) (int, int) {
	written, failed := 0, 0
	for _, d := range ds {
		if err := c.writeOne(d.b, d.to); err != nil {
			failed++
			continue
		}
		written++
	}
	return written, failed
}

func (c *plainConn) localAddr() net.Addr { return c.pc.LocalAddr() }
func (c *plainConn) close() error        { return c.pc.Close() }

// normalizeAddr unmaps IPv4-mapped IPv6 addresses so that one peer has one
// key whatever the socket family.
func normalizeAddr(a netip.AddrPort) netip.AddrPort {
	if a.Addr().Is4In6() {
		return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	}
	return a
}
