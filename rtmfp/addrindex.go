package rtmfp

import (
	"hash/maphash"
	"net/netip"
	"sync"
)

const addrShards = 16

// addrIndex is the concurrent set of far addresses of established
// sessions: the socket reader checks rendezvous requests against it and
// the handshake finds sessions a new keying replaces.
type addrIndex struct {
	seed   maphash.Seed
	shards [addrShards]struct {
		mu sync.RWMutex
		m  map[netip.AddrPort][]*Session
	}
}

func newAddrIndex() *addrIndex {
	x := &addrIndex{seed: maphash.MakeSeed()}
	for i := range x.shards {
		x.shards[i].m = make(map[netip.AddrPort][]*Session)
	}
	return x
}

func (x *addrIndex) shard(a netip.AddrPort) int {
	return int(maphash.Comparable(x.seed, a) % addrShards)
}

func (x *addrIndex) add(a netip.AddrPort, s *Session) {
	sh := &x.shards[x.shard(a)]
	sh.mu.Lock()
	sh.m[a] = append(sh.m[a], s)
	sh.mu.Unlock()
}

func (x *addrIndex) remove(a netip.AddrPort, s *Session) {
	sh := &x.shards[x.shard(a)]
	sh.mu.Lock()
	list := sh.m[a]
	for i, e := range list {
		if e == s {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(sh.m, a)
	} else {
		sh.m[a] = list
	}
	sh.mu.Unlock()
}

func (x *addrIndex) move(from, to netip.AddrPort, s *Session) {
	x.remove(from, s)
	x.add(to, s)
}

// has reports whether a is the address of an established session.
func (x *addrIndex) has(a netip.AddrPort) bool {
	sh := &x.shards[x.shard(a)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return len(sh.m[a]) > 0
}

// find returns a session at a whose far certificate has peerID.
func (x *addrIndex) find(a netip.AddrPort, peerID [32]byte) *Session {
	sh := &x.shards[x.shard(a)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for _, s := range sh.m[a] {
		if s.farPeerID == peerID {
			return s
		}
	}
	return nil
}
