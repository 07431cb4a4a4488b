package rtmfp

import (
	"net/netip"
	"testing"
)

func TestAddrIndex(t *testing.T) {
	x := newAddrIndex()
	a := netip.MustParseAddrPort("192.0.2.1:1000")
	b := netip.MustParseAddrPort("192.0.2.2:1000")
	mk := func(peer byte) *Session { return &Session{farPeerID: [32]byte{peer}} }
	s1, s2, s3 := mk(1), mk(2), mk(1)
	x.add(a, s1)
	x.add(a, s2)
	if !x.has(a) || x.has(b) {
		t.Fatal("has")
	}
	if x.find(a, [32]byte{1}) != s1 || x.find(a, [32]byte{2}) != s2 || x.find(b, [32]byte{1}) != nil {
		t.Fatal("find")
	}
	// A replacement: the new session with the same certificate is added
	// before the old one is removed; removing the old keeps the new.
	x.add(a, s3)
	x.remove(a, s1)
	if x.find(a, [32]byte{1}) != s3 {
		t.Fatal("replacement lost")
	}
	x.remove(a, s1) // twice: no effect on the count
	x.move(a, b, s2)
	if x.find(b, [32]byte{2}) != s2 || x.find(a, [32]byte{2}) != nil {
		t.Fatal("move")
	}
	x.remove(a, s3)
	if x.has(a) || !x.has(b) {
		t.Fatal("count after removals")
	}
	x.remove(b, s2)
	for i := range x.shards {
		if len(x.shards[i].byKey) != 0 || len(x.shards[i].count) != 0 {
			t.Fatal("entries left")
		}
	}
}
