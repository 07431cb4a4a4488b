//go:build linux

package rtmfp

import (
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchPacketConn is the subset of ipv4.PacketConn and ipv6.PacketConn used
// here (their Message types are the same socket.Message).
type batchPacketConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// mmsgConn reads and writes batches with recvmmsg/sendmmsg.
type mmsgConn struct {
	*plainConn
	bc   batchPacketConn
	msgs []ipv4.Message // reader-owned
	bufs [][]byte
	is6  bool
}

// newDatagramConn picks the batched implementation for UDP sockets on Linux.
func newDatagramConn(pc net.PacketConn) datagramConn {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return newPlainConn(pc)
	}
	c := &mmsgConn{plainConn: newPlainConn(pc)}
	la, _ := uc.LocalAddr().(*net.UDPAddr)
	if la != nil && la.IP.To4() != nil && !la.IP.Equal(net.IPv6unspecified) {
		c.bc = ipv4.NewPacketConn(uc)
	} else {
		c.bc = ipv6.NewPacketConn(uc)
		c.is6 = true
	}
	c.msgs = make([]ipv4.Message, readBatchSize)
	c.bufs = make([][]byte, readBatchSize)
	for i := range c.msgs {
		c.msgs[i].Buffers = c.bufs[i : i+1]
	}
	return c
}

func (c *mmsgConn) readBatch(pkts []*packet) (int, error) {
	n := min(len(pkts), len(c.msgs))
	for i := 0; i < n; i++ {
		c.bufs[i] = pkts[i].buf[:]
		c.msgs[i].Buffers = c.bufs[i : i+1]
		c.msgs[i].N = 0
		c.msgs[i].Addr = nil
	}
	got, err := c.bc.ReadBatch(c.msgs[:n], 0)
	if err != nil {
		return 0, err
	}
	for i := 0; i < got; i++ {
		m := &c.msgs[i]
		p := pkts[i]
		p.n = m.N
		if ua, ok := m.Addr.(*net.UDPAddr); ok {
			p.from = normalizeAddr(ua.AddrPort())
		} else {
			p.n = 0
		}
	}
	return got, nil
}

// mmsgScratch is a writer goroutine's reusable message and address storage.
type mmsgScratch struct {
	msgs  []ipv4.Message
	bufs  [][]byte
	addrs []net.UDPAddr
	ips   [][16]byte
}

func (c *mmsgConn) writeBatch(w *batchWriter, ds []outDatagram) (int, int) {
	s, _ := w.scratch.(*mmsgScratch)
	if s == nil {
		s = &mmsgScratch{}
		w.scratch = s
	}
	if cap(s.msgs) < len(ds) {
		s.msgs = make([]ipv4.Message, len(ds))
		s.bufs = make([][]byte, len(ds))
		s.addrs = make([]net.UDPAddr, len(ds))
		s.ips = make([][16]byte, len(ds))
	}
	msgs := s.msgs[:len(ds)]
	for i, d := range ds {
		s.bufs[i] = d.b
		msgs[i].Buffers = s.bufs[i : i+1]
		msgs[i].OOB = nil
		msgs[i].N = 0
		a := &s.addrs[i]
		ip := d.to.Addr()
		if ip.Is4() {
			v4 := ip.As4()
			copy(s.ips[i][:4], v4[:])
			a.IP = s.ips[i][:4]
		} else {
			s.ips[i] = ip.As16()
			a.IP = s.ips[i][:16]
		}
		a.Port = int(d.to.Port())
		a.Zone = ip.Zone()
		msgs[i].Addr = a
	}
	written, failed := 0, 0
	for len(msgs) > 0 {
		n, err := c.bc.WriteBatch(msgs, 0)
		if n > 0 {
			written += n
			msgs = msgs[n:]
		}
		if err != nil {
			// Skip the datagram that failed and carry on with the rest.
			if len(msgs) > 0 {
				failed++
				msgs = msgs[1:]
			}
			continue
		}
		if n == 0 {
			break
		}
	}
	clear(s.bufs[:len(ds)])
	return written, failed
}
