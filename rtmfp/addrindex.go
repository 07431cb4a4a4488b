package rtmfp

import (
	"hash/maphash"
	"net/netip"
	"sync"
)

const addrShards = 16

// addrIndex is the concurrent set of far addresses of established
// sessions: the socket reader checks rendezvous requests against it and
// the handshake finds sessions a new keying replaces. One address may hold
// thousands of sessions (a load generator, a large NAT), so sessions are
// keyed by address and far peer ID, and each address keeps a count.
type addrIndex struct {
	seed   maphash.Seed
	shards [addrShards]addrShard
}

type addrShard struct {
	mu sync.RWMutex
	// byKey is usually one session per key; two while a new keying with
	// the same certificate replaces an older session.
	byKey map[addrPeer][]*Session
	count map[netip.AddrPort]int
}

type addrPeer struct {
	addr netip.AddrPort
	peer [32]byte
}

func newAddrIndex() *addrIndex {
	x := &addrIndex{seed: maphash.MakeSeed()}
	for i := range x.shards {
		x.shards[i].byKey = make(map[addrPeer][]*Session)
		x.shards[i].count = make(map[netip.AddrPort]int)
	}
	return x
}

func (x *addrIndex) shard(a netip.AddrPort) *addrShard {
	return &x.shards[maphash.Comparable(x.seed, a)%addrShards]
}

func (x *addrIndex) add(a netip.AddrPort, s *Session) {
	sh := x.shard(a)
	k := addrPeer{a, s.farPeerID}
	sh.mu.Lock()
	sh.byKey[k] = append(sh.byKey[k], s)
	sh.count[a]++
	sh.mu.Unlock()
}

func (x *addrIndex) remove(a netip.AddrPort, s *Session) {
	sh := x.shard(a)
	k := addrPeer{a, s.farPeerID}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	list := sh.byKey[k]
	for i, e := range list {
		if e != s {
			continue
		}
		if len(list) == 1 {
			delete(sh.byKey, k)
		} else {
			sh.byKey[k] = append(list[:i:i], list[i+1:]...)
		}
		if n := sh.count[a] - 1; n > 0 {
			sh.count[a] = n
		} else {
			delete(sh.count, a)
		}
		return
	}
}

func (x *addrIndex) move(from, to netip.AddrPort, s *Session) {
	x.remove(from, s)
	x.add(to, s)
}

// has reports whether a is the address of an established session.
func (x *addrIndex) has(a netip.AddrPort) bool {
	sh := x.shard(a)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.count[a] > 0
}

// find returns a session at a whose far certificate has peerID.
func (x *addrIndex) find(a netip.AddrPort, peerID [32]byte) *Session {
	sh := x.shard(a)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if list := sh.byKey[addrPeer{a, peerID}]; len(list) > 0 {
		return list[0]
	}
	return nil
}
