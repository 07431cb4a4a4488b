package flash

import (
	"sync"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/rtmfp/flash/message"
)

func TestNetGroup(t *testing.T) {
	const members = 10
	const spec = "G:027f0201010103010c050e74657374011b00"
	a := &app{}
	ts := startServer(t, a, nil)
	id, err := message.GroupIDFromSpecifier(spec)
	if err != nil {
		t.Fatal(err)
	}

	clients := make([]*Client, members)
	groups := make([]*Group, members)
	ids := map[core.PeerID]int{}
	for i := range clients {
		clients[i] = ts.mustDial("group")
		ids[clients[i].PeerID()] = i
	}
	// Neighbours each member heard of, collected as they come.
	var mu sync.Mutex
	heard := make([]map[core.PeerID]bool, members)
	for i, c := range clients {
		g, err := c.JoinGroup(spec)
		if err != nil {
			t.Fatal(err)
		}
		if g.ID() != core.PeerID(id) {
			t.Fatalf("group id %s", g.ID())
		}
		groups[i] = g
		heard[i] = map[core.PeerID]bool{}
		go func() {
			for n := range g.Neighbours() {
				mu.Lock()
				heard[i][n] = true
				mu.Unlock()
			}
		}()
	}
	size := func() int {
		n := 0
		ts.onLoop(func() {
			if g := ts.core.Group(core.PeerID(id)); g != nil {
				n = g.Size()
			}
		})
		return n
	}
	waitFor(t, 10*time.Second, "all members in core", func() bool { return size() == members })
	waitFor(t, 10*time.Second, "every member hears of a neighbour", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range heard {
			if len(h) == 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	for i, h := range heard {
		for n := range h {
			j, ok := ids[n]
			if !ok || j == i {
				t.Errorf("member %d heard of %s, not another member", i, n)
			}
		}
		if len(h) > members-1 {
			t.Errorf("member %d heard of %d peers", i, len(h))
		}
	}
	mu.Unlock()

	// Leaving: by ending the GC flow, and by closing the session.
	if err := groups[0].Leave(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "leave by flow end", func() bool { return size() == members-1 })
	clients[1].Close()
	waitFor(t, 10*time.Second, "leave by session end", func() bool { return size() == members-2 })
	if n := a.count("leave"); n != 2 {
		t.Fatalf("%d leave events", n)
	}
	// A newcomer is introduced to remaining members only.
	late := ts.mustDial("group")
	g, err := late.JoinGroup(spec)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-g.Neighbours():
		if n == clients[0].PeerID() || n == clients[1].PeerID() || n == late.PeerID() {
			t.Fatalf("newcomer introduced to %s", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("newcomer heard of nobody")
	}
}
