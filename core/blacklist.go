package core

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// Blacklist is the set of banned IP addresses (MonaServer's
// addToBlacklist). Protocols consult it for every datagram or connection,
// from their own goroutines, so reads are one atomic load and a map lookup;
// writes (rare: scripts) copy the set.
type Blacklist struct {
	mu  sync.Mutex // serialises writers
	set atomic.Pointer[map[netip.Addr]struct{}]
}

// Contains reports whether addr is banned. Safe from any goroutine; IPv4
// addresses match in their IPv4-mapped IPv6 form too.
func (b *Blacklist) Contains(addr netip.Addr) bool {
	m := b.set.Load()
	if m == nil {
		return false
	}
	_, ok := (*m)[addr.Unmap()]
	return ok
}

// Len is the number of banned addresses.
func (b *Blacklist) Len() int {
	if m := b.set.Load(); m != nil {
		return len(*m)
	}
	return 0
}

// Add bans addrs and returns those that were not banned yet.
func (b *Blacklist) Add(addrs ...netip.Addr) []netip.Addr {
	return b.update(addrs, true)
}

// Remove lifts the ban on addrs and returns those that were banned.
func (b *Blacklist) Remove(addrs ...netip.Addr) []netip.Addr {
	return b.update(addrs, false)
}

func (b *Blacklist) update(addrs []netip.Addr, add bool) []netip.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	next := make(map[netip.Addr]struct{})
	if old := b.set.Load(); old != nil {
		for a := range *old {
			next[a] = struct{}{}
		}
	}
	var changed []netip.Addr
	for _, a := range addrs {
		if !a.IsValid() {
			continue
		}
		a = a.Unmap()
		_, had := next[a]
		switch {
		case add && !had:
			next[a] = struct{}{}
			changed = append(changed, a)
		case !add && had:
			delete(next, a)
			changed = append(changed, a)
		}
	}
	if len(changed) > 0 {
		b.set.Store(&next)
	}
	return changed
}

// Blacklist returns the server's banned addresses, for protocols to filter
// their input with. Safe from any goroutine.
func (s *Server) Blacklist() *Blacklist { return &s.blacklist }

// Ban adds addrs to the blacklist and closes the connections of the clients
// that use them (loop only: scripts call it from events). It returns the
// addresses newly banned.
func (s *Server) Ban(addrs ...netip.Addr) []netip.Addr {
	added := s.blacklist.Add(addrs...)
	if len(added) == 0 {
		return nil
	}
	for _, c := range s.clients {
		if s.blacklist.Contains(c.address.Addr()) {
			s.log.Info("core: banned address, closing client", "address", c.address.String(), "client", c.HexID())
			c.Close()
		}
	}
	return added
}

// Unban removes addrs from the blacklist and returns those that were
// banned. Safe from any goroutine.
func (s *Server) Unban(addrs ...netip.Addr) []netip.Addr {
	return s.blacklist.Remove(addrs...)
}
